#include "rfb/sasl_messages.h"

#include <algorithm>

namespace vncgate {
namespace {

// One data field at `at`. Returns NeedMore/Ok (consumed counts from `at`)/Error.
Parsed<SaslData> parse_data_field(ByteSpan in, size_t at, size_t max_data) {
  if (in.size() < at + 4) return Parsed<SaslData>::need_more();
  uint32_t len = read_u32(in, at);
  if (len == 0) return Parsed<SaslData>::ok(4, SaslData{std::nullopt});
  max_data = std::min(max_data, kMaxSaslClientData);
  if (len > max_data + 1)
    return Parsed<SaslData>::fail("SASL data larger than " + std::to_string(max_data) + " bytes");
  if (in.size() < at + 4 + len) return Parsed<SaslData>::need_more();
  // The last byte is meant to be a NUL, but gtk-vnc sends whatever follows
  // the SASL output in memory (seen with GSSAPI); QEMU overwrites it and so
  // do we: strip it unchecked.
  auto first = in.begin() + static_cast<std::ptrdiff_t>(at + 4);
  return Parsed<SaslData>::ok(4 + len, SaslData{Bytes(first, first + (len - 1))});
}

}  // namespace

Parsed<SaslStart> parse_sasl_start(ByteSpan in, size_t max_data) {
  if (in.size() < 4) return Parsed<SaslStart>::need_more();
  uint32_t mechlen = read_u32(in, 0);
  if (mechlen < 1 || mechlen > kMaxSaslMechName)
    return Parsed<SaslStart>::fail("SASL mechanism name length out of range");
  if (in.size() < 4 + mechlen) return Parsed<SaslStart>::need_more();
  std::string mech(reinterpret_cast<const char *>(in.data() + 4), mechlen);
  for (char c : mech) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_';
    if (!ok) return Parsed<SaslStart>::fail("invalid character in SASL mechanism name");
  }
  auto field = parse_data_field(in, 4 + mechlen, max_data);
  if (field.status != ParseStatus::Ok) return {field.status, 0, {}, field.error};
  return Parsed<SaslStart>::ok(4 + mechlen + field.consumed,
                               SaslStart{std::move(mech), std::move(field.value.data)});
}

Parsed<SaslData> parse_sasl_step(ByteSpan in, size_t max_data) {
  return parse_data_field(in, 0, max_data);
}

Bytes encode_sasl_mechlist(std::string_view mechlist) {
  Bytes out;
  put_u32(out, static_cast<uint32_t>(mechlist.size()));
  put_string(out, mechlist);
  return out;
}

Bytes encode_sasl_data(const char *data, unsigned len) {
  Bytes out;
  if (data == nullptr) {
    put_u32(out, 0);
    return out;
  }
  put_u32(out, len + 1);
  put_bytes(out, data, len);
  put_u8(out, 0);
  return out;
}

Bytes encode_sasl_reply(const char *data, unsigned len, bool complete) {
  Bytes out = encode_sasl_data(data, len);
  put_u8(out, complete ? 1 : 0);
  return out;
}

}  // namespace vncgate
