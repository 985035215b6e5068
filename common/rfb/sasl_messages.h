// RFB SASL (security type 20) message framing, see docs/rfb-sasl.md §2.
// A data field is u32 length + bytes: 0 = no data (NULL), otherwise N+1
// bytes of which the last is a terminator and is stripped (it should be NUL;
// real clients do not always make it one, so it is not checked).
#pragma once

#include <optional>
#include <string>

#include "rfb/parse.h"

namespace vncgate {

inline constexpr size_t kMaxSaslMechName = 100;
// The largest client data field the codec ever accepts; the daemon applies
// a smaller configured limit ([sasl] max-field) through the parsers' argument.
inline constexpr size_t kMaxSaslClientData = 1024 * 1024;
// 64 KiB holds a Kerberos AP-REQ with a large PAC (tickets of users in many
// groups run to tens of KiB); SCRAM and DIGEST-MD5 messages are far smaller.
inline constexpr size_t kDefaultSaslMaxField = 64 * 1024;
inline constexpr size_t kMaxSaslMechList = 300;  // gtk-vnc rejects longer lists

struct SaslData {
  std::optional<Bytes> data;  // nullopt: the peer sent length 0 (NULL)
};

struct SaslStart {
  std::string mechanism;
  std::optional<Bytes> data;
};

// C→S first message: u32 mechname length (1..100), mechname, data field.
// A data field longer than `max_data` bytes is refused from its length alone.
Parsed<SaslStart> parse_sasl_start(ByteSpan in, size_t max_data = kMaxSaslClientData);

// C→S continuation: one data field.
Parsed<SaslData> parse_sasl_step(ByteSpan in, size_t max_data = kMaxSaslClientData);

// S→C mechanism list: u32 length + comma separated names (no NUL).
Bytes encode_sasl_mechlist(std::string_view mechlist);

// S→C step reply: data field (nullptr = no data) + u8 complete.
Bytes encode_sasl_reply(const char *data, unsigned len, bool complete);

// Client side of the same framing (tests, fuzzers and a future backend
// SASL client): the data field as a client would encode it.
Bytes encode_sasl_data(const char *data, unsigned len);

}  // namespace vncgate
