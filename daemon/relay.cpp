#include "relay.h"

#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "security/security_layer.h"

namespace vncgate {
namespace {

constexpr size_t kScratch = 128 * 1024;
constexpr int kReadsPerWakeup = 4;  // fairness between sessions

// A peer that closes while bytes are in flight resets the connection: that
// is how sessions usually end, not an error worth alarming anyone.
std::string closed_or_error(const char *side, int err) {
  if (err == ECONNRESET || err == EPIPE) return std::string(side) + " closed (connection reset)";
  return std::string(side) + " connection error: " + std::strerror(err);
}

uint8_t *scratch() {
  static thread_local std::unique_ptr<uint8_t[]> buf(new uint8_t[kScratch]);
  return buf.get();
}

}  // namespace

Relay::Relay(int client_fd, SecurityLayer *client_layer, int backend_fd,
             SecurityLayer *backend_layer, End on_end)
    : on_end_(std::move(on_end)) {
  client_.name = "client";
  client_.fd = client_fd;
  client_.layer = client_layer;
  backend_.name = "backend";
  backend_.fd = backend_fd;
  backend_.layer = backend_layer;
}

Relay::~Relay() = default;

void Relay::queue_raw_to_client(const Bytes &raw) {
  client_.pending.insert(client_.pending.end(), raw.begin(), raw.end());
}

void Relay::start(const Bytes &plain_from_client, const Bytes &plain_from_backend) {
  client_.watch = std::make_unique<FdWatch>(
      client_.fd, [this](GIOCondition c) { on_event(client_, backend_, c); });
  backend_.watch = std::make_unique<FdWatch>(
      backend_.fd, [this](GIOCondition c) { on_event(backend_, client_, c); });
  if (!plain_from_client.empty() &&
      !forward(client_, backend_, plain_from_client.data(), plain_from_client.size(), true))
    return;
  if (!plain_from_backend.empty() &&
      !forward(backend_, client_, plain_from_backend.data(), plain_from_backend.size(), true))
    return;
  update_events(client_);
  update_events(backend_);
}

void Relay::feed_raw_from_client(const Bytes &raw) {
  if (!raw.empty() && !ended_) forward(client_, backend_, raw.data(), raw.size(), false);
}

void Relay::on_event(Side &self, Side &peer, GIOCondition cond) {
  if (ended_) return;
  if (cond & G_IO_OUT) {
    if (!flush(self)) return;
    if (peer.read_paused && self.pending_size() < kLowWater) {
      peer.read_paused = false;
      update_events(peer);
    }
  }
  if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
    if (self.read_paused) {
      if (cond & (G_IO_HUP | G_IO_ERR)) end(std::string(self.name) + " closed");
      return;
    }
    if (!read_from(self, peer)) return;
  }
  update_events(self);
}

bool Relay::read_from(Side &src, Side &dst) {
  uint8_t *buf = scratch();
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    ssize_t n = ::recv(src.fd, buf, kScratch, 0);
    if (n == 0) {
      end(std::string(src.name) + " closed");
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      end(closed_or_error(src.name, errno));
      return false;
    }
    if (!forward(src, dst, buf, static_cast<size_t>(n), false)) return false;
    if (dst.pending_size() > kHighWater) {
      src.read_paused = true;
      return true;
    }
    if (static_cast<size_t>(n) < kScratch) return true;  // drained the socket
  }
  return true;
}

// raw (from src's wire, or plaintext) → src layer decode → dst layer encode → dst.
bool Relay::forward(Side &src, Side &dst, const uint8_t *data, size_t len, bool is_plain) {
  Bytes plain_buf;
  if (src.layer && !is_plain) {
    if (!src.layer->decode(data, len, plain_buf)) {
      end(std::string("protocol error: ") + src.name + " security layer decode failed");
      return false;
    }
    Bytes extra;  // e.g. a TLS key update answered while decoding
    src.layer->take_output(extra);
    if (!extra.empty() && !deliver(src, extra.data(), extra.size())) return false;
    data = plain_buf.data();
    len = plain_buf.size();
  }
  (&src == &client_ ? from_client_ : to_client_) += len;
  if (len == 0) return true;
  if (!dst.layer) return deliver(dst, data, len);
  Bytes wire;
  for (size_t off = 0; off < len; off += dst.layer->max_encode_chunk()) {
    size_t chunk = std::min(dst.layer->max_encode_chunk(), len - off);
    if (!dst.layer->encode(data + off, chunk, wire)) {
      end(std::string("protocol error: ") + dst.name + " security layer encode failed");
      return false;
    }
  }
  return deliver(dst, wire.data(), wire.size());
}

bool Relay::deliver(Side &dst, const uint8_t *data, size_t len) {
  if (dst.pending_size() == 0) {
    while (len > 0) {
      ssize_t n = ::send(dst.fd, data, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        end(closed_or_error(dst.name, errno));
        return false;
      }
      data += n;
      len -= static_cast<size_t>(n);
    }
  }
  if (len > 0) {
    if (dst.pending_off > 0 && dst.pending_off >= dst.pending.size() / 2) {
      dst.pending.erase(dst.pending.begin(),
                        dst.pending.begin() + static_cast<std::ptrdiff_t>(dst.pending_off));
      dst.pending_off = 0;
    }
    dst.pending.insert(dst.pending.end(), data, data + len);
    update_events(dst);
  }
  return true;
}

bool Relay::flush(Side &dst) {
  while (dst.pending_size() > 0) {
    ssize_t n =
        ::send(dst.fd, dst.pending.data() + dst.pending_off, dst.pending_size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      end(closed_or_error(dst.name, errno));
      return false;
    }
    dst.pending_off += static_cast<size_t>(n);
  }
  // Drained: give the memory back so idle sessions stay small.
  Bytes().swap(dst.pending);
  dst.pending_off = 0;
  return true;
}

void Relay::update_events(Side &s) {
  if (ended_ || !s.watch) return;
  int ev = 0;
  if (!s.read_paused) ev |= G_IO_IN;
  if (s.pending_size() > 0) ev |= G_IO_OUT;
  s.watch->set_events(GIOCondition(ev));
}

void Relay::end_quietly() {
  ended_ = true;
  if (client_.watch) client_.watch->cancel();
  if (backend_.watch) backend_.watch->cancel();
}

void Relay::end(const std::string &reason) {
  if (ended_) return;
  end_quietly();
  on_end_(reason);  // the owner destroys us later, from the main loop
}

}  // namespace vncgate
