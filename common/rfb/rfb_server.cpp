#include "rfb/rfb_server.h"

#include <algorithm>
#include <cstdio>

namespace vncgate {
namespace {

// "RFB xxx.yyy\n" with decimal digits.
bool parse_version_text(ByteSpan in, int &major, int &minor) {
  if (in[0] != 'R' || in[1] != 'F' || in[2] != 'B' || in[3] != ' ' || in[7] != '.' ||
      in[11] != '\n')
    return false;
  auto digits = [&](size_t at, int &out) {
    out = 0;
    for (size_t i = at; i < at + 3; ++i) {
      if (in[i] < '0' || in[i] > '9') return false;
      out = out * 10 + (in[i] - '0');
    }
    return true;
  };
  return digits(4, major) && digits(8, minor);
}

}  // namespace

Parsed<RfbVersion> parse_client_version(ByteSpan in) {
  if (in.size() < 12) return Parsed<RfbVersion>::need_more();
  int major, minor;
  if (!parse_version_text(in, major, minor))
    return Parsed<RfbVersion>::fail("not an RFB ProtocolVersion message");
  if (major != 3) return Parsed<RfbVersion>::fail("unsupported RFB major version");
  switch (minor) {
    case 3:
    case 4:
    case 5:
      return Parsed<RfbVersion>::ok(12, {3, 3});
    case 7:
      return Parsed<RfbVersion>::ok(12, {3, 7});
    case 8:
      return Parsed<RfbVersion>::ok(12, {3, 8});
    default:
      return Parsed<RfbVersion>::fail("unsupported RFB version 3." + std::to_string(minor));
  }
}

Parsed<RfbVersion> parse_server_version(ByteSpan in) {
  if (in.size() < 12) return Parsed<RfbVersion>::need_more();
  int major, minor;
  if (!parse_version_text(in, major, minor))
    return Parsed<RfbVersion>::fail("backend did not send an RFB ProtocolVersion");
  if (major != 3 || minor < 3)
    return Parsed<RfbVersion>::fail("backend speaks an unknown RFB version");
  // Servers above 3.8 (e.g. Apple's 3.889) speak 3.8 to a 3.8 client.
  if (minor >= 8) return Parsed<RfbVersion>::ok(12, {3, 8});
  if (minor == 7) return Parsed<RfbVersion>::ok(12, {3, 7});
  return Parsed<RfbVersion>::ok(12, {3, 3});
}

std::string format_version(RfbVersion v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "RFB %03d.%03d\n", v.major, v.minor);
  return buf;
}

Bytes encode_security_types(std::span<const uint8_t> types) {
  Bytes out(1 + types.size());
  out[0] = static_cast<uint8_t>(types.size());
  std::copy(types.begin(), types.end(), out.begin() + 1);
  return out;
}

Bytes encode_server_version() {
  return Bytes(kServerVersion.begin(), kServerVersion.end());
}

Bytes encode_security_types_refusal(std::string_view reason) {
  Bytes out;
  put_u8(out, 0);
  put_u32(out, static_cast<uint32_t>(reason.size()));
  put_string(out, reason);
  return out;
}

Bytes encode_v33_refusal(std::string_view reason) {
  Bytes out;
  put_u32(out, 0);
  put_u32(out, static_cast<uint32_t>(reason.size()));
  put_string(out, reason);
  return out;
}

Parsed<uint8_t> parse_security_choice(ByteSpan in) {
  if (in.empty()) return Parsed<uint8_t>::need_more();
  return Parsed<uint8_t>::ok(1, in[0]);
}

Bytes encode_security_result(bool ok, std::string_view reason, RfbVersion v) {
  Bytes out;
  put_u32(out, ok ? 0 : 1);
  if (!ok && v.minor >= 8) {
    put_u32(out, static_cast<uint32_t>(reason.size()));
    put_string(out, reason);
  }
  return out;
}

}  // namespace vncgate
