#include "web/web_bridge.h"

#include <sys/socket.h>

#include <cerrno>

#include "logging.h"
#include "web/web_server.h"

namespace vncgate {
namespace {

// Close codes (RFC 6455 §7.4.1; 4000-4999 are the application's own).
constexpr unsigned short kCloseNormal = SOUP_WEBSOCKET_CLOSE_NORMAL;
constexpr unsigned short kCloseUnsupported = SOUP_WEBSOCKET_CLOSE_UNSUPPORTED_DATA;
constexpr unsigned short kClosePolicy = SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION;
constexpr unsigned short kCloseTooBig = SOUP_WEBSOCKET_CLOSE_TOO_BIG;
constexpr unsigned short kCloseServerError = SOUP_WEBSOCKET_CLOSE_SERVER_ERROR;
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

WebBridge::WebBridge(WebHost &host, uint64_t id, SoupWebsocketConnection *ws, GSocket *tcp,
                     GSocketAddress *remote, std::string console, unsigned first_message_ms,
                     bool tls, std::function<void(uint64_t)> done)
    : host_(host),
      id_(id),
      ws_(GObjectPtr<SoupWebsocketConnection>::ref(ws)),
      tcp_(GObjectPtr<GSocket>::ref(tcp)),
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
  pair_watch_.reset();
  tcp_watch_.reset();
  if (pair_) g_socket_close(pair_.get(), nullptr);
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

// Ends the pump once: the session sees EOF on its socket, the browser a
// close frame (libsoup bounds the closing handshake).
void WebBridge::finish() {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  first_message_timer_.cancel();
  if (pair_watch_) pair_watch_->cancel();
  if (tcp_watch_) tcp_watch_->cancel();
  if (pair_) g_socket_shutdown(pair_.get(), TRUE, TRUE, nullptr);
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
  int fds[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0, fds) != 0) {
    log_error(prefix() + "socketpair: " + g_strerror(errno));
    return close(kCloseServerError, "server error");
  }
  g_autoptr(GError) err = nullptr;
  pair_.reset(g_socket_new_from_fd(fds[0], &err));
  g_autoptr(GSocket) theirs = g_socket_new_from_fd(fds[1], &err);
  if (!pair_ || !theirs) {
    if (!pair_) ::close(fds[0]);
    if (!theirs) ::close(fds[1]);
    log_error(prefix() + "socketpair: " + (err ? err->message : "?"));
    return close(kCloseServerError, "server error");
  }
  // A GSocket is blocking by default: g_socket_send on a full socketpair
  // would stop the whole main loop until the session reads.
  g_socket_set_blocking(pair_.get(), FALSE);
  g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(theirs);
  state_ = State::Bridging;
  pair_watch_ = std::make_unique<FdWatch>(g_socket_get_fd(pair_.get()),
                                          [this](GIOCondition c) { on_pair_ready(c); });
  tcp_watch_ = std::make_unique<FdWatch>(g_socket_get_fd(tcp_.get()), [this](GIOCondition) {
    update_watches();  // the browser's socket drained: read the session again
  });
  update_watches();
  WebPeer peer;
  peer.address = address_;
  peer.sasl_address = sasl_address_;
  peer.token.assign(data, size);
  // wss: GnuTLS's default priority admits no cipher under 128 bits (the
  // exact suite is not exposed by GIO); a loopback WebSocket has none.
  peer.channel_ssf = tls_ ? 128 : 0;
  std::weak_ptr<bool> alive = alive_;
  peer.refused = [this, alive](const std::string &reason) {
    if (alive.lock()) close(kCloseRefused, reason);
  };
  host_.start_web_session(conn, remote_.get(), console_, std::move(peer));
}

void WebBridge::on_binary(GBytes *message) {
  gsize size = 0;
  const auto *data = static_cast<const uint8_t *>(g_bytes_get_data(message, &size));
  if (to_session_.size() - to_session_sent_ + size > kMaxHeldForSession) {
    log_info(prefix() + "sent more than " + std::to_string(kMaxHeldForSession) +
             " bytes the session has not taken; closing");
    return close(kClosePolicy, "too much data");
  }
  to_session_.insert(to_session_.end(), data, data + size);
  if (flush_to_session()) update_watches();
}

// Writes what the session can take now; false when the bridge finished.
bool WebBridge::flush_to_session() {
  while (to_session_sent_ < to_session_.size()) {
    g_autoptr(GError) err = nullptr;
    gssize n = g_socket_send(pair_.get(),
                             reinterpret_cast<const gchar *>(to_session_.data()) + to_session_sent_,
                             to_session_.size() - to_session_sent_, nullptr, &err);
    if (n < 0) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) break;
      finish();  // the session is gone
      return false;
    }
    to_session_sent_ += static_cast<size_t>(n);
  }
  if (to_session_sent_ == to_session_.size()) {
    to_session_.clear();
    to_session_sent_ = 0;
  }
  return true;
}

void WebBridge::on_pair_ready(GIOCondition cond) {
  if (state_ != State::Bridging) return;
  if ((cond & G_IO_OUT) && !flush_to_session()) return;
  if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) read_from_session();
  if (state_ == State::Bridging) update_watches();
}

void WebBridge::read_from_session() {
  // Only while the browser's socket takes more: libsoup would queue it all.
  // A few reads per wake-up: a console's burst (a full-screen update) goes
  // out without a main-loop round per 64 KiB.
  for (int round = 0; round < kReadsPerWakeup; ++round) {
    if (!(g_socket_condition_check(tcp_.get(), G_IO_OUT) & G_IO_OUT)) return;
    g_autoptr(GError) err = nullptr;
    gssize n = g_socket_receive(pair_.get(), reinterpret_cast<gchar *>(read_buf_.data()),
                                read_buf_.size(), nullptr, &err);
    if (n < 0 && g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) return;
    if (n <= 0) {
      // The session ended. Before it said anything: refused by admission or
      // allowed-clients, which the browser learns only as a close.
      if (!session_spoke_) close(kCloseServerError, "the gateway closed the connection");
      return finish();
    }
    session_spoke_ = true;
    soup_websocket_connection_send_binary(ws_.get(), read_buf_.data(), static_cast<gsize>(n));
    if (static_cast<size_t>(n) < read_buf_.size()) return;  // drained
  }
}

void WebBridge::update_watches() {
  if (state_ != State::Bridging) return;
  const bool browser_writable = g_socket_condition_check(tcp_.get(), G_IO_OUT) & G_IO_OUT;
  int pair_events = browser_writable ? G_IO_IN : 0;
  if (to_session_sent_ < to_session_.size()) pair_events |= G_IO_OUT;
  pair_watch_->set_events(static_cast<GIOCondition>(pair_events));
  tcp_watch_->set_events(browser_writable ? GIOCondition(0) : G_IO_OUT);
}

}  // namespace vncgate
