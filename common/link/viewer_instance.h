// One viewer per console: each vncgate-viewer listens on a per-user Unix
// socket named after the console it shows; the launcher connects to it and
// sends "raise\n" instead of starting a second viewer. The name is a hash
// of the link's identity, so nothing from a link becomes a path.
#pragma once

#include <string>

#include "link/console_link.h"

namespace vncgate {

// $XDG_RUNTIME_DIR/vncgate (or a per-user directory under the temp dir);
// on Windows %LOCALAPPDATA%\vncgate (or vncgate-<user name> under the temp dir)
std::string viewer_runtime_dir();
// <runtime dir>/viewer-<sha256(identity) first 32 hex>.sock
std::string viewer_socket_path(const ConsoleLink &link);

inline constexpr const char *kViewerRaiseCommand = "raise\n";

}  // namespace vncgate
