#include "io/transport.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "security/security_layer.h"
#include "security/tls_server.h"

namespace vncgate {
namespace {

constexpr size_t kScratch = 128 * 1024;
constexpr int kReadsPerWakeup = 4;               // fairness between connections
constexpr size_t kKeepInputCapacity = 4 * 1024;  // idle connections stay small

// One receive buffer per thread: on the plain path input() is a view of it,
// so a relayed byte is copied only by the kernel.
uint8_t *scratch() {
  static thread_local std::unique_ptr<uint8_t[]> buf = std::make_unique<uint8_t[]>(kScratch);
  return buf.get();
}

TransportError socket_error(int err) {
  if (err == ECONNRESET || err == EPIPE) return {TransportError::Kind::Reset, err};
  return {TransportError::Kind::Io, err};
}

}  // namespace

std::string TransportError::describe(const std::string &side) const {
  switch (kind) {
    case Kind::Eof:
      return side + " closed";
    case Kind::Reset:
      return side + " closed (connection reset)";
    case Kind::Io:
      return side + " connection error: " + std::strerror(err);
    case Kind::LayerDecode:
      return "protocol error: " + side + " security layer decode failed";
    case Kind::LayerEncode:
      return "protocol error: " + side + " security layer encode failed";
    case Kind::InputLimit:
      return "protocol error: " + side + " message too large";
    case Kind::Budget:
      return "refused: " + side + " buffer budget spent";
  }
  return side + " failed";
}

Transport::Transport(GSocketConnection *conn) : Transport(std::make_unique<SocketChannel>(conn)) {}

Transport::Transport(std::unique_ptr<ByteChannel> channel) : channel_(std::move(channel)) {
  channel_->set_ready([this](GIOCondition c) { on_event(c); });
}

Transport::~Transport() = default;

// From inside a handler call the running std::function must not be
// destroyed: the new handler takes over when that call returns.
void Transport::set_handler(Handler handler) {
  if (calling_ > 0) {
    next_handler_ = std::move(handler);
    return;
  }
  handler_ = std::move(handler);
}

void Transport::after_call() {
  if (--calling_ == 0 && next_handler_) {
    handler_ = std::move(*next_handler_);
    next_handler_.reset();
  }
}

// --- reading -------------------------------------------------------------

ByteSpan Transport::input() const {
  if (view_) return ByteSpan(view_, view_len_);
  return ByteSpan(in_.data() + in_off_, in_.size() - in_off_);
}

void Transport::consume(size_t n) {
  if (view_) {
    n = std::min(n, view_len_);
    view_ += n;
    view_len_ -= n;
    return;
  }
  in_off_ = std::min(in_off_ + n, in_.size());
  if (in_off_ == in_.size()) {
    in_.clear();
    in_off_ = 0;
  }
}

void Transport::unread(ByteSpan plain) {
  if (plain.empty() || !stash_view()) return;
  Bytes merged(plain.begin(), plain.end());
  merged.insert(merged.end(), in_.begin() + static_cast<std::ptrdiff_t>(in_off_), in_.end());
  in_.swap(merged);
  in_off_ = 0;
  fresh_ = true;
}

void Transport::resume_reading() {
  if (unreported_) {
    // It failed while nobody listened (e.g. during a hand-over).
    auto e = std::move(*unreported_);
    unreported_.reset();
    if (handler_.failed) {
      ++calling_;
      handler_.failed(e);
      after_call();
    }
    return;
  }
  if (failed_ || closed_) return;
  reading_ = true;
  if (unconsumed() > 0) fresh_ = true;  // the reader (perhaps a new one) sees it again
  deliver();
  update_events();
}

void Transport::pause_reading() {
  reading_ = false;
  update_events();
}

void Transport::set_input_limit(size_t max_unconsumed) {
  input_limit_ = max_unconsumed;
}

void Transport::set_input_budget(std::function<bool(size_t)> grow) {
  budget_ = std::move(grow);
}

void Transport::on_event(GIOCondition cond) {
  if (failed_ || closed_) return;
  if ((cond & G_IO_OUT) && !flush()) return;
  if (failed_ || closed_) return;
  if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
    if (!reading_) {
      // Not reading, yet the peer hung up: nothing we could still say reaches it.
      if (cond & (G_IO_HUP | G_IO_ERR)) return fail({TransportError::Kind::Eof, 0});
    } else {
      read_some();
    }
  }
  update_events();
}

void Transport::read_some() {
  uint8_t *buf = scratch();
  for (int i = 0; i < kReadsPerWakeup && reading_ && !failed_ && !closed_; ++i) {
    size_t want = kScratch;
    if (input_limit_ && !handshake_)
      want = std::min(want, input_limit_ + 1 - std::min(unconsumed(), input_limit_));
    ssize_t n = channel_->receive(buf, want);
    if (n == 0) return fail({TransportError::Kind::Eof, 0});
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return;
      if (errno == EINTR) continue;
      return fail(socket_error(errno));
    }
    if (!take_wire(buf, static_cast<size_t>(n))) return;
    deliver();
    if (static_cast<size_t>(n) < want) return;  // drained the socket
  }
}

