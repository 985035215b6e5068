#include "text/clean_utf8.h"

#include <cstdio>

namespace vncgate {

size_t utf8_sequence_length(std::string_view s, uint32_t &cp) {
  if (s.empty()) return 0;
  auto byte = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char c = byte(0);
  size_t len;
  uint32_t min;
  if (c < 0x80) {
    cp = c;
    return 1;
  } else if (c >= 0xc2 && c <= 0xdf) {
    len = 2, cp = c & 0x1f, min = 0x80;
  } else if (c >= 0xe0 && c <= 0xef) {
    len = 3, cp = c & 0x0f, min = 0x800;
  } else if (c >= 0xf0 && c <= 0xf4) {
    len = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;  // a continuation byte, 0xc0/0xc1 (always overlong) or 0xf5..0xff
  }
  if (s.size() < len) return 0;
  for (size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (byte(i) & 0x3f);
  }
  if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

std::string clean_utf8(std::string_view text, CleanUtf8 style) {
  const char *stray = style == CleanUtf8::JsonDocument ? "\\\\x%02x" : "\\x%02x";
  std::string out;
  out.reserve(text.size());
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    size_t len = utf8_sequence_length(text.substr(i), cp);
    char buf[16];
    if (len == 0) {
      std::snprintf(buf, sizeof buf, stray, static_cast<unsigned char>(text[i]));
      out += buf;
      ++i;
      continue;
    }
    if (cp == 0x2028 || cp == 0x2029) {
      std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(text.substr(i, len));
    }
    i += len;
  }
  return out;
}

bool is_clean_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    uint32_t cp = 0;
    size_t len = utf8_sequence_length(text.substr(i), cp);
    if (len == 0 || cp == 0x2028 || cp == 0x2029) return false;
    i += len;
  }
  return true;
}

}  // namespace vncgate
