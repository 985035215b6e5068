#include "web/websocket_channel.h"

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "io/bulk_io_stream.h"

namespace vncgate {

WebSocketFeed::WebSocketFeed(SoupWebsocketConnection *ws, GIOStream *bulk)
    : ws_(GObjectPtr<SoupWebsocketConnection>::ref(ws)), stream_(GObjectPtr<GIOStream>::ref(bulk)) {
  bulk_io_stream_set_blocked_observer(stream_.get(), &WebSocketFeed::on_blocked, this);
}

WebSocketFeed::~WebSocketFeed() {
  bulk_io_stream_set_blocked_observer(stream_.get(), nullptr, nullptr);
}

void WebSocketFeed::on_blocked(bool blocked, void *self) {
  auto *feed = static_cast<WebSocketFeed *>(self);
  feed->blocked_ = blocked;
  if (!blocked) feed->update();
}

bool WebSocketFeed::deliver(GBytes *message) {
  if (session_gone_ || ended_) return true;  // nobody reads: dropped
  const size_t len = g_bytes_get_size(message);
  if (len == 0) return true;
  if (held_ + len > kMaxHeld) return false;
  in_.emplace_back(message);
  held_ += len;
  update();
  return true;
}

void WebSocketFeed::end() {
  if (ended_) return;
  ended_ = true;
  update();
}

GIOCondition WebSocketFeed::ready_conditions() const {
  int c = 0;
  if ((wanted_ & G_IO_IN) && (held_ > 0 || ended_)) c |= G_IO_IN;
  if ((wanted_ & G_IO_OUT) && (!blocked_ || ended_)) c |= G_IO_OUT;
  if (ended_) c |= G_IO_HUP;  // as a socket reports it, asked for or not
  return GIOCondition(c);
}

void WebSocketFeed::update() {
  if (!ready_ || notify_.active() || !ready_conditions()) return;
  notify_.idle([this] { fire(); }, G_PRIORITY_DEFAULT);
}

void WebSocketFeed::fire() {
  auto keep = shared_from_this();  // the callback may let the channel go
  const GIOCondition c = ready_conditions();
  if (c && ready_) {
    auto ready = ready_;
    ready(c);
  }
  update();  // level-triggered: still ready, called again
}

ssize_t WebSocketChannel::receive(uint8_t *buf, size_t len) {
  WebSocketFeed &f = *feed_;
  size_t n = 0;
  while (n < len && !f.in_.empty()) {
    const ByteSpan front = f.in_.front().span();
    const size_t take = std::min(len - n, front.size() - f.in_off_);
    std::memcpy(buf + n, front.data() + f.in_off_, take);
    n += take;
    f.in_off_ += take;
    if (f.in_off_ == front.size()) {
      f.in_.pop_front();
      f.in_off_ = 0;
    }
  }
  f.held_ -= n;
  if (n > 0) return static_cast<ssize_t>(n);
  if (f.ended_) return 0;
  errno = EAGAIN;
  return -1;
}

ssize_t WebSocketChannel::send(const uint8_t *data, size_t len) {
  WebSocketFeed &f = *feed_;
  if (closed_ || f.ended_ ||
      soup_websocket_connection_get_state(f.ws_.get()) != SOUP_WEBSOCKET_STATE_OPEN) {
    errno = EPIPE;
    return -1;
  }
  if (f.blocked_) {
    errno = EAGAIN;
    return -1;
  }
  const size_t n = std::min(len, WebSocketFeed::kMaxFrame);
  soup_websocket_connection_send_binary(f.ws_.get(), data, n);
  f.spoke_ = true;
  return static_cast<ssize_t>(n);
}

void WebSocketChannel::set_events(GIOCondition events) {
  feed_->wanted_ = events;
  feed_->update();
}

void WebSocketChannel::cancel() {
  feed_->ready_ = nullptr;
  feed_->wanted_ = GIOCondition(0);
  feed_->notify_.cancel();
}

void WebSocketChannel::close() {
  if (closed_) return;
  closed_ = true;
  cancel();
  WebSocketFeed &f = *feed_;
  f.session_gone_ = true;
  f.in_.clear();
  f.in_off_ = 0;
  f.held_ = 0;
  SoupWebsocketConnection *ws = f.ws_.get();
  if (soup_websocket_connection_get_state(ws) != SOUP_WEBSOCKET_STATE_OPEN) return;
  if (f.spoke_)
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_NORMAL, nullptr);
  else
    soup_websocket_connection_close(ws, SOUP_WEBSOCKET_CLOSE_SERVER_ERROR,
                                    "the gateway closed the connection");
}

}  // namespace vncgate
