// VeNCrypt (RFB security type 19) server-side messages, docs/rfb-sasl.md §5.
// Subtype numbers as QEMU, gtk-vnc and libvncserver implement them.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "rfb/parse.h"

namespace vncgate {

enum VeNCryptSubtype : uint32_t {
  kVeNCryptPlain = 256,
  kVeNCryptTlsNone = 257,
  kVeNCryptTlsVnc = 258,
  kVeNCryptTlsPlain = 259,
  kVeNCryptX509None = 260,
  kVeNCryptX509Vnc = 261,
  kVeNCryptX509Plain = 262,
  kVeNCryptX509Sasl = 263,
  kVeNCryptTlsSasl = 264,
};

// Config names ("x509-sasl", "tls-sasl", "x509-none") ↔ numbers.
std::optional<uint32_t> vencrypt_subtype_from_name(std::string_view name);
std::string vencrypt_subtype_name(uint32_t subtype);
bool vencrypt_subtype_is_anonymous(uint32_t subtype);  // TLS* (anonymous DH)
bool vencrypt_subtype_uses_sasl(uint32_t subtype);

// S→C: version 0.2.
Bytes encode_vencrypt_version();
// C→S: u8 major, u8 minor; only 0.2 is accepted.
Parsed<bool> parse_vencrypt_version(ByteSpan in);
// S→C: u8 0 (version ok) + u8 n + n × u32 subtypes.
Bytes encode_vencrypt_subtypes(std::span<const uint32_t> subtypes);
// C→S: u32 chosen subtype.
Parsed<uint32_t> parse_vencrypt_choice(ByteSpan in);

}  // namespace vncgate
