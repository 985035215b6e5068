// Server-side RFB handshake messages up to the security type choice, and the
// SecurityResult. Pure functions over buffers.
#pragma once

#include <string_view>

#include "rfb/parse.h"
#include "rfb/security_types.h"

namespace vncgate {

struct RfbVersion {
  int major = 3;
  int minor = 8;
  bool operator==(const RfbVersion &) const = default;
};

inline constexpr std::string_view kServerVersion = "RFB 003.008\n";

// The client's 12-byte ProtocolVersion. 3.3, 3.7 and 3.8 are accepted;
// 3.4/3.5 count as 3.3 (as old clients meant); anything else is an error.
Parsed<RfbVersion> parse_client_version(ByteSpan in);

// The 12-byte "RFB xxx.yyy\n" a server sends; used by the backend client.
Parsed<RfbVersion> parse_server_version(ByteSpan in);

std::string format_version(RfbVersion v);

// 3.7/3.8 security offer: u8 count + types.
Bytes encode_security_types(std::span<const uint8_t> types);

// The server's ProtocolVersion (kServerVersion).
Bytes encode_server_version();

// 3.7/3.8 refusal in place of the offer: u8 0 (no types), u32 length, reason.
Bytes encode_security_types_refusal(std::string_view reason);

// 3.3 refusal: u32 0, u32 length, reason.
Bytes encode_v33_refusal(std::string_view reason);

// One byte: the client's security type choice.
Parsed<uint8_t> parse_security_choice(ByteSpan in);

// SecurityResult: u32 0 on success; u32 1 plus (on 3.8) a reason on failure.
Bytes encode_security_result(bool ok, std::string_view reason, RfbVersion v);

}  // namespace vncgate
