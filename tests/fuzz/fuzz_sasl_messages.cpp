// parse_sasl_start / parse_sasl_step on arbitrary bytes. Whatever is accepted
// re-encodes to the bytes consumed (but for the unchecked terminator), stays within the limits, and
// no prefix of it is refused.
#include <cstring>

#include "fuzz_check.h"
#include "rfb/sasl_messages.h"

using namespace vncgate;

namespace {

Bytes reencode(const std::optional<Bytes> &data) {
  if (!data) return encode_sasl_data(nullptr, 0);
  // An empty vector's data() may be null, which encode_sasl_data reads as "no data".
  if (data->empty()) return encode_sasl_data("", 0);
  return encode_sasl_data(reinterpret_cast<const char *>(data->data()),
                          static_cast<unsigned>(data->size()));
}

// The data field's last byte is a terminator the parser strips unchecked
// (gtk-vnc does not always send a NUL there); everything else must match.
bool same_but_terminator(const Bytes &again, ByteSpan in, bool has_data) {
  if (again.size() > in.size()) return false;
  Bytes actual(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(again.size()));
  if (has_data && !actual.empty()) actual.back() = 0;
  return std::memcmp(again.data(), actual.data(), again.size()) == 0;
}

template <typename Parse>
void prefixes_need_more(ByteSpan in, size_t used, Parse parse) {
  auto check = [&](size_t n) { FUZZ_CHECK(parse(in.first(n)).status == ParseStatus::NeedMore); };
  if (used <= 200) {
    for (size_t n = 0; n < used; ++n) check(n);
  } else {
    for (size_t n : {size_t{0}, size_t{3}, size_t{4}, used / 2, used - 2, used - 1}) check(n);
  }
}

void check_start(ByteSpan in) {
  auto r = parse_sasl_start(in);
  if (r.status == ParseStatus::Error) {
    FUZZ_CHECK(!r.error.empty());
    return;
  }
  if (r.status == ParseStatus::NeedMore) return;
  const std::string &mech = r.value.mechanism;
  FUZZ_CHECK(!mech.empty() && mech.size() <= kMaxSaslMechName);
  for (char c : mech) {
    FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
               c == '-' || c == '_');
  }
  FUZZ_CHECK(!r.value.data || r.value.data->size() <= kMaxSaslClientData);
  Bytes again;
  put_u32(again, static_cast<uint32_t>(mech.size()));
  put_string(again, mech);
  Bytes field = reencode(r.value.data);
  again.insert(again.end(), field.begin(), field.end());
  FUZZ_CHECK(r.consumed == again.size() && r.consumed <= in.size());
  FUZZ_CHECK(same_but_terminator(again, in, r.value.data.has_value()));
  prefixes_need_more(in, r.consumed, [](ByteSpan b) { return parse_sasl_start(b); });
}

void check_step(ByteSpan in) {
  auto r = parse_sasl_step(in);
  if (r.status == ParseStatus::Error) {
    FUZZ_CHECK(!r.error.empty());
    return;
  }
  if (r.status == ParseStatus::NeedMore) {
    FUZZ_CHECK(in.size() < 4 || in.size() < 4 + size_t{read_u32(in, 0)});
    return;
  }
  FUZZ_CHECK(!r.value.data || r.value.data->size() <= kMaxSaslClientData);
  Bytes again = reencode(r.value.data);
  FUZZ_CHECK(r.consumed == again.size() && r.consumed <= in.size());
  FUZZ_CHECK(same_but_terminator(again, in, r.value.data.has_value()));
  prefixes_need_more(in, r.consumed, [](ByteSpan b) { return parse_sasl_step(b); });
}

// Encoders: what a client or the server would send parses back to the data.
void check_round_trip(ByteSpan in) {
  // Never null: a null pointer encodes "no data" rather than empty data.
  const char *p = in.empty() ? "" : reinterpret_cast<const char *>(in.data());
  auto n = static_cast<unsigned>(in.size());
  Bytes enc = encode_sasl_data(p, n);
  auto r = parse_sasl_step(enc);
  FUZZ_CHECK(r.status == ParseStatus::Ok && r.consumed == enc.size());
  FUZZ_CHECK(r.value.data && r.value.data->size() == in.size());
  FUZZ_CHECK(in.empty() || std::memcmp(r.value.data->data(), in.data(), in.size()) == 0);
  Bytes reply = encode_sasl_reply(p, n, in.size() % 2 == 1);
  FUZZ_CHECK(reply.size() == enc.size() + 1 && reply.back() == (in.size() % 2 == 1 ? 1 : 0));
  std::string_view list(p, in.size());
  Bytes mechlist = encode_sasl_mechlist(list);
  FUZZ_CHECK(mechlist.size() == 4 + in.size() && read_u32(mechlist, 0) == in.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ByteSpan in(data, size);
  check_start(in);
  check_step(in);
  check_round_trip(in);
  return 0;
}
