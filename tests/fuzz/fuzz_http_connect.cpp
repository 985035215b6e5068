// parse_http_connect on arbitrary bytes. Besides memory safety: a verdict is
// final (no prefix of an accepted preamble is refused), bytes after the
// blank line never change the verdict, and what is accepted is well formed.
#include <cstring>

#include "fuzz_check.h"
#include "rfb/http_connect.h"

using namespace vncgate;

namespace {

void check_accepted(ByteSpan in, const HttpConnectParse &r) {
  const HttpConnectRequest &req = r.result.value;
  size_t used = r.result.consumed;
  FUZZ_CHECK(r.http_status == 200);
  FUZZ_CHECK(r.result.error.empty());
  FUZZ_CHECK(used >= 4 && used <= in.size() && used <= kMaxConnectPreamble);
  FUZZ_CHECK(std::memcmp(in.data() + used - 4, "\r\n\r\n", 4) == 0);
  FUZZ_CHECK(std::memchr(in.data(), 0, used) == nullptr);
  FUZZ_CHECK(is_valid_console_name(req.console));
  FUZZ_CHECK(req.http_minor == 0 || req.http_minor == 1);
  FUZZ_CHECK(req.auth_hint == AuthHint::None || req.auth_hint == AuthHint::Kerberos ||
             req.auth_hint == AuthHint::Password);
  for (const auto &[key, value] : req.query) {
    FUZZ_CHECK(!key.empty());
    for (char c : key + value) FUZZ_CHECK(static_cast<unsigned char>(c) >= 0x20 && c != 0x7f);
  }

  // The preamble alone gives the same request.
  auto alone = parse_http_connect(in.first(used));
  FUZZ_CHECK(alone.result.status == ParseStatus::Ok);
  FUZZ_CHECK(alone.result.consumed == used);
  FUZZ_CHECK(alone.result.value.console == req.console);
  FUZZ_CHECK(alone.result.value.query == req.query);
  FUZZ_CHECK(alone.result.value.auth_hint == req.auth_hint);

  // Strict prefixes are incomplete, never refused: a client that sends the
  // request in several packets must get the same answer.
  auto prefix_needs_more = [&](size_t n) {
    auto p = parse_http_connect(in.first(n));
    FUZZ_CHECK(p.result.status == ParseStatus::NeedMore);
  };
  if (used <= 256) {
    for (size_t n = 0; n < used; ++n) prefix_needs_more(n);
  } else {
    for (size_t n :
         {size_t{0}, size_t{1}, used / 3, used / 2, used - 4, used - 3, used - 2, used - 1})
      prefix_needs_more(n);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ByteSpan in(data, size);
  auto r = parse_http_connect(in);
  switch (r.result.status) {
    case ParseStatus::NeedMore:
      FUZZ_CHECK(size < kMaxConnectPreamble);
      // memchr on the replay's empty input (data == nullptr) would be UB.
      FUZZ_CHECK(size == 0 || std::memchr(data, 0, size) == nullptr);
      break;
    case ParseStatus::Error:
      FUZZ_CHECK(r.http_status == 400 || r.http_status == 404);
      FUZZ_CHECK(!r.result.error.empty());
      FUZZ_CHECK(r.result.consumed == 0);
      break;
    case ParseStatus::Ok:
      check_accepted(in, r);
      break;
  }
  std::string response = http_response(r.result.status == ParseStatus::Ok ? 200 : r.http_status);
  FUZZ_CHECK(response.starts_with("HTTP/1.1 ") && response.ends_with("\r\n\r\n"));
  return 0;
}
