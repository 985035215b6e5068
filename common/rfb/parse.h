// Result type shared by the pure protocol parsers: they look at an input
// buffer, never at a socket, and either need more bytes, yield a message and
// how many bytes it used, or fail with the reason a peer or operator will see.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vncgate {

using Bytes = std::vector<uint8_t>;
using ByteSpan = std::span<const uint8_t>;

enum class ParseStatus { NeedMore, Ok, Error };

template <typename T>
struct Parsed {
  ParseStatus status = ParseStatus::NeedMore;
  size_t consumed = 0;  // bytes used when status == Ok
  T value{};
  std::string error;  // why, when status == Error

  static Parsed need_more() { return {}; }
  static Parsed ok(size_t used, T v) { return {ParseStatus::Ok, used, std::move(v), {}}; }
  static Parsed fail(std::string why) { return {ParseStatus::Error, 0, T{}, std::move(why)}; }
};

inline uint32_t read_u32(ByteSpan b, size_t at) {
  return (uint32_t{b[at]} << 24) | (uint32_t{b[at + 1]} << 16) | (uint32_t{b[at + 2]} << 8) |
         uint32_t{b[at + 3]};
}
inline uint16_t read_u16(ByteSpan b, size_t at) {
  return static_cast<uint16_t>((b[at] << 8) | b[at + 1]);
}
inline void put_u8(Bytes &out, uint8_t v) {
  out.push_back(v);
}
inline void put_u16(Bytes &out, uint16_t v) {
  out.push_back(static_cast<uint8_t>(v >> 8));
  out.push_back(static_cast<uint8_t>(v));
}
inline void put_u32(Bytes &out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<uint8_t>(v >> shift));
}
inline void put_bytes(Bytes &out, const void *data, size_t len) {
  auto p = static_cast<const uint8_t *>(data);
  out.insert(out.end(), p, p + len);
}
inline void put_string(Bytes &out, std::string_view s) {
  put_bytes(out, s.data(), s.size());
}

}  // namespace vncgate
