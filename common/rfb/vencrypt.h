// VeNCrypt (RFB security type 19) server-side messages, docs/rfb-sasl.md §5.
// Subtype numbers: rfb/security_types.h.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "rfb/parse.h"
#include "rfb/security_types.h"

namespace vncgate {

// Config names ("x509-sasl", "tls-sasl", "x509-none", "x509-plain",
// "tls-plain", "plain") ↔ numbers.
std::optional<uint32_t> vencrypt_subtype_from_name(std::string_view name);
std::string vencrypt_subtype_name(uint32_t subtype);
bool vencrypt_subtype_is_anonymous(uint32_t subtype);  // TLS* (anonymous DH)
bool vencrypt_subtype_uses_sasl(uint32_t subtype);
// Plain, TLSPlain, X509Plain: a user name and a password, checked by Cyrus.
bool vencrypt_subtype_uses_plain(uint32_t subtype);
// Every subtype but Plain (256) starts TLS after the choice (and its ack).
bool vencrypt_subtype_starts_tls(uint32_t subtype);

// S→C: version 0.2.
Bytes encode_vencrypt_version();
// C→S: u8 major, u8 minor; only 0.2 is accepted.
Parsed<bool> parse_vencrypt_version(ByteSpan in);
// S→C: u8 0 (version ok) + u8 n + n × u32 subtypes.
Bytes encode_vencrypt_subtypes(std::span<const uint32_t> subtypes);
// S→C instead of the subtypes when the client's version is refused: u8 1.
Bytes encode_vencrypt_version_refused();
// C→S: u32 chosen subtype.
Parsed<uint32_t> parse_vencrypt_choice(ByteSpan in);
// S→C: u8 1 when the chosen subtype goes ahead (TLS starts), u8 0 when not.
// Plain (256) has no ack: TigerVNC reads it as the first byte of its TLS
// subtypes, noVNC sends the credentials right after its choice.
Bytes encode_vencrypt_subtype_ack(bool accepted);

// The Plain subtypes' credentials (TigerVNC's CSecurityPlain, noVNC's
// VeNCrypt Plain): C→S u32 user length, u32 password length, user,
// password. Neither length may exceed kMaxPlainField; the user name may
// not contain NUL (it becomes a C string for Cyrus). The password is wiped
// when the value is destroyed or replaced.
constexpr size_t kMaxPlainField = 1024;
struct PlainCredentials {
  std::string user;
  Bytes password;  // sized once: never reallocated, so no copy is left behind

  PlainCredentials() = default;
  PlainCredentials(PlainCredentials &&) noexcept = default;
  PlainCredentials &operator=(PlainCredentials &&other) noexcept;
  PlainCredentials(const PlainCredentials &) = delete;
  PlainCredentials &operator=(const PlainCredentials &) = delete;
  ~PlainCredentials() { wipe(); }
  void wipe();
};
Parsed<PlainCredentials> parse_vencrypt_plain(ByteSpan in);
Bytes encode_vencrypt_plain(std::string_view user, std::string_view password);
// Overwrites `b` with zeros in a way the compiler does not drop.
void wipe_bytes(uint8_t *b, size_t n);

}  // namespace vncgate
