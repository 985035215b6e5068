#include "net/proxy_protocol.h"

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

namespace vncgate {
namespace {

constexpr std::array<uint8_t, 12> kV2Signature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D,
                                                  0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};
constexpr std::string_view kV1Prefix = "PROXY ";
// The v1 specification's bound: "PROXY TCP6 " + two full IPv6 addresses,
// two ports, three spaces and CRLF.
constexpr size_t kMaxV1Line = 107;
constexpr size_t kV2Fixed = 16;
constexpr uint8_t kCommandLocal = 0x0;
constexpr uint8_t kCommandProxy = 0x1;
constexpr uint8_t kFamilyUnspec = 0x00;
constexpr uint8_t kTcpOverInet = 0x11;
constexpr uint8_t kTcpOverInet6 = 0x21;

bool is_prefix_of(ByteSpan in, const uint8_t *expected, size_t expected_len) {
  size_t n = std::min(in.size(), expected_len);
  return std::memcmp(in.data(), expected, n) == 0;
}

ProxyEndpoint endpoint_at(ByteSpan in, ProxyFamily family, size_t address_at, size_t port_at) {
  ProxyEndpoint e;
  e.family = family;
  size_t len = family == ProxyFamily::Inet ? 4 : 16;
  std::copy_n(in.begin() + static_cast<std::ptrdiff_t>(address_at), len, e.address.begin());
  e.port = read_u16(in, port_at);
  return e;
}

Parsed<ProxyHeader> parse_v2(ByteSpan in) {
  if (in.size() < kV2Fixed) return Parsed<ProxyHeader>::need_more();
  uint8_t version = in[12] >> 4;
  uint8_t command = in[12] & 0x0F;
  if (version != 2)
    return Parsed<ProxyHeader>::fail("PROXY v2 header with version " + std::to_string(version));
  if (command != kCommandLocal && command != kCommandProxy)
    return Parsed<ProxyHeader>::fail("PROXY v2 header with unknown command " +
                                     std::to_string(command));
  size_t total = kV2Fixed + read_u16(in, 14);
  if (total > kMaxProxyHeader)
    return Parsed<ProxyHeader>::fail("PROXY v2 header of " + std::to_string(total) +
                                     " bytes is too long");
  if (in.size() < total) return Parsed<ProxyHeader>::need_more();

  ProxyHeader header;
  uint8_t family = in[13];
  size_t address_len = total - kV2Fixed;
  // LOCAL: the balancer speaks for itself; the address block is ignored.
  if (command == kCommandLocal || family == kFamilyUnspec)
    return Parsed<ProxyHeader>::ok(total, header);
  if (family == kTcpOverInet) {
    if (address_len < 12)
      return Parsed<ProxyHeader>::fail("PROXY v2 TCP/IPv4 address block too short");
    header.source = endpoint_at(in, ProxyFamily::Inet, 16, 24);
    header.destination = endpoint_at(in, ProxyFamily::Inet, 20, 26);
  } else if (family == kTcpOverInet6) {
    if (address_len < 36)
      return Parsed<ProxyHeader>::fail("PROXY v2 TCP/IPv6 address block too short");
    header.source = endpoint_at(in, ProxyFamily::Inet6, 16, 48);
    header.destination = endpoint_at(in, ProxyFamily::Inet6, 32, 50);
  } else {
    return Parsed<ProxyHeader>::fail(
        "PROXY v2 header for a transport other than TCP over IPv4/IPv6");
  }
  header.local = false;  // TLVs after the addresses are skipped
  return Parsed<ProxyHeader>::ok(total, header);
}

// A decimal port 0..65535 without a leading zero (the specification's form).
bool parse_port(std::string_view text, uint16_t &port) {
  if (text.empty() || text.size() > 5 || (text.size() > 1 && text[0] == '0')) return false;
  uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<uint32_t>(c - '0');
  }
  if (value > 65535) return false;
  port = static_cast<uint16_t>(value);
  return true;
}

