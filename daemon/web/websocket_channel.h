// The session's end of a browser's WebSocket: a ByteChannel over libsoup's
// connection, so a web session's Transport reads the browser's binary
// messages as a stream and writes binary messages, with no socket between.
//
// WebBridge (which handles libsoup's signals) and the WebSocketChannel
// (owned by the session's Transport) share one WebSocketFeed; either may
// end first.
//  - browser → session: each binary message is kept (a reference on
//    libsoup's bytes, no copy) until the session has read it. A browser
//    cannot be paused (libsoup 3.2 reads on), so deliver() refuses more than
//    kMaxHeld unread bytes: the bridge closes.
//  - session → browser: send() hands up to kMaxFrame bytes to libsoup as
//    one message while the BulkIOStream under it is not blocked, so libsoup
//    holds about one message per session, not what the backend sends.
//  - the session closing closes the WebSocket: normally once it has spoken,
//    1011 "the gateway closed the connection" when it ended before saying
//    anything (refused by admission or allowed-clients).
// Readiness is reported from an idle call, never from inside libsoup's
// signal or the Transport's own call.
#pragma once

#include <libsoup/soup.h>

#include <deque>
#include <memory>
#include <utility>

#include "io/byte_channel.h"
#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"
#include "rfb/parse.h"

namespace vncgate {

// One browser message, held by reference until the session has read it.
class HeldMessage {
 public:
  explicit HeldMessage(GBytes *bytes) : bytes_(g_bytes_ref(bytes)) {}
  ~HeldMessage() {
    if (bytes_) g_bytes_unref(bytes_);
  }
  HeldMessage(HeldMessage &&other) noexcept : bytes_(std::exchange(other.bytes_, nullptr)) {}
  HeldMessage(const HeldMessage &) = delete;
  HeldMessage &operator=(const HeldMessage &) = delete;
  HeldMessage &operator=(HeldMessage &&) = delete;
  ByteSpan span() const {
    gsize n = 0;
    const auto *d = static_cast<const uint8_t *>(g_bytes_get_data(bytes_, &n));
    return ByteSpan(d, n);
  }

 private:
  GBytes *bytes_;
};

class WebSocketFeed : public std::enable_shared_from_this<WebSocketFeed> {
 public:
  static constexpr size_t kMaxHeld = 1 << 20;      // browser bytes the session has not read
  static constexpr size_t kMaxFrame = 256 * 1024;  // one message to the browser at most

  // Takes references on `ws` and on `bulk`, the BulkIOStream its bytes go
  // through (its blocked state is the back-pressure).
  WebSocketFeed(SoupWebsocketConnection *ws, GIOStream *bulk);
  ~WebSocketFeed();
  WebSocketFeed(const WebSocketFeed &) = delete;
  WebSocketFeed &operator=(const WebSocketFeed &) = delete;

  // --- from the bridge ---
  // A binary message (a reference is kept); false when the session leaves
  // too much unread.
  bool deliver(GBytes *message);
  // The WebSocket ended: end of stream for the session.
  void end();

 private:
  friend class WebSocketChannel;
  static void on_blocked(bool blocked, void *self);
  GIOCondition ready_conditions() const;
  void update();  // arms the idle call when something wanted is ready
  void fire();

  GObjectPtr<SoupWebsocketConnection> ws_;
  GObjectPtr<GIOStream> stream_;  // the BulkIOStream we observe
  std::deque<HeldMessage> in_;
  size_t in_off_ = 0;  // read from in_.front()
  size_t held_ = 0;    // unread bytes in in_
  bool ended_ = false;
  bool blocked_ = false;
  bool spoke_ = false;
  bool session_gone_ = false;
  GIOCondition wanted_ = GIOCondition(0);
  ByteChannel::Ready ready_;
  MainLoopTimer notify_;
};

class WebSocketChannel final : public ByteChannel {
 public:
  explicit WebSocketChannel(std::shared_ptr<WebSocketFeed> feed) : feed_(std::move(feed)) {}
  ~WebSocketChannel() override { close(); }

  void set_ready(Ready ready) override { feed_->ready_ = std::move(ready); }
  ssize_t receive(uint8_t *buf, size_t len) override;
  ssize_t send(const uint8_t *data, size_t len) override;
  void set_events(GIOCondition events) override;
  void cancel() override;
  void close() override;

 private:
  std::shared_ptr<WebSocketFeed> feed_;
  bool closed_ = false;
};

}  // namespace vncgate
