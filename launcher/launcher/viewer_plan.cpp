#include "viewer_plan.h"

#include <QCoreApplication>
#include <QDir>
#include <QFileInfo>
#include <QStandardPaths>
#include <cstring>

#include "i18n.h"
#include "wait_status.h"

namespace vncgate::launcher {
namespace {

QString program_name(ViewerKind kind) {
  return kind == ViewerKind::RemoteViewer ? QStringLiteral("remote-viewer")
                                          : QStringLiteral("vncgate-viewer");
}

bool executable_file(const QString &path) {
  QFileInfo info(path);
  return info.isFile() && info.isExecutable();
}

}  // namespace

ViewerSettings ViewerSettings::load(QSettings &settings) {
  ViewerSettings s;
  if (settings.value(QStringLiteral("viewer/program")).toString() == QLatin1String("remote-viewer"))
    s.preferred = ViewerKind::RemoteViewer;
  s.ca_file = settings.value(QStringLiteral("viewer/ca-file")).toString();
  return s;
}

void ViewerSettings::save(QSettings &settings) const {
  settings.setValue(QStringLiteral("viewer/program"), program_name(preferred));
  if (ca_file.isEmpty())
    settings.remove(QStringLiteral("viewer/ca-file"));
  else
    settings.setValue(QStringLiteral("viewer/ca-file"), ca_file);
}

bool remote_viewer_allowed(const ConsoleLink &link) {
  return link.console.empty() && link.token.empty() && link.tls == LinkTls::Default;
}

QString find_viewer_program(ViewerKind kind) {
  if (kind == ViewerKind::Vncgate) {
    const QString env = qEnvironmentVariable("VNCGATE_VIEWER");
    if (!env.isEmpty()) {
      if (QDir::isAbsolutePath(env)) return executable_file(env) ? env : QString();
      return QStandardPaths::findExecutable(env);
    }
  }
  const QString name = program_name(kind);
  const QString sibling = QCoreApplication::applicationDirPath() + QLatin1Char('/') + name;
  if (executable_file(sibling)) return sibling;
  return QStandardPaths::findExecutable(name);
}

LaunchPlan plan_launch(const LinkRequest &request, const ViewerSettings &settings) {
  LaunchPlan plan;
  plan.kind = settings.preferred;
  if (plan.kind == ViewerKind::RemoteViewer && !remote_viewer_allowed(request.link)) {
    plan.kind = ViewerKind::Vncgate;
    plan.note =
        _("remote-viewer cannot open consoles behind a vncgate gateway; "
          "using vncgate-viewer for this link");
  }
  plan.program = find_viewer_program(plan.kind);
  if (plan.kind == ViewerKind::RemoteViewer) {
    // remote-viewer takes a vnc://host:port URI; the title is its own option.
    const ConsoleLink &l = request.link;
    QString host = QString::fromStdString(l.host);
    if (host.contains(QLatin1Char(':'))) host = QLatin1Char('[') + host + QLatin1Char(']');
    if (!l.title.empty())
      plan.arguments << QStringLiteral("--title=") + QString::fromStdString(l.title);
    plan.arguments << QStringLiteral("vnc://") + host + QLatin1Char(':') + QString::number(l.port);
    return plan;
  }
  // The link goes through the viewer's standard input, one line; the
  // arguments are options only.
  if (!settings.ca_file.isEmpty()) plan.arguments << QStringLiteral("--ca=") + settings.ca_file;
  plan.arguments << QStringLiteral("--report-state") << QStringLiteral("--link-stdin");
  plan.input = request.viewer_url.toUtf8() + '\n';
  plan.reports_state = true;
  return plan;
}

QString describe_viewer_exit(int wait_status, const QString &last_error_line) {
  QString why;
  if (viewer_exited(wait_status)) {
    switch (viewer_exit_code(wait_status)) {
      case 1:
        why = _("The viewer could not open the console.");
        break;
      case 2:
        why = _("The viewer refused the link.");
        break;
      default:
        why = _("The viewer stopped with exit status %1.").arg(viewer_exit_code(wait_status));
    }
  } else if (viewer_signaled(wait_status)) {
    why = _("The viewer crashed (signal %1, %2).")
              .arg(viewer_signal(wait_status))
              .arg(QString::fromLocal8Bit(viewer_signal_name(viewer_signal(wait_status))));
  } else {
    why = _("The viewer stopped unexpectedly.");
  }
  if (last_error_line.isEmpty()) return why + QLatin1Char(' ') + _("It printed no message.");
  return why + QLatin1Char('\n') + _("Its last message: %1").arg(last_error_line);
}

}  // namespace vncgate::launcher
