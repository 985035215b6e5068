// Connects to a console's VNC server and completes its RFB security
// handshake as a client (None or VNC password, optionally inside VeNCrypt
// TLS), so that the real client's ClientInit can be relayed unchanged.
// Cancelled by destruction.
#pragma once

#include <gio/gio.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "config.h"
#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"
#include "io/transport.h"
#include "rfb/rfb_client.h"
#include "security/tls_server.h"

namespace vncgate {

class BackendConnection {
 public:
  // On success `transport` is the connection past the backend's
  // SecurityResult: its TLS layer (when one was asked for) installed, the
  // plaintext the backend already sent after that (start of ServerInit)
  // unconsumed in its input(), reading paused and no handler set. On
  // failure it is null and `error` says why. Runs from the main loop, never
  // from inside a transport callback, so the receiver may drop either; it
  // must not destroy the BackendConnection itself.
  using Done = std::function<void(std::unique_ptr<Transport> transport, std::string error)>;

  BackendConnection(HostPort address, std::optional<std::string> password,
                    std::optional<TlsClientSettings> tls, Done done);
  ~BackendConnection();
  BackendConnection(const BackendConnection &) = delete;
  BackendConnection &operator=(const BackendConnection &) = delete;

 private:
  static void on_connected(GObject *src, GAsyncResult *res, gpointer self);
  void on_input();
  void start_tls();
  void fail(std::string why);
  void report(std::unique_ptr<Transport> transport, std::string error);

  HostPort address_;
  RfbClientHandshake handshake_;
  Done done_;
  // Cancelled by the destructor: on_connected then leaves `this` alone.
  GObjectPtr<GCancellable> cancel_;
  std::optional<TlsClientSettings> tls_settings_;
  std::unique_ptr<Transport> transport_;
  MainLoopTimer report_;  // the outcome is reported from the main loop
  bool finished_ = false;
};

}  // namespace vncgate
