// One browser's WebSocket, from the upgrade to its close (web_server.h).
//
//   AwaitToken ─(first text message: the link token)─► Bridging ─► Closed
//
// AwaitToken is bounded in time and size. Bridging moves binary messages
// to one end of a socketpair (the Session owns the other end) and the
// session's bytes back as binary messages, with backpressure both ways:
// the session's bytes are read only while the browser's TCP socket takes
// more (libsoup 3 queues without bound otherwise), and the browser's bytes
// held for a slow session are capped. A text message after the first, a
// message over the size limit or a protocol error closes the WebSocket
// with its close code and a log line (libsoup answers framing errors).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/fd_watch.h"
#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"
#include "rfb/parse.h"
#include "session.h"

namespace vncgate {

class WebHost;

class WebBridge {
 public:
  // Takes references on `ws`, `tcp` (the browser's socket) and `remote`.
  WebBridge(WebHost &host, uint64_t id, SoupWebsocketConnection *ws, GSocket *tcp,
            GSocketAddress *remote, std::string console, unsigned first_message_ms, bool tls,
            std::function<void(uint64_t)> done);
  ~WebBridge();
  WebBridge(const WebBridge &) = delete;
  WebBridge &operator=(const WebBridge &) = delete;

  bool awaiting_token() const { return state_ == State::AwaitToken; }
  // Closes the WebSocket (the daemon is stopping).
  void close(unsigned short code, const std::string &reason);

  static constexpr size_t kMaxToken = 512;
  static constexpr size_t kMaxMessage = 256 * 1024;      // one incoming message
  static constexpr size_t kMaxHeldForSession = 1 << 20;  // browser bytes not yet taken
  static constexpr size_t kReadChunk = 64 * 1024;        // one outgoing message at most
  static constexpr int kReadsPerWakeup = 8;

 private:
  enum class State { AwaitToken, Bridging, Closed };

  static void on_message(SoupWebsocketConnection *, gint type, GBytes *message, gpointer self);
  static void on_closed(SoupWebsocketConnection *, gpointer self);
  static void on_error(SoupWebsocketConnection *, GError *error, gpointer self);
  void on_token(GBytes *message);
  void on_binary(GBytes *message);
  void on_pair_ready(GIOCondition cond);
  void read_from_session();
  bool flush_to_session();
  void update_watches();
  void finish();
  std::string prefix() const;

  WebHost &host_;
  uint64_t id_;
  GObjectPtr<SoupWebsocketConnection> ws_;
  GObjectPtr<GSocket> tcp_;
  GObjectPtr<GSocketAddress> remote_;
  std::string console_, address_, sasl_address_;
  State state_ = State::AwaitToken;
  std::function<void(uint64_t)> done_;
  MainLoopTimer first_message_timer_;
  GObjectPtr<GSocket> pair_;  // our end of the socketpair
  std::unique_ptr<FdWatch> pair_watch_;
  std::unique_ptr<FdWatch> tcp_watch_;  // only for "writable again"
  Bytes to_session_;
  Bytes read_buf_ = Bytes(kReadChunk);
  size_t to_session_sent_ = 0;
  bool session_spoke_ = false;
  bool tls_;  // wss
  // The session may outlive the bridge: its refusal callback checks this.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace vncgate
