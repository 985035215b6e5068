#include "registration.h"

#include <glib.h>

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QSaveFile>
#include <QStandardPaths>
#include <memory>

#include "i18n.h"
#ifdef _WIN32
#include "url_registration.h"  // launcher/windows: HKCU\Software\Classes keys
#endif

static void init_launcher_resources() {
  Q_INIT_RESOURCE(launcher);
}

namespace vncgate::launcher {
namespace {

constexpr int kToolTimeoutMs = 10000;
const char *const kGeneratedKey = "X-Vncgate-Generated";

QString desktop_id() {
  return QString::fromLatin1(kDesktopId);
}

QString user_applications_dir() {
  return QStandardPaths::writableLocation(QStandardPaths::ApplicationsLocation);
}

QString user_desktop_file() {
  return user_applications_dir() + QLatin1Char('/') + desktop_id();
}

QString config_mimeapps() {
  return QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation) +
         QStringLiteral("/mimeapps.list");
}

struct KeyFileDeleter {
  void operator()(GKeyFile *k) const { g_key_file_unref(k); }
};
using KeyFile = std::unique_ptr<GKeyFile, KeyFileDeleter>;

KeyFile load_key_file(const QString &path) {
  KeyFile kf(g_key_file_new());
  g_key_file_load_from_file(kf.get(), QFile::encodeName(path).constData(),
                            GKeyFileFlags(G_KEY_FILE_KEEP_COMMENTS), nullptr);
  return kf;  // empty when missing or unreadable
}

bool save_key_file(GKeyFile *kf, const QString &path) {
  gsize len = 0;
  gchar *data = g_key_file_to_data(kf, &len, nullptr);
  QDir().mkpath(QFileInfo(path).absolutePath());
  QSaveFile f(path);
  bool ok = f.open(QIODevice::WriteOnly) && f.write(data, qint64(len)) == qint64(len) && f.commit();
  g_free(data);
  return ok;
}

bool generated_by_us(const QString &path) {
  KeyFile kf = load_key_file(path);
  return g_key_file_get_boolean(kf.get(), "Desktop Entry", kGeneratedKey, nullptr);
}

// Desktop entry Exec quoting: quote when a reserved character appears.
QString exec_quote(const QString &arg) {
  static const QString reserved = QStringLiteral(" \t\n\"'\\><~|&;$*?#()`");
  bool needs = false;
  for (QChar c : arg) needs = needs || reserved.contains(c);
  if (!needs) return arg;
  QString out = QStringLiteral("\"");
  for (QChar c : arg) {
    if (c == u'"' || c == u'`' || c == u'$' || c == u'\\') out += QLatin1Char('\\');
    out += c;
  }
  return out + QLatin1Char('"');
}

struct ToolRun {
  bool ok = false;
  QString out;
  QString err;
};

ToolRun run_tool(const QString &program, const QStringList &args) {
  ToolRun r;
  QProcess p;
  p.start(program, args, QIODevice::ReadOnly);
  if (!p.waitForFinished(kToolTimeoutMs)) {
    p.kill();
    p.waitForFinished(1000);
    r.err = p.errorString();
    return r;
  }
  r.out = QString::fromLocal8Bit(p.readAllStandardOutput()).trimmed();
  r.err = QString::fromLocal8Bit(p.readAllStandardError()).trimmed();
  r.ok = p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
  return r;
}

void refresh_desktop_database() {
  const QString tool = QStandardPaths::findExecutable(QStringLiteral("update-desktop-database"));
  if (!tool.isEmpty() && QFileInfo::exists(user_applications_dir()))
    run_tool(tool, {QStringLiteral("-q"), user_applications_dir()});
}

// Edits [Default Applications] of mimeapps.list ourselves (no xdg-mime).
bool write_defaults(bool set) {
  const QString path = config_mimeapps();
  KeyFile kf = load_key_file(path);
  const QByteArray id = desktop_id().toLatin1();
  for (const QString &type : handled_types()) {
    const QByteArray key = type.toLatin1();
    if (set) {
      g_key_file_set_string(kf.get(), "Default Applications", key.constData(),
                            (id + ';').constData());
      continue;
    }
    for (const char *group : {"Default Applications", "Added Associations"}) {
      gsize n = 0;
      gchar **list = g_key_file_get_string_list(kf.get(), group, key.constData(), &n, nullptr);
      if (!list) continue;
      QList<QByteArray> keep;
      for (gsize i = 0; i < n; ++i)
        if (id != list[i] && *list[i]) keep.append(QByteArray(list[i]));
      g_strfreev(list);
      if (keep.isEmpty()) {
        g_key_file_remove_key(kf.get(), group, key.constData(), nullptr);
      } else {
        std::vector<const char *> v;
        for (const QByteArray &k : keep) v.push_back(k.constData());
        g_key_file_set_string_list(kf.get(), group, key.constData(), v.data(), v.size());
      }
    }
  }
  return save_key_file(kf.get(), path);
}

}  // namespace

