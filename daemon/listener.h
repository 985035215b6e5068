// One listening role: the gateway port(s), or one console's dedicated port,
// on one or more addresses. Applies the client allow-list before a byte is
// read, then hands the connection to the daemon.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "config.h"

namespace vncgate {

class Listener {
 public:
  // `console` is empty for the gateway port.
  using Accept = std::function<void(GSocketConnection *, const std::optional<std::string> &console)>;

  Listener(std::optional<std::string> console, Accept accept);
  ~Listener();
  Listener(const Listener &) = delete;
  Listener &operator=(const Listener &) = delete;

  bool add(const HostPort &address, std::string &error);
  const std::vector<HostPort> &addresses() const { return addresses_; }

 private:
  static gboolean on_incoming(GSocketService *, GSocketConnection *conn, GObject *, gpointer data);

  std::optional<std::string> console_;
  Accept accept_;
  GSocketService *service_;
  std::vector<HostPort> addresses_;
};

}  // namespace vncgate
