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
#include "security/tls_server.h"

namespace vncgate {

class BackendConnection {
 public:
  // On success `conn` is a connected, non-blocking socket past the
  // backend's SecurityResult; `leftover` holds plaintext it already sent
  // after that (start of ServerInit); `layer` is the TLS session toward the
  // backend when one was asked for. On failure `conn` is null and `error`
  // says why. The callback must not destroy the BackendConnection.
  using Done = std::function<void(GSocketConnection *conn, Bytes leftover,
                                  std::unique_ptr<SecurityLayer> layer, std::string error)>;

  BackendConnection(HostPort address, std::optional<std::string> password,
                    std::optional<TlsClientSettings> tls, Done done);
  ~BackendConnection();
  BackendConnection(const BackendConnection &) = delete;
  BackendConnection &operator=(const BackendConnection &) = delete;

 private:
  static void on_connected(GObject *src, GAsyncResult *res, gpointer data);
  void on_event(GIOCondition cond);
  bool on_input(const uint8_t *data, size_t len);  // false: failed (already reported)
  bool run_handshake();
  bool send_pending();
  void fail(std::string why);
  void finish();

  HostPort address_;
  RfbClientHandshake handshake_;
  Done done_;
  GCancellable *cancel_ = nullptr;
  GSocketConnection *conn_ = nullptr;
  int fd_ = -1;
  std::unique_ptr<FdWatch> watch_;
  std::optional<TlsClientSettings> tls_settings_;
  std::unique_ptr<TlsClientSession> tls_;
  bool tls_up_ = false;
  bool finished_ = false;
  Bytes in_;   // plaintext from the backend, not yet parsed
  Bytes out_;  // wire bytes to the backend
};

}  // namespace vncgate