#ifdef _WIN32
// Windows: registration is a set of keys below HKCU\Software\Classes (the
// plan and the Win32 code are in launcher/windows, tested under wine); the
// MSI writes the same keys per machine.
namespace {

std::wstring launcher_exe() {
  return QDir::toNativeSeparators(QCoreApplication::applicationFilePath()).toStdWString();
}

RegistrationResult register_handler_win32() {
  const windows::RegistryOutcome r = windows::register_url_handlers(launcher_exe());
  if (!r.ok)
    return {false, _("Could not register vncgate: %1").arg(QString::fromStdString(r.error))};
  return {true, _("vncgate now opens vncgate://, vnc:// links and .vv files.")};
}

RegistrationResult unregister_handler_win32() {
  const windows::RegistryOutcome r = windows::unregister_url_handlers(launcher_exe());
  if (!r.ok)
    return {false, _("Could not remove the registration: %1").arg(QString::fromStdString(r.error))};
  return {true, _("vncgate no longer opens console links by default.")};
}

// The command that opens vncgate:// links for this user now.
QString current_handler_win32() {
  return QString::fromStdWString(
      windows::read_class_value(L"vncgate\\shell\\open\\command", L"").value_or(std::wstring()));
}

}  // namespace
#endif

QStringList handled_types() {
  return {QStringLiteral("x-scheme-handler/vncgate"), QStringLiteral("x-scheme-handler/vnc"),
          QStringLiteral("application/x-virt-viewer")};
}

QString desktop_file_for(const QString &program) {
  init_launcher_resources();
  QFile templ(QStringLiteral(":/vncgate/vncgate-launcher.desktop"));
  if (!templ.open(QIODevice::ReadOnly)) return {};
  QStringList lines;
  const QString exec = exec_quote(program);
  for (const QString &line : QString::fromUtf8(templ.readAll()).split(QLatin1Char('\n'))) {
    if (line.startsWith(QLatin1String("Exec=")))
      lines << QStringLiteral("Exec=") + exec + QStringLiteral(" -- %u");
    else if (line.startsWith(QLatin1String("TryExec=")))
      lines << QStringLiteral("TryExec=") + program;
    else
      lines << line;
  }
  while (!lines.isEmpty() && lines.last().isEmpty()) lines.removeLast();
  lines << QString::fromLatin1(kGeneratedKey) + QStringLiteral("=true") << QString();
  return lines.join(QLatin1Char('\n'));
}

RegistrationResult register_handler() {
#ifdef _WIN32
  return register_handler_win32();
#endif
  // The installed desktop file, if any, is the one to use; our own copy
  // (from an earlier run, maybe of a launcher that moved) is rewritten.
  const QString found = QStandardPaths::locate(QStandardPaths::ApplicationsLocation, desktop_id());
  const QString user_file = user_desktop_file();
  if (found.isEmpty() || (found == user_file && generated_by_us(user_file))) {
    const QString contents = desktop_file_for(QCoreApplication::applicationFilePath());
    QDir().mkpath(user_applications_dir());
    QSaveFile f(user_file);
    if (contents.isEmpty() || !f.open(QIODevice::WriteOnly) || f.write(contents.toUtf8()) < 0 ||
        !f.commit())
      return {false, _("Could not write %1").arg(user_file)};
    refresh_desktop_database();
  }
  const QString xdg_mime = QStandardPaths::findExecutable(QStringLiteral("xdg-mime"));
  if (xdg_mime.isEmpty()) {
    if (!write_defaults(true)) return {false, _("Could not write %1").arg(config_mimeapps())};
  } else {
    ToolRun r =
        run_tool(xdg_mime, QStringList{QStringLiteral("default"), desktop_id()} + handled_types());
    if (!r.ok) return {false, _("xdg-mime could not make vncgate the handler: %1").arg(r.err)};
  }
  return {true, _("vncgate now opens vncgate://, vnc:// links and .vv files.")};
}

RegistrationResult unregister_handler() {
#ifdef _WIN32
  return unregister_handler_win32();
#endif
  if (!write_defaults(false)) return {false, _("Could not write %1").arg(config_mimeapps())};
  const QString user_file = user_desktop_file();
  if (QFileInfo::exists(user_file) && generated_by_us(user_file)) {
    QFile::remove(user_file);
    refresh_desktop_database();
  }
  return {true, _("vncgate no longer opens console links by default.")};
}

QString current_handler() {
#ifdef _WIN32
  return current_handler_win32();
#endif
  const QString xdg_mime = QStandardPaths::findExecutable(QStringLiteral("xdg-mime"));
  if (xdg_mime.isEmpty()) return {};
  ToolRun r = run_tool(
      xdg_mime, {QStringLiteral("query"), QStringLiteral("default"), handled_types().first()});
  return r.ok ? r.out : QString();
}

}  // namespace vncgate::launcher
