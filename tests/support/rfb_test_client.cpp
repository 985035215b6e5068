#include "rfb_test_client.h"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "rfb/parse.h"
#include "rfb/rfb_server.h"

namespace vncgate::testing {
namespace {

constexpr size_t kReadChunk = 65536;      // reads through the security layer
constexpr size_t kHandshakeChunk = 4096;  // buffered handshake reads
constexpr size_t kMaxHttpHead = 8192;
constexpr uint32_t kMaxReason = 65536;

std::span<const uint8_t> as_bytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t *>(s.data()), s.size()};
}

}  // namespace

std::string printable(std::string_view s) {
  std::string out;
  for (unsigned char c : s) {
    if (c >= 0x20 && c < 0x7f)
      out += static_cast<char>(c);
    else if (c == '\n')
      out += "\\n";
    else if (c == '\r')
      out += "\\r";
    else {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", c);
      out += buf;
    }
  }
  return out;
}

RfbSaslTestClient::RfbSaslTestClient(int timeout_ms) : sock_(timeout_ms) {}
RfbSaslTestClient::~RfbSaslTestClient() = default;

bool RfbSaslTestClient::fail(std::string why) {
  error_ = std::move(why);
  return false;
}

bool RfbSaslTestClient::connect(const std::string &host, uint16_t port) {
  close();
  host_ = host;
  std::string err;
  if (!sock_.connect(host, port, err)) return fail(err);
  return true;
}

void RfbSaslTestClient::close() {
  sock_.close();
  raw_in_.clear();
  raw_pos_ = 0;
  plain_in_.clear();
  plain_pos_ = 0;
  eof_ = false;
  sasl_.reset();
  sasl_ok_ = false;
  ssf_ = 0;
  layer_ = false;
}

// ---- raw buffered input ------------------------------------------------------

bool RfbSaslTestClient::fill(size_t need, const char *what) {
  if (raw_pos_ > 0 && raw_pos_ == raw_in_.size()) {
    raw_in_.clear();
    raw_pos_ = 0;
  }
  while (raw_buffered() < need) {
    size_t old = raw_in_.size();
    size_t chunk = std::max(kHandshakeChunk, need - raw_buffered());
    raw_in_.resize(old + chunk);
    std::string err;
    long n = sock_.read_some(raw_in_.data() + old, chunk, err);
    raw_in_.resize(old + static_cast<size_t>(n > 0 ? n : 0));
    if (n == 0) {
      eof_ = true;
      return fail(std::string(what) + ": connection closed by peer (" +
                  std::to_string(raw_buffered()) + " of " + std::to_string(need) +
                  " bytes received)");
    }
    if (n < 0) return fail(std::string(what) + ": " + err);
  }
  return true;
}

bool RfbSaslTestClient::recv_raw_exact(uint8_t *buf, size_t n) {
  if (!fill(n, "reading raw bytes")) return false;
  std::memcpy(buf, raw_in_.data() + raw_pos_, n);
  raw_pos_ += n;
  return true;
}

std::optional<Bytes> RfbSaslTestClient::recv_raw_exact(size_t n) {
  Bytes out(n);
  if (!recv_raw_exact(out.data(), n)) return std::nullopt;
  return out;
}

long RfbSaslTestClient::recv_raw_some(uint8_t *buf, size_t max) {
  if (raw_buffered() > 0) {
    size_t n = std::min(max, raw_buffered());
    std::memcpy(buf, raw_in_.data() + raw_pos_, n);
    raw_pos_ += n;
    return static_cast<long>(n);
  }
  std::string err;
  long n = sock_.read_some(buf, max, err);
  if (n == 0) {
    eof_ = true;
    error_ = "connection closed by peer";
  } else if (n < 0) {
    error_ = err;
  }
  return n;
}

bool RfbSaslTestClient::send_raw(std::span<const uint8_t> data) {
  std::string err;
  if (!sock_.write_all(data, err)) return fail(err);
  return true;
}

bool RfbSaslTestClient::send_raw(std::string_view text) {
  return send_raw(as_bytes(text));
}

