// Which program shows a console, with which argument vector, and how to
// explain its failure. Pure functions (plus the PATH lookup), no I/O.
#pragma once

#include <QSettings>
#include <QString>
#include <QStringList>

#include "link_input.h"

namespace vncgate::launcher {

enum class ViewerKind { Vncgate, RemoteViewer };

// The launcher's settings (QSettings "vncgate"/"vncgate-launcher",
// ~/.config/vncgate/vncgate-launcher.conf):
//   viewer/program   "vncgate-viewer" (default) or "remote-viewer"
//   viewer/ca-file   CA bundle handed to vncgate-viewer as --ca=FILE
struct ViewerSettings {
  ViewerKind preferred = ViewerKind::Vncgate;
  QString ca_file;

  static ViewerSettings load(QSettings &settings);
  void save(QSettings &settings) const;
};

// vncgate-viewer gets the link on its standard input (--link-stdin), never
// in its argument vector: any local user can read a process's arguments
// (ps, /proc/PID/cmdline), and a reusable link's token is a secret. It
// also reports whether it connected (--report-state, link/viewer_report.h).
// remote-viewer gets only host and port, which are no secret.
struct LaunchPlan {
  ViewerKind kind = ViewerKind::Vncgate;
  QString program;  // absolute path; empty when not found
  QStringList arguments;
  QByteArray input;            // written to the viewer's standard input ("" = /dev/null)
  bool reports_state = false;  // the viewer writes a viewer_report line into its log
  QString note;                // e.g. why remote-viewer was not used for this link
};

// remote-viewer speaks plain VNC only: no CONNECT preamble, no token, no
// vncgate TLS choice. Only links to a plain VNC target qualify.
bool remote_viewer_allowed(const ConsoleLink &link);

// VNCGATE_VIEWER (a program path, documented for tests and packagers) wins
// for vncgate-viewer; else the copy next to this launcher, else PATH.
QString find_viewer_program(ViewerKind kind);

LaunchPlan plan_launch(const LinkRequest &request, const ViewerSettings &settings);

// Exit codes of vncgate-viewer: 1 = could not open the console (connect,
// log in, or show a window: its last stderr line says which), 2 = the link
// was refused. wait_status is as from waitpid().
QString describe_viewer_exit(int wait_status, const QString &last_error_line);

}  // namespace vncgate::launcher
