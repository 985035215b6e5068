#include "link/link_text.h"

namespace vncgate::linktext {

std::string ascii_lower(std::string_view s) {
  std::string out(s);
  for (char &c : out) c = to_lower(c);
  return out;
}

size_t utf8_valid_prefix(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 == 0) return i;
    if (b0 < 0x80) {
      ++i;
      continue;
    }
    size_t need;
    unsigned char lo = 0x80, hi = 0xbf;  // allowed range of the second byte
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      if (b0 == 0xe0)
        lo = 0xa0;  // overlong
      else if (b0 == 0xed)
        hi = 0x9f;  // UTF-16 surrogates
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      if (b0 == 0xf0)
        lo = 0x90;  // overlong
      else if (b0 == 0xf4)
        hi = 0x8f;  // above U+10FFFF
    } else {
      return i;
    }
    if (s.size() - i <= need) return i;
    for (size_t k = 1; k <= need; ++k) {
      auto b = static_cast<unsigned char>(s[i + k]);
      if (k == 1 ? (b < lo || b > hi) : (b < 0x80 || b > 0xbf)) return i;
    }
    i += need + 1;
  }
  return i;
}

std::string utf8_make_valid(std::string_view s) {
  std::string out;
  while (!s.empty()) {
    size_t ok = utf8_valid_prefix(s);
    out.append(s.substr(0, ok));
    if (ok == s.size()) break;
    out.append("\xef\xbf\xbd");
    s.remove_prefix(ok + 1);
  }
  return out;
}

std::string strip(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return std::string(s);
}

}  // namespace vncgate::linktext
