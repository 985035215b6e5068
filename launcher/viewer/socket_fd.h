// The few raw-socket operations the viewer needs on a descriptor it got
// from GIO (the gateway connection) before gtk-vnc takes it over: the one
// place where POSIX descriptors and Windows SOCKETs differ.
#pragma once

#include <cstddef>

namespace vncgate::viewer {

// A second descriptor for the same connection, owned by the caller (gtk-vnc
// closes it; GIO closes its own). -1 on failure. POSIX: dup(); Windows:
// WSADuplicateSocket for this process, the documented way to share a socket.
int duplicate_socket(int fd);

void close_socket(int fd);

// Blocking again (GIO made it non-blocking), with send and receive time
// limits, for the short synchronous certificate probe.
void set_blocking_with_timeout(int fd, int seconds);

// Whole-buffer send and receive; false on error, time-out or close. Never
// raises SIGPIPE.
bool send_all(int fd, const void *buf, std::size_t n);
bool recv_exact(int fd, void *buf, std::size_t n);

}  // namespace vncgate::viewer
