// VeNCrypt (RFB security type 19) server-side messages, docs/rfb-sasl.md §5.
// Subtype numbers: rfb/security_types.h.
#pragma once

#include <optional>
#include <span>
#include <string>

#include "rfb/parse.h"
#include "rfb/security_types.h"

namespace vncgate {

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
// S→C instead of the subtypes when the client's version is refused: u8 1.
Bytes encode_vencrypt_version_refused();
// C→S: u32 chosen subtype.
Parsed<uint32_t> parse_vencrypt_choice(ByteSpan in);
// S→C: u8 1 when the chosen subtype goes ahead (TLS starts), u8 0 when not.
Bytes encode_vencrypt_subtype_ack(bool accepted);

}  // namespace vncgate
