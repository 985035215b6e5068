// One listening role: the gateway port(s), or one console's dedicated port,
// on one or more addresses. Applies the client allow-list before a byte is
// read, then hands the connection to the daemon.
//
// The accept loop is its own (not GSocketService's): when descriptors run
// out (EMFILE/ENFILE) or the kernel lacks memory, accepting pauses with a
// doubling backoff (50 ms up to 1 s) instead of spinning, warns at most once
// a second, and resumes by itself.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config.h"
#include "io/fd_watch.h"
#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"

namespace vncgate {

class Listener {
 public:
  // `console` is empty for the gateway port. The callback borrows `conn`
  // (it takes a reference to keep it).
  using Accept =
      std::function<void(GSocketConnection *, const std::optional<std::string> &console)>;

  Listener(std::optional<std::string> console, int backlog, Accept accept);
  ~Listener();
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;

  // Binds and listens; an empty host means every address (IPv6 and IPv4).
  bool add(const HostPort &address, std::string &error);
  const std::vector<HostPort> &addresses() const { return addresses_; }
  // Changes the accept queue length of the bound sockets (listen() again).
  void set_backlog(int backlog);
  bool paused() const { return resume_timer_.active(); }

 private:
  struct Bound {
    GObjectPtr<GSocket> socket;
    std::unique_ptr<FdWatch> watch;
  };
  bool bind_one(GSocketFamily family, GSocketAddress *address, bool *speaks_ipv4,
                std::string &error);
  void on_ready(GSocket *socket);
  void pause(int err, GSocket *socket);
  void resume();

  std::optional<std::string> console_;
  int backlog_;
  Accept accept_;
  std::vector<Bound> bound_;
  std::vector<HostPort> addresses_;
  MainLoopTimer resume_timer_;
  unsigned backoff_ms_ = 0;
};

}  // namespace vncgate