bool parse_v1_address(std::string_view text, ProxyFamily family, ProxyEndpoint &e) {
  char buffer[INET6_ADDRSTRLEN] = {};
  if (text.empty() || text.size() >= sizeof buffer) return false;
  std::memcpy(buffer, text.data(), text.size());
  e.family = family;
  return inet_pton(family == ProxyFamily::Inet ? AF_INET : AF_INET6, buffer, e.address.data()) == 1;
}

std::vector<std::string_view> split_spaces(std::string_view line) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (start <= line.size()) {
    size_t space = line.find(' ', start);
    if (space == std::string_view::npos) space = line.size();
    fields.push_back(line.substr(start, space - start));
    start = space + 1;
  }
  return fields;
}

Parsed<ProxyHeader> parse_v1(ByteSpan in) {
  std::string_view text(reinterpret_cast<const char *>(in.data()), std::min(in.size(), kMaxV1Line));
  size_t cr = text.find('\r');
  if (cr == std::string_view::npos || cr + 1 >= text.size()) {
    if (text.find('\n') != std::string_view::npos)
      return Parsed<ProxyHeader>::fail("PROXY v1 line without CRLF");
    if (in.size() >= kMaxV1Line) return Parsed<ProxyHeader>::fail("PROXY v1 line too long");
    return Parsed<ProxyHeader>::need_more();
  }
  if (text[cr + 1] != '\n') return Parsed<ProxyHeader>::fail("PROXY v1 line without CRLF");
  std::string_view line = text.substr(0, cr);
  if (line.find('\n') != std::string_view::npos)
    return Parsed<ProxyHeader>::fail("PROXY v1 line without CRLF");
  auto fields = split_spaces(line);
  ProxyHeader header;
  size_t used = cr + 2;
  // "PROXY UNKNOWN" may carry anything after it; the connection keeps its address.
  if (fields.size() >= 2 && fields[1] == "UNKNOWN") return Parsed<ProxyHeader>::ok(used, header);
  if (fields.size() != 6)
    return Parsed<ProxyHeader>::fail("PROXY v1 line with a wrong field count");
  ProxyFamily family;
  if (fields[1] == "TCP4") {
    family = ProxyFamily::Inet;
  } else if (fields[1] == "TCP6") {
    family = ProxyFamily::Inet6;
  } else {
    return Parsed<ProxyHeader>::fail("PROXY v1 line with an unknown protocol");
  }
  if (!parse_v1_address(fields[2], family, header.source) ||
      !parse_v1_address(fields[3], family, header.destination) ||
      !parse_port(fields[4], header.source.port) || !parse_port(fields[5], header.destination.port))
    return Parsed<ProxyHeader>::fail("PROXY v1 line with a malformed address or port");
  header.local = false;
  return Parsed<ProxyHeader>::ok(used, header);
}

}  // namespace

Parsed<ProxyHeader> parse_proxy_header(ByteSpan in) {
  if (in.empty()) return Parsed<ProxyHeader>::need_more();
  if (is_prefix_of(in, kV2Signature.data(), kV2Signature.size())) {
    if (in.size() < kV2Signature.size()) return Parsed<ProxyHeader>::need_more();
    return parse_v2(in);
  }
  if (is_prefix_of(in, reinterpret_cast<const uint8_t *>(kV1Prefix.data()), kV1Prefix.size())) {
    if (in.size() < kV1Prefix.size()) return Parsed<ProxyHeader>::need_more();
    return parse_v1(in);
  }
  return Parsed<ProxyHeader>::fail("no PROXY protocol header");
}

std::string proxy_address_text(const ProxyEndpoint &endpoint) {
  char buffer[INET6_ADDRSTRLEN] = {};
  int af = endpoint.family == ProxyFamily::Inet ? AF_INET : AF_INET6;
  if (inet_ntop(af, endpoint.address.data(), buffer, sizeof buffer) == nullptr) return {};
  return buffer;
}

}  // namespace vncgate
