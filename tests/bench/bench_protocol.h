// The benchmark's own little protocol, spoken after RFB ServerInit (the
// gateway relays those bytes unparsed). The client sends a 9-byte command:
// u8 op + u64 count (big-endian), and the bench backend answers:
//   'U' count: reads and discards `count` bytes, then sends one byte 'K'
//   'D' count: sends `count` bytes
//   'E' count: echoes back the next `count` bytes as they arrive
//   'Q'      : closes the connection
#pragma once

#include <cstdint>

namespace vncgate::bench {

inline constexpr uint8_t kOpUpload = 'U';
inline constexpr uint8_t kOpDownload = 'D';
inline constexpr uint8_t kOpEcho = 'E';
inline constexpr uint8_t kOpQuit = 'Q';
inline constexpr uint8_t kUploadAck = 'K';
inline constexpr size_t kCommandSize = 9;

inline void encode_command(uint8_t op, uint64_t count, uint8_t out[kCommandSize]) {
  out[0] = op;
  for (int i = 0; i < 8; ++i) out[1 + i] = static_cast<uint8_t>(count >> (56 - 8 * i));
}

inline uint64_t decode_count(const uint8_t in[kCommandSize]) {
  uint64_t v = 0;
  for (int i = 0; i < 8; ++i) v = (v << 8) | in[1 + i];
  return v;
}

}  // namespace vncgate::bench
