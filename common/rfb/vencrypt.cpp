#include "rfb/vencrypt.h"

#include <algorithm>

namespace vncgate {

std::optional<uint32_t> vencrypt_subtype_from_name(std::string_view name) {
  if (name == "x509-sasl") return kVeNCryptX509Sasl;
  if (name == "tls-sasl") return kVeNCryptTlsSasl;
  if (name == "x509-none") return kVeNCryptX509None;
  if (name == "x509-plain") return kVeNCryptX509Plain;
  if (name == "tls-plain") return kVeNCryptTlsPlain;
  if (name == "plain") return kVeNCryptPlain;
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
    case kVeNCryptX509Plain:
      return "x509-plain";
    case kVeNCryptTlsPlain:
      return "tls-plain";
    case kVeNCryptPlain:
      return "plain";
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

bool vencrypt_subtype_uses_plain(uint32_t s) {
  return s == kVeNCryptPlain || s == kVeNCryptTlsPlain || s == kVeNCryptX509Plain;
}

bool vencrypt_subtype_starts_tls(uint32_t s) {
  return s != kVeNCryptPlain;
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

void wipe_bytes(uint8_t *b, size_t n) {
  volatile uint8_t *p = b;
  while (n--) *p++ = 0;
}

void PlainCredentials::wipe() {
  wipe_bytes(password.data(), password.size());
  password.clear();
}

PlainCredentials &PlainCredentials::operator=(PlainCredentials &&other) noexcept {
  if (this != &other) {
    wipe();
    user = std::move(other.user);
    password = std::move(other.password);
  }
  return *this;
}

Parsed<PlainCredentials> parse_vencrypt_plain(ByteSpan in) {
  using P = Parsed<PlainCredentials>;
  if (in.size() < 8) return P::need_more();
  const uint32_t user_len = read_u32(in, 0);
  const uint32_t pass_len = read_u32(in, 4);
  if (user_len > kMaxPlainField)
    return P::fail("Plain user name of " + std::to_string(user_len) + " bytes (at most " +
                   std::to_string(kMaxPlainField) + ")");
  if (pass_len > kMaxPlainField)
    return P::fail("Plain password of " + std::to_string(pass_len) + " bytes (at most " +
                   std::to_string(kMaxPlainField) + ")");
  const size_t total = 8 + size_t{user_len} + pass_len;
  if (in.size() < total) return P::need_more();
  PlainCredentials c;
  auto user = in.subspan(8, user_len);
  if (std::find(user.begin(), user.end(), 0) != user.end())
    return P::fail("Plain user name contains a NUL byte");
  c.user.assign(user.begin(), user.end());
  auto pass = in.subspan(8 + user_len, pass_len);
  c.password.assign(pass.begin(), pass.end());
  return P::ok(total, std::move(c));
}

Bytes encode_vencrypt_plain(std::string_view user, std::string_view password) {
  Bytes out;
  put_u32(out, static_cast<uint32_t>(user.size()));
  put_u32(out, static_cast<uint32_t>(password.size()));
  put_string(out, user);
  put_string(out, password);
  return out;
}

}  // namespace vncgate
