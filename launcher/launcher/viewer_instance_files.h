// The files that belong to one console's viewer, all in the per-user runtime
// directory and named by the hash in viewer_socket_path() (nothing from a
// link becomes a path):
//   viewer-<hash>.sock  the running viewer listens here (raise requests)
//   viewer-<hash>.lock  held by a launcher while it starts that viewer, so a
//                       double click starts one viewer, not two
//   viewer-<hash>.log   the viewer's stdout/stderr (its last error for the user)
#pragma once

#include <sys/types.h>

#include <QString>
#include <cstdint>

#include "link/console_link.h"

namespace vncgate::launcher {

struct InstanceFiles {
  QString socket;
  QString lock;  // empty when the runtime directory is not private to us
  QString log;   // likewise

  static InstanceFiles for_link(const ConsoleLink &link);
};

// Creates the runtime directory (0700) when missing; true when it is ours
// and not writable by anyone else (so lock and log files are safe there).
bool ensure_private_runtime_dir();

enum class RaiseResult {
  Raised,    // a viewer for this console took the request
  NoViewer,  // nobody listens (a stale socket file was removed)
};

// Which socket file is there: a new viewer's socket is a new inode, which
// tells it apart from a file a crashed viewer left behind.
// On Windows the file ID (volume serial and NTFS file index) plays the
// inode's part: a name re-created within seconds keeps its creation time
// (NTFS "tunneling"), so times would not tell the files apart.
struct SocketStamp {
  bool exists = false;
#ifdef _WIN32
  std::uint64_t dev = 0;
  std::uint64_t ino = 0;
#else
  dev_t dev = 0;
  ino_t ino = 0;
#endif
  bool operator==(const SocketStamp &) const = default;
};
SocketStamp socket_stamp(const QString &socket_path);

// Connects to the console's viewer socket and sends "raise\n" (QLocalSocket
// on Unix; GIO on Windows, where QLocalSocket means a named pipe and the
// viewer listens on an AF_UNIX socket).
RaiseResult raise_existing_viewer(const QString &socket_path, int timeout_ms);

}  // namespace vncgate::launcher
