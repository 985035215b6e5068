// parse_console_link / parse_vv_file on arbitrary text. Byte 0 picks the
// parser. An accepted link has only checked fields, and a vncgate:// link
// survives to_url() unchanged (the launcher hands that form on).
#include <algorithm>

#include "fuzz_check.h"
#include "link/console_link.h"
#include "rfb/http_connect.h"

using namespace vncgate;

namespace {

bool no_control(const std::string &s) {
  return std::none_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

void check_link(const ConsoleLink &l) {
  FUZZ_CHECK(is_valid_link_host(l.host));
  FUZZ_CHECK(l.port != 0);
  FUZZ_CHECK(l.console.empty() || is_valid_console_name(l.console));
  FUZZ_CHECK(l.token.empty() || is_valid_token(l.token));
  FUZZ_CHECK(no_control(l.title) && no_control(l.username));
  FUZZ_CHECK(l.username.empty() || l.username[0] != '-');
  FUZZ_CHECK(no_control(l.display_name()));
}

void check_round_trip(const ConsoleLink &l) {
  if (l.kind != LinkKind::Vncgate) return;
  std::string url = l.to_url();
  auto again = parse_console_link(url);
  if (!again.link)
    std::fprintf(stderr, "to_url() gave '%s': %s\n", url.c_str(), again.error.c_str());
  FUZZ_CHECK(again.link.has_value());
  const ConsoleLink &b = *again.link;
  FUZZ_CHECK(b.kind == l.kind && b.host == l.host && b.port == l.port);
  FUZZ_CHECK(b.console == l.console && b.token == l.token && b.tls == l.tls);
  FUZZ_CHECK(b.title == l.title);
  FUZZ_CHECK(b.identity() == l.identity());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size == 0) return 0;
  std::string_view text(reinterpret_cast<const char *>(data) + 1, size - 1);
  LinkParse r = data[0] & 1 ? parse_vv_file(text) : parse_console_link(text);
  if (!r.link) {
    FUZZ_CHECK(!r.error.empty());
    return 0;
  }
  FUZZ_CHECK(r.error.empty());
  check_link(*r.link);
  check_round_trip(*r.link);
  return 0;
}
