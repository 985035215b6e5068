// Per-user registration as the handler for console links:
//   x-scheme-handler/vncgate, x-scheme-handler/vnc, application/x-virt-viewer
//
// register: makes sure the launcher's desktop file (kDesktopId) can be found (the installed
// one in XDG_DATA_DIRS, else a copy with this program's absolute path written
// to $XDG_DATA_HOME/applications), then runs
//   xdg-mime default io.github.vncgate.launcher.desktop <the three types>
// (or, without xdg-utils, writes the same [Default Applications] entries to
// $XDG_CONFIG_HOME/mimeapps.list itself).
// unregister: removes those entries from $XDG_CONFIG_HOME/mimeapps.list and
// the desktop file copy if this launcher wrote it.
#pragma once

#include <QString>
#include <QStringList>

namespace vncgate::launcher {

// The AppStream id's desktop file (launcher_desktop_id in meson.build).
inline constexpr const char *kDesktopId = "io.github.vncgate.launcher.desktop";
QStringList handled_types();

struct RegistrationResult {
  bool ok = false;
  QString message;  // for the user
};

RegistrationResult register_handler();
RegistrationResult unregister_handler();

// The desktop id that opens vncgate:// links now (xdg-mime query default),
// empty when none is set or xdg-mime is missing.
QString current_handler();

// The desktop file written for a launcher at `program` (absolute path):
// the packaged file's contents with Exec and TryExec pointing at it.
QString desktop_file_for(const QString &program);

}  // namespace vncgate::launcher
