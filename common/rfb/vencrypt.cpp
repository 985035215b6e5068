#include "rfb/vencrypt.h"

namespace vncgate {

std::optional<uint32_t> vencrypt_subtype_from_name(std::string_view name) {
  if (name == "x509-sasl") return kVeNCryptX509Sasl;
  if (name == "tls-sasl") return kVeNCryptTlsSasl;
  if (name == "x509-none") return kVeNCryptX509None;
  return std::nullopt;
}

std::string vencrypt_subtype_name(uint32_t subtype) {
  switch (subtype) {
    case kVeNCryptX509Sasl:
      return "x509-sasl";
    case kVeNCryptTlsSasl:
      return "tls-sasl";
    case kVeNCryptX509None:
      return "x509-none";
    default:
      return "subtype-" + std::to_string(subtype);
  }
}

bool vencrypt_subtype_is_anonymous(uint32_t s) {
  return s == kVeNCryptTlsNone || s == kVeNCryptTlsVnc || s == kVeNCryptTlsPlain ||
         s == kVeNCryptTlsSasl;
}

bool vencrypt_subtype_uses_sasl(uint32_t s) {
  return s == kVeNCryptX509Sasl || s == kVeNCryptTlsSasl;
}

Bytes encode_vencrypt_version() {
  return Bytes{0, 2};
}

Parsed<bool> parse_vencrypt_version(ByteSpan in) {
  if (in.size() < 2) return Parsed<bool>::need_more();
  if (in[0] != 0 || in[1] != 2)
    return Parsed<bool>::fail("unsupported VeNCrypt version " + std::to_string(in[0]) + "." +
                              std::to_string(in[1]));
  return Parsed<bool>::ok(2, true);
}

Bytes encode_vencrypt_subtypes(std::span<const uint32_t> subtypes) {
  Bytes out;
  put_u8(out, 0);
  put_u8(out, static_cast<uint8_t>(subtypes.size()));
  for (uint32_t s : subtypes) put_u32(out, s);
  return out;
}

Bytes encode_vencrypt_version_refused() {
  return Bytes{1};
}

Bytes encode_vencrypt_subtype_ack(bool accepted) {
  return Bytes{static_cast<uint8_t>(accepted ? 1 : 0)};
}

Parsed<uint32_t> parse_vencrypt_choice(ByteSpan in) {
  if (in.size() < 4) return Parsed<uint32_t>::need_more();
  return Parsed<uint32_t>::ok(4, read_u32(in, 0));
}

}  // namespace vncgate
