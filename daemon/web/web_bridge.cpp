#include "web/web_bridge.h"

#include "logging.h"
#include "web/web_server.h"

namespace vncgate {
namespace {

// Close codes (RFC 6455 §7.4.1; 4000-4999 are the application's own).
constexpr unsigned short kCloseNormal = SOUP_WEBSOCKET_CLOSE_NORMAL;
constexpr unsigned short kCloseUnsupported = SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA;
constexpr unsigned short kClosePolicy = SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION;
constexpr unsigned short kCloseTooBig = SOUP_WEBSOCKET_CLOSE_TOO_BIG;
constexpr unsigned short kCloseRefused = 4403;  // the session refused the link: reason for the page

void describe(GSocketAddress *a, std::string &display, std::string &sasl) {
  if (!a || !G_IS_INET_SOCKET_ADDRESS(a)) return;
  auto *isa = G_INET_SOCKET_ADDRESS(a);
  g_autofree gchar *ip = g_inet_address_to_string(g_inet_socket_address_get_address(isa));
  std::string ips = ip, port = std::to_string(g_inet_socket_address_get_port(isa));
  display = ips.find(':') != std::string::npos ? "[" + ips + "]:" + port : ips + ":" + port;
  sasl = ips + ";" + port;
}

}  // namespace

WebBridge::WebBridge(WebHost &host, uint64_t id, SoupWebsocketConnection *ws, GIOStream *bulk,
                     GSocketAddress *remote, std::string console, unsigned first_message_ms,
                     bool tls, std::function<void(uint64_t)> done)
    : host_(host),
      id_(id),
      ws_(GObjectPtr<SoupWebsocketConnection>::ref(ws)),
      bulk_(GObjectPtr<GIOStream>::ref(bulk)),
      remote_(GObjectPtr<GSocketAddress>::ref(remote)),
      console_(std::move(console)),
      done_(std::move(done)),
      tls_(tls) {
  describe(remote, address_, sasl_address_);
  soup_websocket_connection_set_max_incoming_payload_size(ws, kMaxMessage);
  soup_websocket_connection_set_keepalive_interval(ws, 30);
  g_signal_connect(ws, "message", G_CALLBACK(&WebBridge::on_message), this);
  g_signal_connect(ws, "closed", G_CALLBACK(&WebBridge::on_closed), this);
  g_signal_connect(ws, "error", G_CALLBACK(&WebBridge::on_error), this);
  first_message_timer_.once(first_message_ms, [this, first_message_ms] {
    log_info(prefix() + "sent no link token within " + std::to_string(first_message_ms) + " ms");
    close(kClosePolicy, "no token in time");
  });
}

WebBridge::~WebBridge() {
  *alive_ = false;
  g_signal_handlers_disconnect_by_data(ws_.get(), this);
  if (soup_websocket_connection_get_state(ws_.get()) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(ws_.get(), SOUP_WEBSOCKET_CLOSE_GOING_AWAY, nullptr);
  if (feed_) feed_->end();
}

std::string WebBridge::prefix() const {
  return "web " + std::to_string(id_) + ": " + address_ + ": ";
}

void WebBridge::close(unsigned short code, const std::string &reason) {
  if (soup_websocket_connection_get_state(ws_.get()) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close(ws_.get(), code, reason.empty() ? nullptr : reason.c_str());
}

void WebBridge::on_message(SoupWebsocketConnection *, gint type, GBytes *message, gpointer self) {
  auto *b = static_cast<WebBridge *>(self);
  if (b->state_ == State::AwaitToken) {
    if (type != SOUP_WEBSOCKET_DATA_TEXT) {
      log_info(b->prefix() + "sent binary data before its link token");
      return b->close(kClosePolicy, "token expected");
    }
    return b->on_token(message);
  }
  if (b->state_ != State::Bridging) return;
  if (type != SOUP_WEBSOCKET_DATA_BINARY) {
    log_info(b->prefix() + "sent a text message after its token; closing");
    return b->close(kCloseUnsupported, "binary RFB only");
  }
  b->on_binary(message);
}

void WebBridge::on_error(SoupWebsocketConnection *, GError *error, gpointer self) {
  // libsoup closes the connection itself (1002 for framing, 1009 for size).
  log_info(static_cast<WebBridge *>(self)->prefix() + "WebSocket error: " + error->message);
}

void WebBridge::on_closed(SoupWebsocketConnection *ws, gpointer self) {
  auto *b = static_cast<WebBridge *>(self);
  log_debug(b->prefix() + "WebSocket closed (" +
            std::to_string(soup_websocket_connection_get_close_code(ws)) + ")");
  b->finish();
  // Only now: the close frame (with a refusal's reason) has gone out.
  b->done_(b->id_);
}

// Ends the bridge once: the session sees the end of its stream, the
// browser a close frame (libsoup bounds the closing handshake).
void WebBridge::finish() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  first_message_timer_.cancel();
  if (feed_) feed_->end();
  close(kCloseNormal, {});
}

void WebBridge::on_token(GBytes *message) {
  first_message_timer_.cancel();
  gsize size = 0;
  const auto *data = static_cast<const char *>(g_bytes_get_data(message, &size));
  if (size > kMaxToken) {
    log_info(prefix() + "sent a first message of " + std::to_string(size) + " bytes");
    return close(kClosePolicy, "token too long");
  }
  feed_ = std::make_shared<WebSocketFeed>(ws_.get(), bulk_.get());
  state_ = State::Bridging;
  WebPeer peer;
  peer.address = address_;
  peer.sasl_address = sasl_address_;
  peer.token.assign(data, size);
  peer.channel = std::make_unique<WebSocketChannel>(feed_);
  // wss: GnuTLS's default priority admits no cipher under 128 bits (the
  // exact suite is not exposed by GIO); a loopback WebSocket has none.
  peer.channel_ssf = tls_ ? 128 : 0;
  std::weak_ptr<bool> alive = alive_;
  peer.refused = [this, alive](const std::string &reason) {
    if (alive.lock()) close(kCloseRefused, reason);
  };
  host_.start_web_session(remote_.get(), console_, std::move(peer));
}

void WebBridge::on_binary(GBytes *message) {
  if (!feed_->deliver(message)) {
    log_info(prefix() + "sent more than " + std::to_string(WebSocketFeed::kMaxHeld) +
             " bytes the session has not taken; closing");
    close(kClosePolicy, "too much data");
  }
}

}  // namespace vncgate
