// PROXY protocol header (HAProxy's "proxy-protocol.txt", v2 binary and v1
// text) that a trusted load balancer sends before anything else, so the
// gateway sees the client's own address instead of the balancer's. Pure:
// looks at bytes, never at a socket; the caller decides whom to believe.
#pragma once

#include <array>
#include <cstdint>
#include <string>

#include "rfb/parse.h"

namespace vncgate {

// Largest header accepted, v2 with TLVs included (v1 lines are at most 107).
inline constexpr size_t kMaxProxyHeader = 536;

enum class ProxyFamily { Inet, Inet6 };

struct ProxyEndpoint {
  ProxyFamily family = ProxyFamily::Inet;
  std::array<uint8_t, 16> address{};  // network order; 4 bytes used for Inet
  uint16_t port = 0;
};

struct ProxyHeader {
  // True for a v2 LOCAL command (the balancer's own health check), an
  // UNSPEC family or v1 "UNKNOWN": the connection keeps its own address.
  bool local = true;
  ProxyEndpoint source;
  ProxyEndpoint destination;
};

// Parses the header at the start of `in`: NeedMore while `in` is a strict
// prefix of a possible header, Ok with the bytes it used, or Error (wrong
// signature, version, command, family or length).
Parsed<ProxyHeader> parse_proxy_header(ByteSpan in);

// "192.0.2.1" or "2001:db8::1": the textual address of an endpoint.
std::string proxy_address_text(const ProxyEndpoint &endpoint);

}  // namespace vncgate