// Wire bytes just received (or left over at an upgrade) become plaintext.
bool Transport::take_wire(const uint8_t *wire, size_t len) {
  if (handshake_) return feed_handshake(wire, len);
  if (!layer_ && unconsumed() == 0 && !view_ && !in_input_) {
    view_ = wire;  // the plain path: no copy unless the reader leaves bytes
    view_len_ = len;
    fresh_ = true;
    return true;
  }
  if (!stash_view() || !reserve_input(len)) return false;
  if (!layer_) {
    in_.insert(in_.end(), wire, wire + len);
    fresh_ = true;
    return true;
  }
  size_t before = in_.size();
  if (!layer_->decode(wire, len, in_)) {
    fail({TransportError::Kind::LayerDecode, 0});
    return false;
  }
  fresh_ = fresh_ || in_.size() > before;
  Bytes extra;  // e.g. a TLS key update answered while decoding
  layer_->take_output(extra);
  return extra.empty() || send_or_queue(extra.data(), extra.size());
}

bool Transport::feed_handshake(const uint8_t *wire, size_t len) {
  Bytes out;
  std::string error;
  auto r = handshake_->handshake(wire, len, out, error);
  if (!out.empty() && !send_or_queue(out.data(), out.size())) return false;
  if (r == TlsSession::Handshake::NeedMore) return true;
  TlsDone done = std::move(tls_done_);
  tls_done_ = nullptr;
  if (r == TlsSession::Handshake::Failed) {
    // Kept until `done` returns: it may ask the session why (refused_peer()).
    std::unique_ptr<TlsSession> failed_tls = std::move(handshake_);
    reading_ = false;  // whatever follows is not for us
    update_events();
    if (done) done(false, error);
    return false;
  }
  owned_layer_ = std::move(handshake_);
  layer_ = owned_layer_.get();
  // Records that arrived with the peer's last handshake flight.
  size_t before = in_.size();
  if (!layer_->decode(nullptr, 0, in_)) {
    fail({TransportError::Kind::LayerDecode, 0});
    return false;
  }
  fresh_ = fresh_ || in_.size() > before;
  if (done) done(true, {});
  return !failed_ && !closed_;
}

// Offers fresh plaintext to the reader until it has seen all of it. From
// inside handler.input() (an upgrade, resume_reading) it only leaves
// `fresh_` set: the running loop picks it up when the reader returns.
void Transport::deliver() {
  if (in_input_) return;
  while (fresh_ && reading_ && !failed_ && !closed_ && handler_.input) {
    fresh_ = false;
    in_input_ = true;
    ++calling_;
    handler_.input();
    after_call();
    in_input_ = false;
    if (!stash_view()) return;
  }
  if (failed_ || closed_) {
    view_ = nullptr;
    view_len_ = 0;
    return;
  }
  if (!stash_view()) return;
  check_input_limit();
  release_idle_buffers();
}

// The reader left part of a scratch view: keep it before the scratch buffer
// is reused.
bool Transport::stash_view() {
  if (!view_) return !failed_;
  const uint8_t *v = std::exchange(view_, nullptr);
  size_t n = std::exchange(view_len_, 0);
  if (n == 0 || failed_ || closed_) return !failed_;
  if (!reserve_input(n)) return false;
  in_.insert(in_.end(), v, v + n);
  return true;
}

void Transport::check_input_limit() {
  if (input_limit_ && !handshake_ && unconsumed() > input_limit_)
    fail({TransportError::Kind::InputLimit, 0});
}

// Room for `extra` more input bytes. Without doubling past the limit: many
// handshakes at the limit must not hold twice that.
bool Transport::reserve_input(size_t extra) {
  if (in_off_ > 0) {
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(in_off_));
    in_off_ = 0;
  }
  size_t need = in_.size() + extra;
  if (need <= in_.capacity()) return true;
  size_t target = std::max(need, in_.capacity() * 2);
  if (input_limit_) target = std::max(need, std::min(in_.capacity() * 2, input_limit_ + 1));
  if (budget_ && !budget_(target + out_.capacity())) {
    fail({TransportError::Kind::Budget, 0});
    return false;
  }
  in_.reserve(target);
  return true;
}

void Transport::release_idle_buffers() {
  if (unconsumed() == 0 && in_.capacity() > kKeepInputCapacity) {
    Bytes().swap(in_);
    in_off_ = 0;
  }
}

// --- writing -------------------------------------------------------------