bool RfbSaslTestClient::wait_closed(int timeout_ms) {
  std::string err;
  if (!sock_.wait_closed(timeout_ms, err)) return fail(err);
  return true;
}

bool RfbSaslTestClient::read_u32(uint32_t &v, const char *what) {
  if (!fill(4, what)) return false;
  v = vncgate::read_u32(ByteSpan(raw_in_.data() + raw_pos_, 4), 0);
  raw_pos_ += 4;
  return true;
}

bool RfbSaslTestClient::read_reason(std::string &out, const char *what) {
  uint32_t len = 0;
  if (!read_u32(len, what)) return false;
  if (len > kMaxReason)
    return fail(std::string(what) + ": reason length " + std::to_string(len) + " is absurd");
  if (!fill(len, what)) return false;
  out.assign(reinterpret_cast<const char *>(raw_in_.data() + raw_pos_), len);
  raw_pos_ += len;
  return true;
}

// ---- HTTP CONNECT ------------------------------------------------------------

int RfbSaslTestClient::http_connect(std::string_view path, std::string_view http_version,
                                    std::string_view headers) {
  std::string req = "CONNECT " + std::string(path) + " " + std::string(http_version) + "\r\n" +
                    std::string(headers) + "\r\n";
  if (!send_raw(req)) return -1;
  http_response_.clear();
  size_t scanned = 0;
  for (;;) {
    std::string_view have(reinterpret_cast<const char *>(raw_in_.data() + raw_pos_),
                          raw_buffered());
    size_t end = have.find("\r\n\r\n", scanned > 3 ? scanned - 3 : 0);
    if (end != std::string_view::npos) {
      http_response_ = std::string(have.substr(0, end + 4));
      raw_pos_ += end + 4;
      break;
    }
    scanned = have.size();
    if (have.size() > kMaxHttpHead) {
      fail("HTTP CONNECT: response head longer than " + std::to_string(kMaxHttpHead) + " bytes");
      return -1;
    }
    if (!fill(have.size() + 1, "reading the HTTP CONNECT response")) {
      if (have.empty()) return -1;
      http_response_ = std::string(have);  // a status line before EOF still counts
      raw_pos_ += have.size();
      break;
    }
  }
  // "HTTP/1.x NNN ..."
  if (http_response_.size() < 12 || http_response_.compare(0, 7, "HTTP/1.") != 0 ||
      http_response_[8] != ' ') {
    fail("HTTP CONNECT: malformed status line: " + printable(http_response_.substr(0, 64)));
    return -1;
  }
  int code = 0;
  for (size_t i = 9; i < 12; ++i) {
    if (http_response_[i] < '0' || http_response_[i] > '9') {
      fail("HTTP CONNECT: malformed status code: " + printable(http_response_.substr(0, 64)));
      return -1;
    }
    code = code * 10 + (http_response_[i] - '0');
  }
  return code;
}

// ---- version and security type ----------------------------------------------

bool RfbSaslTestClient::read_server_version() {
  if (!fill(12, "reading the server ProtocolVersion")) return false;
  ByteSpan in(raw_in_.data() + raw_pos_, 12);
  server_version_.assign(reinterpret_cast<const char *>(in.data()), 12);
  raw_pos_ += 12;
  auto parsed = parse_server_version(in);
  if (parsed.status != ParseStatus::Ok)
    return fail("server ProtocolVersion \"" + printable(server_version_) + "\": " + parsed.error);
  return true;
}

bool RfbSaslTestClient::send_client_version(int minor) {
  client_minor_ = minor;
  return send_raw(format_version({3, minor}));
}

std::optional<std::vector<uint8_t>> RfbSaslTestClient::read_security_types() {
  refusal_reason_.clear();
  if (!fill(1, "reading the security types")) return std::nullopt;
  uint8_t count = raw_in_[raw_pos_++];
  if (count == 0) {
    if (!read_reason(refusal_reason_, "reading the security refusal reason")) return std::nullopt;
    fail("server refused the connection: " + printable(refusal_reason_));
    return std::nullopt;
  }
  if (!fill(count, "reading the security types")) return std::nullopt;
  std::vector<uint8_t> types(raw_in_.begin() + static_cast<std::ptrdiff_t>(raw_pos_),
                             raw_in_.begin() + static_cast<std::ptrdiff_t>(raw_pos_ + count));
  raw_pos_ += count;
  return types;
}

