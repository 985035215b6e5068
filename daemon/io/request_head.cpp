#include "io/request_head.h"

#include <algorithm>
#include <string_view>

namespace vncgate {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return (x | 0x20) == (y | 0x20);  // ASCII letters and '-' only matter here
         });
}

// Where the head ends (after its blank line), or npos.
size_t head_end(std::string_view s) {
  for (size_t i = s.find('\n'); i != std::string_view::npos; i = s.find('\n', i + 1)) {
    if (i + 1 < s.size() && s[i + 1] == '\n') return i + 2;
    if (i + 2 < s.size() && s[i + 1] == '\r' && s[i + 2] == '\n') return i + 3;
  }
  return std::string_view::npos;
}

}  // namespace

RequestHeadVerdict check_request_head(ByteSpan bytes, BodyRule rule) {
  RequestHeadVerdict v;
  const std::string_view all(reinterpret_cast<const char *>(bytes.data()), bytes.size());
  // Empty lines before the request line are skipped (RFC 9112 2.2), as
  // libsoup does; they count against the bound.
  const size_t start = std::min(all.find_first_not_of("\r\n"), all.size());
  size_t end = head_end(
      all.substr(start, std::min(all.size(), kMaxRequestHead) - std::min(start, kMaxRequestHead)));
  if (end != std::string_view::npos) end += start;
  if (end == std::string_view::npos) {
    if (all.size() >= kMaxRequestHead) {
      v.status = RequestHeadVerdict::Status::Refused;
      v.reason = "a request head longer than " + std::to_string(kMaxRequestHead) + " bytes";
    }
    return v;
  }
  const std::string_view head = all.substr(start, end - start);
  // Every line but the request line: a name before ':' (folded lines and
  // odd spacing included: this is wider than libsoup's own reading).
  int lengths = 0, encodings = 0;
  auto refuse = [&v](std::string why) {
    v.status = RequestHeadVerdict::Status::Refused;
    v.reason = std::move(why);
    return v;
  };
  size_t line_start = head.find('\n');
  while (line_start != std::string_view::npos && line_start + 1 < head.size()) {
    const size_t next = head.find('\n', line_start + 1);
    const std::string_view line = head.substr(
        line_start + 1, (next == std::string_view::npos ? head.size() : next) - line_start - 1);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      const std::string_view name = trim(line.substr(0, colon));
      const std::string_view value = trim(line.substr(colon + 1));
      const bool length = same_name(name, "content-length");
      const bool encoding = same_name(name, "transfer-encoding");
      if ((length || encoding) && rule == BodyRule::None)
        return refuse("a request with a body (" + std::string(name) + ")");
      if (length && (++lengths > 1 || value.empty() ||
                     value.find_first_not_of("0123456789") != std::string_view::npos))
        return refuse("a Content-Length that is not one number");
      if (encoding && (++encodings > 1 || !same_name(value, "chunked")))
        return refuse("a Transfer-Encoding other than chunked");
      if (same_name(name, "upgrade")) v.upgrade = true;
    }
    line_start = next;
  }
  if (lengths && encodings) return refuse("both Content-Length and Transfer-Encoding");
  v.status = RequestHeadVerdict::Status::Ok;
  v.length = end;
  return v;
}

}  // namespace vncgate
