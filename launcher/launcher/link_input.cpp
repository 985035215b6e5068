#include "link_input.h"

#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QUrl>

#include "i18n.h"

namespace vncgate::launcher {
namespace {

QString qs(const std::string &s) {
  return QString::fromStdString(s);
}

LinkInput refused(const QString &why) {
  return LinkInput{std::nullopt, why};
}

QString pct(const std::string &s) {
  return QString::fromLatin1(QUrl::toPercentEncoding(QString::fromStdString(s)));
}

// Checks a parsed link and rebuilds the viewer's argument from it; the
// rebuilt link must parse again to the same console (a last guard against a
// canonical form the viewer would read differently).
LinkInput finish(const LinkParse &parsed, const QString &what) {
  // The link parser's messages are N_()-marked English: translated here.
  if (!parsed.link) {
    auto tr = [](const char *m) { return std::string(::dgettext(GETTEXT_PACKAGE, m)); };
    return refused(what.arg(QString::fromStdString(parsed.reason.render(tr))));
  }
  LinkRequest req;
  req.link = *parsed.link;
  req.password_in_link = req.link.has_password;
  req.link.password.clear();
  req.link.has_password = false;
  // Host names are case-insensitive: GW.example and gw.example are one
  // console, so one viewer (identity() compares the text as given).
  req.link.host = QString::fromStdString(req.link.host).toLower().toStdString();
  req.viewer_url = canonical_viewer_url(req.link);
  const QByteArray url = req.viewer_url.toUtf8();
  LinkParse again = parse_console_link(std::string_view(url.constData(), size_t(url.size())));
  if (!again.link || again.link->identity() != req.link.identity())
    return refused(_("The link cannot be passed on safely: %1").arg(qs(req.link.display_name())));
  return LinkInput{std::move(req), {}};
}

LinkInput from_vv_contents(const QByteArray &data) {
  if (data.size() > qsizetype(kMaxVvFileSize))
    return refused(_("The .vv file was refused: it is larger than 64 KiB"));
  return finish(parse_vv_file(std::string_view(data.constData(), size_t(data.size()))),
                _("The .vv file was refused: %1"));
}

LinkInput from_vv_path(const QString &path) {
  QFileInfo info(path);
  if (!info.exists()) return refused(_("There is no file %1").arg(path));
  if (!info.isFile()) return refused(_("%1 is not a regular file").arg(path));
  if (info.size() > qint64(kMaxVvFileSize))
    return refused(_("The .vv file was refused: it is larger than 64 KiB"));
  QFile f(path);
  if (!f.open(QIODevice::ReadOnly))
    return refused(_("Cannot read %1: %2").arg(path, f.errorString()));
  LinkInput in = from_vv_contents(f.read(qint64(kMaxVvFileSize) + 1));
  f.close();
  // virt-viewer semantics: the file asked to be removed once read (it may
  // hold a one-time token). Only for a file that parsed.
  if (in.request && in.request->link.delete_file) QFile::remove(path);
  return in;
}

}  // namespace

QString canonical_viewer_url(const ConsoleLink &link) {
  if (!link.console.empty()) return qs(link.to_url());
  // Plain VNC target (vnc:// link or a .vv file without vncgate-console).
  QString host = qs(link.host);
  if (host.contains(QLatin1Char(':'))) host = QLatin1Char('[') + host + QLatin1Char(']');
  QString url = QStringLiteral("vnc://");
  if (!link.username.empty()) url += pct(link.username) + QLatin1Char('@');
  url += host + QLatin1Char(':') + QString::number(link.port);
  QStringList params;
  if (!link.title.empty()) params << QStringLiteral("ConnectionName=") + pct(link.title);
  if (link.security_type != 0)
    params << QStringLiteral("SecurityType=") + QString::number(link.security_type);
  if (link.view_only) params << QStringLiteral("ViewOnly=true");
  if (!params.isEmpty()) url += QLatin1Char('?') + params.join(QLatin1Char('&'));
  return url;
}

QString reusable_url(const ConsoleLink &link) {
  ConsoleLink copy = link;
  copy.token.clear();
  copy.password.clear();
  copy.has_password = false;
  return canonical_viewer_url(copy);
}

QString console_label(const ConsoleLink &link) {
  return link.title.empty() ? qs(link.display_name()) : qs(link.title);
}

LinkInput resolve_link_text(const QString &text) {
  const QByteArray utf8 = text.toUtf8();
  return finish(parse_console_link(std::string_view(utf8.constData(), size_t(utf8.size()))),
                _("The link was refused: %1"));
}

LinkInput resolve_link_argument(const QString &arg, QIODevice &stdin_device) {
  if (arg == QLatin1String("-")) {
    if (!stdin_device.isOpen() && !stdin_device.open(QIODevice::ReadOnly))
      return refused(_("Cannot read the .vv file from standard input"));
    QByteArray data;
    // Read to the end, but never more than one byte past the size limit.
    // (read() blocks on a pipe until data or end of file, then returns empty.)
    while (data.size() <= qsizetype(kMaxVvFileSize)) {
      QByteArray chunk = stdin_device.read(qint64(kMaxVvFileSize) + 1 - data.size());
      if (chunk.isEmpty()) break;
      data += chunk;
    }
    return from_vv_contents(data);
  }
  static const QRegularExpression scheme(QStringLiteral("^[A-Za-z][A-Za-z0-9+.-]*:"));
  const bool has_scheme = scheme.match(arg).hasMatch();
  if (has_scheme && arg.startsWith(QLatin1String("file:"), Qt::CaseInsensitive)) {
    QUrl url(arg, QUrl::StrictMode);
    if (!url.isValid() || !url.isLocalFile() ||
        !(url.host().isEmpty() || url.host() == QLatin1String("localhost")))
      return refused(_("Only local .vv files can be opened"));
    return from_vv_path(url.toLocalFile());
  }
  // Links, and anything option-like (the parser refuses it with its reason).
  if (has_scheme || arg.startsWith(QLatin1Char('-'))) return resolve_link_text(arg);
  if (arg.contains(QLatin1Char('/')) || arg.endsWith(QLatin1String(".vv")) ||
      QFileInfo::exists(arg))
    return from_vv_path(arg);
  return resolve_link_text(arg);
}

}  // namespace vncgate::launcher