std::optional<uint32_t> RfbSaslTestClient::read_security_type_v33() {
  refusal_reason_.clear();
  uint32_t type = 0;
  if (!read_u32(type, "reading the 3.3 security type")) return std::nullopt;
  if (type == 0) {
    if (!read_reason(refusal_reason_, "reading the 3.3 refusal reason")) return std::nullopt;
    fail("server refused the connection: " + printable(refusal_reason_));
    return std::nullopt;
  }
  return type;
}

bool RfbSaslTestClient::choose_security_type(uint8_t type) {
  uint8_t b = type;
  return send_raw(std::span<const uint8_t>(&b, 1));
}

// ---- after authentication ------------------------------------------------------

bool RfbSaslTestClient::client_init(bool shared) {
  uint8_t b = shared ? 1 : 0;
  return send(std::span<const uint8_t>(&b, 1));
}

std::optional<ServerInitMsg> RfbSaslTestClient::read_server_init() {
  uint8_t head[24];
  if (!recv_exact(head, sizeof head)) {
    error_ = "reading ServerInit: " + error_;
    return std::nullopt;
  }
  ServerInitMsg msg;
  ByteSpan h(head, sizeof head);
  msg.width = read_u16(h, 0);
  msg.height = read_u16(h, 2);
  std::copy(head + 4, head + 20, msg.pixel_format.begin());
  uint32_t len = vncgate::read_u32(h, 20);
  if (len > kMaxReason) {
    fail("ServerInit: name length " + std::to_string(len) + " is absurd");
    return std::nullopt;
  }
  msg.name.resize(len);
  if (len > 0 && !recv_exact(reinterpret_cast<uint8_t *>(msg.name.data()), len)) {
    error_ = "reading the ServerInit name: " + error_;
    return std::nullopt;
  }
  return msg;
}

bool RfbSaslTestClient::send(std::span<const uint8_t> data) {
  if (!layer_) return send_raw(data);
  encode_buf_.clear();
  std::string err;
  if (!sasl_->encode(data, encode_buf_, err)) return fail(err);
  return send_raw(encode_buf_);
}

bool RfbSaslTestClient::send(std::string_view text) {
  return send(as_bytes(text));
}

long RfbSaslTestClient::recv_some(uint8_t *buf, size_t max) {
  if (!layer_) return recv_raw_some(buf, max);
  while (plain_pos_ == plain_in_.size()) {
    plain_in_.clear();
    plain_pos_ = 0;
    if (scratch_.size() < kReadChunk) scratch_.resize(kReadChunk);
    std::string err;
    long n = sock_.read_some(scratch_.data(), kReadChunk, err);
    if (n <= 0) {
      if (n == 0) {
        eof_ = true;
        error_ = "connection closed by peer";
      } else {
        error_ = err;
      }
      return n;
    }
    if (!sasl_->decode(ByteSpan(scratch_.data(), static_cast<size_t>(n)), plain_in_, err)) {
      error_ = err;
      return -1;
    }
  }
  size_t n = std::min(max, plain_in_.size() - plain_pos_);
  std::memcpy(buf, plain_in_.data() + plain_pos_, n);
  plain_pos_ += n;
  return static_cast<long>(n);
}

bool RfbSaslTestClient::recv_exact(uint8_t *buf, size_t n) {
  size_t done = 0;
  while (done < n) {
    long got = recv_some(buf + done, n - done);
    if (got <= 0)
      return fail(error_ + " (after " + std::to_string(done) + " of " + std::to_string(n) +
                  " bytes)");
    done += static_cast<size_t>(got);
  }
  return true;
}

std::optional<Bytes> RfbSaslTestClient::recv_exact(size_t n) {
  Bytes out(n);
  if (!recv_exact(out.data(), n)) return std::nullopt;
  return out;
}

}  // namespace vncgate::testing
