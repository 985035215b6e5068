#include "relay.h"

#include <sys/socket.h>

#include <cerrno>
#include <cstring>

#include "security/security_layer.h"

namespace vncgate {
namespace {

constexpr size_t kScratch = 128 * 1024;
constexpr int kReadsPerWakeup = 4;  // fairness between sessions

uint8_t *scratch() {
  static thread_local std::unique_ptr<uint8_t[]> buf(new uint8_t[kScratch]);
  return buf.get();
}

}  // namespace

Relay::Relay(int client_fd, int backend_fd, SecurityLayer *layer, End on_end)
    : layer_(layer), on_end_(std::move(on_end)) {
  client_.fd = client_fd;
  backend_.fd = backend_fd;
}

Relay::~Relay() = default;

void Relay::start(const Bytes &early_client, bool client_plain, const Bytes &early_backend) {
  client_.watch = std::make_unique<FdWatch>(
      client_.fd, [this](GIOCondition c) { on_event(client_, backend_, true, c); });
  backend_.watch = std::make_unique<FdWatch>(
      backend_.fd, [this](GIOCondition c) { on_event(backend_, client_, false, c); });
  Bytes dec;
  if (!early_client.empty()) {
    if (layer_ && !client_plain) {
      if (!layer_->decode(early_client.data(), early_client.size(), dec))
        return end("protocol error: security layer decode failed");
    } else {
      dec = early_client;
    }
    from_client_ += dec.size();
    if (!deliver(backend_, dec.data(), dec.size())) return;
  }
  if (!early_backend.empty()) {
    to_client_ += early_backend.size();
    if (layer_) {
      Bytes enc;
      for (size_t off = 0; off < early_backend.size(); off += layer_->max_encode_chunk()) {
        size_t n = std::min(layer_->max_encode_chunk(), early_backend.size() - off);
        if (!layer_->encode(early_backend.data() + off, n, enc))
          return end("protocol error: security layer encode failed");
      }
      if (!deliver(client_, enc.data(), enc.size())) return;
    } else if (!deliver(client_, early_backend.data(), early_backend.size())) {
      return;
    }
  }
  update_events(client_);
  update_events(backend_);
}

void Relay::on_event(Side &self, Side &peer, bool self_is_client, GIOCondition cond) {
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
      if (cond & (G_IO_HUP | G_IO_ERR)) end(self_is_client ? "client closed" : "backend closed");
      return;
    }
    if (!read_from(self, peer, self_is_client)) return;
  }
  update_events(self);
}

bool Relay::read_from(Side &src, Side &dst, bool src_is_client) {
  uint8_t *buf = scratch();
  for (int i = 0; i < kReadsPerWakeup; ++i) {
    size_t room = kScratch;
    if (layer_ && !src_is_client) room = std::min(room, layer_->max_encode_chunk() * 16);
    ssize_t n = ::recv(src.fd, buf, room, 0);
    if (n == 0) {
      end(src_is_client ? "client closed" : "backend closed");
      return false;
    }
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      if (errno == EINTR) continue;
      end(std::string(src_is_client ? "client" : "backend") + " connection error: " +
          std::strerror(errno));
      return false;
    }
    auto len = static_cast<size_t>(n);
    if (!layer_) {
      (src_is_client ? from_client_ : to_client_) += len;
      if (!deliver(dst, buf, len)) return false;
    } else if (src_is_client) {
      Bytes plain;
      if (!layer_->decode(buf, len, plain)) {
        end("protocol error: security layer decode failed");
        return false;
      }
      Bytes extra;
      layer_->take_output(extra);
      if (!extra.empty() && !deliver(src, extra.data(), extra.size())) return false;
      from_client_ += plain.size();
      if (!plain.empty() && !deliver(dst, plain.data(), plain.size())) return false;
    } else {
      to_client_ += len;
      Bytes enc;
      for (size_t off = 0; off < len; off += layer_->max_encode_chunk()) {
        size_t chunk = std::min(layer_->max_encode_chunk(), len - off);
        if (!layer_->encode(buf + off, chunk, enc)) {
          end("protocol error: security layer encode failed");
          return false;
        }
      }
      if (!deliver(dst, enc.data(), enc.size())) return false;
    }
    if (dst.pending_size() > kHighWater) {
      src.read_paused = true;
      update_events(dst);
      return true;
    }
    if (static_cast<size_t>(n) < room) return true;  // drained the socket
  }
  return true;
}

bool Relay::deliver(Side &dst, const uint8_t *data, size_t len) {
  if (dst.pending_size() == 0) {
    while (len > 0) {
      ssize_t n = ::send(dst.fd, data, len, MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) break;
        end(std::string(&dst == &client_ ? "client" : "backend") + " connection error: " +
            std::strerror(errno));
        return false;
      }
      data += n;
      len -= static_cast<size_t>(n);
    }
  }
  if (len > 0) {
    if (dst.pending_off > 0 && dst.pending_off >= dst.pending.size() / 2) {
      dst.pending.erase(dst.pending.begin(), dst.pending.begin() + static_cast<std::ptrdiff_t>(dst.pending_off));
      dst.pending_off = 0;
    }
    dst.pending.insert(dst.pending.end(), data, data + len);
    update_events(dst);
  }
  return true;
}

bool Relay::flush(Side &dst) {
  while (dst.pending_size() > 0) {
    ssize_t n = ::send(dst.fd, dst.pending.data() + dst.pending_off, dst.pending_size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) return true;
      end(std::string(&dst == &client_ ? "client" : "backend") + " connection error: " +
          std::strerror(errno));
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

void Relay::queue_raw_to_client(const Bytes &raw) {
  client_.pending.insert(client_.pending.end(), raw.begin(), raw.end());
}

}  // namespace vncgate
