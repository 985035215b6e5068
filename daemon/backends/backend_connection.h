// Connects to a console's VNC server and completes its RFB security
// handshake as a client (None or VNC password), so that the real client's
// ClientInit can be relayed unchanged. Cancelled by destruction.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config.h"
#include "io/fd_watch.h"
#include "rfb/rfb_client.h"

namespace vncgate {

class BackendConnection {
 public:
  // On success `conn` is a connected, non-blocking socket past the
  // backend's SecurityResult; `leftover` holds bytes it already sent after
  // that (start of ServerInit). On failure `conn` is null and `error` says why.
  using Done = std::function<void(GSocketConnection *conn, Bytes leftover, std::string error)>;

  BackendConnection(HostPort address, std::optional<std::string> password, Done done);
  ~BackendConnection();
  BackendConnection(const BackendConnection &) = delete;
  BackendConnection &operator=(const BackendConnection &) = delete;

 private:
  static void on_connected(GObject *src, GAsyncResult *res, gpointer data);
  void on_event(GIOCondition cond);
  void fail(std::string why);
  void finish();

  HostPort address_;
  RfbClientHandshake handshake_;
  Done done_;
  GCancellable *cancel_ = nullptr;
  GSocketConnection *conn_ = nullptr;
  int fd_ = -1;
  std::unique_ptr<FdWatch> watch_;
  Bytes in_;
  Bytes out_;
};

}  // namespace vncgate
