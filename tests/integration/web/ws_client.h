// A WebSocket client written over a RawSocket, for tests that must control
// every byte: the upgrade's headers (a wrong Origin), masking, frame
// boundaries and sizes (hostile clients). RFC 6455 framing, client side.
// Every read has a deadline.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "raw_socket.h"

namespace vncgate::it {

struct WsFrame {
  bool fin = true;
  int opcode = 0;  // 1 text, 2 binary, 8 close, 9 ping, 10 pong
  std::string payload;
  // A close frame's code (0 when none) and reason.
  int close_code() const;
  std::string close_reason() const;
};

enum WsOpcode { kWsText = 1, kWsBinary = 2, kWsClose = 8, kWsPing = 9, kWsPong = 10 };

class WsClient {
 public:
  // Connects to 127.0.0.1:port and sends the upgrade for `path` with this
  // Origin (none when empty). The HTTP status of the answer (0: none);
  // the headers are kept in response().
  int open(uint16_t port, const std::string &path, const std::string &origin, std::string &error,
           const std::string &extra_headers = {});
  const std::string &response() const { return response_; }

  // One frame, masked unless `masked` is false (hostile tests only).
  bool send_frame(int opcode, const std::string &payload, bool fin = true, bool masked = true);
  // The frame header alone, announcing `length` bytes (for huge frames).
  bool send_header(int opcode, uint64_t length, bool fin = true);
  bool send_text(const std::string &t) { return send_frame(kWsText, t); }
  bool send_binary(const std::string &b) { return send_frame(kWsBinary, b); }
  bool send_raw(const std::string &bytes);

  // The next frame; pings are answered and skipped. nullopt on timeout or EOF.
  std::optional<WsFrame> read_frame(int timeout_ms);
  // Binary payload until exactly `n` bytes are gathered (a close fails it).
  bool read_binary(size_t n, std::string &out, int timeout_ms);
  // Frames until a close frame arrives: it, or nullopt.
  std::optional<WsFrame> read_close(int timeout_ms);

  RawSocket &socket() { return sock_; }

 private:
  RawSocket sock_;
  std::string response_;
  std::string pending_;  // binary payload read beyond what read_binary asked for
};

}  // namespace vncgate::it
