#include "ws_client.h"

#include <chrono>
#include <random>

namespace vncgate::it {
namespace {

using Clock = std::chrono::steady_clock;

int left_ms(Clock::time_point deadline) {
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return ms > 0 ? static_cast<int>(ms) : 0;
}

std::string length_bytes(uint64_t n, bool masked, int first) {
  std::string h(1, static_cast<char>(first));
  const char mask_bit = masked ? char(0x80) : 0;
  if (n < 126) {
    h += static_cast<char>(mask_bit | static_cast<char>(n));
  } else if (n <= 0xffff) {
    h += static_cast<char>(mask_bit | 126);
    h += static_cast<char>(n >> 8);
    h += static_cast<char>(n & 0xff);
  } else {
    h += static_cast<char>(mask_bit | 127);
    for (int i = 7; i >= 0; --i) h += static_cast<char>((n >> (8 * i)) & 0xff);
  }
  return h;
}

}  // namespace

int WsFrame::close_code() const {
  if (payload.size() < 2) return 0;
  return (static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]);
}

std::string WsFrame::close_reason() const {
  return payload.size() > 2 ? payload.substr(2) : "";
}

int WsClient::open(uint16_t port, const std::string &path, const std::string &origin,
                   std::string &error, const std::string &extra_headers) {
  if (!sock_.connect(port, error)) return 0;
  std::string req = "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n";
  if (!origin.empty()) req += "Origin: " + origin + "\r\n";
  req += extra_headers + "\r\n";
  if (!sock_.send(req, error)) return 0;
  response_.clear();
  if (!sock_.read_until("\r\n\r\n", response_, 5000, 16384)) {
    error = "no complete HTTP answer: '" + response_ + "'";
    return 0;
  }
  if (response_.size() < 12 || !response_.starts_with("HTTP/1.1 ")) return 0;
  return std::stoi(response_.substr(9, 3));
}

bool WsClient::send_raw(const std::string &bytes) {
  std::string error;
  return sock_.send(bytes, error);
}

bool WsClient::send_header(int opcode, uint64_t length, bool fin) {
  std::string h = length_bytes(length, true, (fin ? 0x80 : 0) | opcode);
  h += std::string("\x11\x22\x33\x44", 4);
  return send_raw(h);
}

bool WsClient::send_frame(int opcode, const std::string &payload, bool fin, bool masked) {
  std::string f = length_bytes(payload.size(), masked, (fin ? 0x80 : 0) | opcode);
  if (!masked) return send_raw(f + payload);
  static std::mt19937 rng(std::random_device{}());
  char key[4];
  for (char &k : key) k = static_cast<char>(rng());
  f.append(key, 4);
  for (size_t i = 0; i < payload.size(); ++i) f += static_cast<char>(payload[i] ^ key[i % 4]);
  return send_raw(f);
}

std::optional<WsFrame> WsClient::read_frame(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    std::string h;
    if (!sock_.read_exact(2, h, left_ms(deadline))) return std::nullopt;
    WsFrame f;
    f.fin = h[0] & 0x80;
    f.opcode = h[0] & 0x0f;
    uint64_t len = h[1] & 0x7f;
    if (h[1] & 0x80) return std::nullopt;  // a server never masks
    std::string ext;
    if (len == 126 || len == 127) {
      size_t n = len == 126 ? 2 : 8;
      if (!sock_.read_exact(n, ext, left_ms(deadline))) return std::nullopt;
      len = 0;
      for (char c : ext) len = (len << 8) | static_cast<uint8_t>(c);
    }
    if (len > (64u << 20)) return std::nullopt;
    if (len && !sock_.read_exact(len, f.payload, left_ms(deadline))) return std::nullopt;
    if (f.opcode == kWsPing) {
      send_frame(kWsPong, f.payload);
      continue;
    }
    return f;
  }
}

bool WsClient::read_binary(size_t n, std::string &out, int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (pending_.size() < n) {
    auto f = read_frame(left_ms(deadline));
    if (!f || f->opcode == kWsClose) return false;
    if (f->opcode == kWsBinary || f->opcode == 0) pending_ += f->payload;
  }
  out += pending_.substr(0, n);
  pending_.erase(0, n);
  return true;
}

std::optional<WsFrame> WsClient::read_close(int timeout_ms) {
  const auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  while (left_ms(deadline) > 0) {
    auto f = read_frame(left_ms(deadline));
    if (!f) return std::nullopt;
    if (f->opcode == kWsClose) return f;
  }
  return std::nullopt;
}

}  // namespace vncgate::it
