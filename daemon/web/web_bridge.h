// One browser's WebSocket, from the upgrade to its close (web_server.h).
//
//   AwaitToken ─(first text message: the link token)─► Bridging ─► Closed
//
// AwaitToken is bounded in time and size. Bridging hands binary messages
// to an ordinary Session through a WebSocketFeed: the session's Transport
// reads and writes the WebSocket through a WebSocketChannel
// (websocket_channel.h, which also holds the back-pressure both ways). A
// text message after the first, a message over the size limit or a
// protocol error closes the WebSocket with its close code and a log line
// (libsoup answers framing errors).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"
#include "rfb/parse.h"
#include "session.h"
#include "web/websocket_channel.h"

namespace vncgate {

class WebHost;

class WebBridge {
 public:
  // Takes references on `ws`, `bulk` (the BulkIOStream under it) and
  // `remote`.
  WebBridge(WebHost &host, uint64_t id, SoupWebsocketConnection *ws, GIOStream *bulk,
            GSocketAddress *remote, std::string console, unsigned first_message_ms, bool tls,
            std::function<void(uint64_t)> done);
  ~WebBridge();
  WebBridge(const WebBridge &) = delete;
  WebBridge &operator=(const WebBridge &) = delete;

  bool awaiting_token() const { return state_ == State::AwaitToken; }
  // Closes the WebSocket (the daemon is stopping).
  void close(unsigned short code, const std::string &reason);

  static constexpr size_t kMaxToken = 512;
  static constexpr size_t kMaxMessage = 256 * 1024;  // one incoming message

 private:
  enum class State { AwaitToken, Bridging, Closed };

  static void on_message(SoupWebsocketConnection *, gint type, GBytes *message, gpointer self);
  static void on_closed(SoupWebsocketConnection *, gpointer self);
  static void on_error(SoupWebsocketConnection *, GError *error, gpointer self);
  void on_token(GBytes *message);
  void on_binary(GBytes *message);
  void finish();
  std::string prefix() const;

  WebHost &host_;
  uint64_t id_;
  GObjectPtr<SoupWebsocketConnection> ws_;
  GObjectPtr<GIOStream> bulk_;
  GObjectPtr<GSocketAddress> remote_;
  std::string console_, address_, sasl_address_;
  State state_ = State::AwaitToken;
  std::function<void(uint64_t)> done_;
  MainLoopTimer first_message_timer_;
  std::shared_ptr<WebSocketFeed> feed_;  // once Bridging
  bool tls_;                             // wss
  // The session may outlive the bridge: its refusal callback checks this.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vncgate
