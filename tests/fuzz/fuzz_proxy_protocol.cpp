// parse_proxy_header on arbitrary bytes. Besides memory safety: a verdict is
// final (every strict prefix of an accepted header needs more, never fails),
// bytes after the header never change it, and nothing longer than the bound
// is accepted.
#include "fuzz_check.h"
#include "net/proxy_protocol.h"

using namespace vncgate;

namespace {

bool same_endpoint(const ProxyEndpoint &a, const ProxyEndpoint &b) {
  return a.family == b.family && a.address == b.address && a.port == b.port;
}

void check_accepted(ByteSpan in, const Parsed<ProxyHeader> &r) {
  size_t used = r.consumed;
  FUZZ_CHECK(used >= 8 && used <= in.size() && used <= kMaxProxyHeader);
  FUZZ_CHECK(r.error.empty());
  auto alone = parse_proxy_header(in.first(used));
  FUZZ_CHECK(alone.status == ParseStatus::Ok && alone.consumed == used);
  FUZZ_CHECK(alone.value.local == r.value.local);
  if (!r.value.local) {
    FUZZ_CHECK(same_endpoint(alone.value.source, r.value.source));
    FUZZ_CHECK(same_endpoint(alone.value.destination, r.value.destination));
    FUZZ_CHECK(!proxy_address_text(r.value.source).empty());
    FUZZ_CHECK(!proxy_address_text(r.value.destination).empty());
  }
  for (size_t n = 0; n < used; ++n)
    FUZZ_CHECK(parse_proxy_header(in.first(n)).status == ParseStatus::NeedMore);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ByteSpan in(data, size);
  auto r = parse_proxy_header(in);
  switch (r.status) {
    case ParseStatus::NeedMore:
      FUZZ_CHECK(size < kMaxProxyHeader);
      break;
    case ParseStatus::Error:
      FUZZ_CHECK(!r.error.empty());
      FUZZ_CHECK(r.consumed == 0);
      break;
    case ParseStatus::Ok:
      check_accepted(in, r);
      break;
  }
  return 0;
}