bool Transport::write(ByteSpan plain) {
  if (failed_ || closed_ || handshake_) return false;
  if (plain.empty()) return true;
  if (!layer_) return send_or_queue(plain.data(), plain.size());
  Bytes wire;
  const size_t chunk = layer_->max_encode_chunk();
  for (size_t off = 0; off < plain.size(); off += chunk) {
    if (!layer_->encode(plain.data() + off, std::min(chunk, plain.size() - off), wire)) {
      fail({TransportError::Kind::LayerEncode, 0});
      return false;
    }
  }
  return send_or_queue(wire.data(), wire.size());
}

bool Transport::write_raw(ByteSpan wire) {
  if (failed_ || closed_) return false;
  return wire.empty() || send_or_queue(wire.data(), wire.size());
}

bool Transport::send_or_queue(const uint8_t *data, size_t len) {
  if (pending() == 0) {
    while (len > 0) {
      ssize_t n = channel_->send(data, len);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        fail(socket_error(errno));
        return false;
      }
      data += n;
      len -= static_cast<size_t>(n);
    }
  }
  if (len > 0) {
    if (out_off_ > 0 && out_off_ >= out_.size() / 2) {
      out_.erase(out_.begin(), out_.begin() + static_cast<std::ptrdiff_t>(out_off_));
      out_off_ = 0;
    }
    out_.insert(out_.end(), data, data + len);
    if (pending() > kHighWater) above_high_ = true;
    update_events();
  }
  return true;
}

// Writes what the kernel takes; false when the transport failed or the
// owner's `flushed` callback has run.
bool Transport::flush() {
  while (pending() > 0) {
    ssize_t n = channel_->send(out_.data() + out_off_, pending());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      fail(socket_error(errno));
      return false;
    }
    out_off_ += static_cast<size_t>(n);
  }
  if (pending() == 0) {
    Bytes().swap(out_);  // give the memory back so idle connections stay small
    out_off_ = 0;
  }
  if (above_high_ && pending() < kLowWater) {
    above_high_ = false;
    if (handler_.drained) {
      ++calling_;
      handler_.drained();
      after_call();
    }
    if (failed_ || closed_) return false;
  }
  if (pending() == 0 && flushed_) {
    auto flushed = std::move(flushed_);
    flushed_ = nullptr;
    flushed();
  }
  return !failed_ && !closed_;
}

void Transport::update_events() {
  if (failed_ || closed_) return;
  int ev = reading_ ? G_IO_IN : 0;
  if (pending() > 0) ev |= G_IO_OUT;
  channel_->set_events(GIOCondition(ev));
}

// --- security layer --------------------------------------------------------

void Transport::install_layer(std::unique_ptr<SecurityLayer> layer) {
  owned_layer_ = std::move(layer);
  install(owned_layer_.get());
}

void Transport::install_layer(SecurityLayer &borrowed) {
  owned_layer_.reset();
  install(&borrowed);
}

void Transport::install(SecurityLayer *layer) {
  if (!stash_view()) return;
  layer_ = layer;
  upgrade_buffered();
}

void Transport::start_tls(std::unique_ptr<TlsSession> tls, TlsDone done) {
  if (failed_ || closed_ || !stash_view()) return;
  handshake_ = std::move(tls);
  tls_done_ = std::move(done);
  upgrade_buffered();
}

// What was received but not consumed before an upgrade is the new layer's.
void Transport::upgrade_buffered() {
  Bytes wire(in_.begin() + static_cast<std::ptrdiff_t>(in_off_), in_.end());
  in_.clear();
  in_off_ = 0;
  // A TLS client speaks first: the handshake runs even with nothing to feed.
  if (wire.empty() && !handshake_) return;
  if (!take_wire(wire.data(), wire.size())) return;
  deliver();
  update_events();
}

// --- ending ---------------------------------------------------------------

void Transport::close_after_flush(std::function<void()> flushed) {
  if (failed_ || closed_) return;
  reading_ = false;
  if (pending() == 0) {
    update_events();
    flushed();
    return;
  }
  flushed_ = std::move(flushed);
  update_events();
}

void Transport::close() {
  if (closed_) return;
  closed_ = true;
  reading_ = false;
  flushed_ = nullptr;
  channel_->close();
  // The buffers go now, not when the owner is reaped: a drained handshake
  // budget should find them free.
  Bytes().swap(in_);
  in_off_ = 0;
  Bytes().swap(out_);
  out_off_ = 0;
}

void Transport::fail(TransportError e) {
  if (failed_ || closed_) return;
  failed_ = true;
  reading_ = false;
  flushed_ = nullptr;
  channel_->cancel();
  if (handler_.failed) {
    ++calling_;
    handler_.failed(e);
    after_call();
  } else {
    unreported_ = e;
  }
}

}  // namespace vncgate
