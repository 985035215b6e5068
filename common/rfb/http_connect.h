// HTTP CONNECT preamble (XVP style) that selects a console on the gateway
// port: "CONNECT /console/NAME[?query] HTTP/1.x", optional headers, blank line.
// One header has a meaning: `Vncgate-Auth: kerberos|password` asks the
// gateway to offer only Kerberos (GSSAPI) or only password SASL mechanisms
// on this connection (docs/kerberos.md, "Kerberos and password users").
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "rfb/parse.h"

namespace vncgate {

// The client's Vncgate-Auth hint. An unknown value is ignored (None), so a
// newer client never locks itself out of an older gateway.
enum class AuthHint { None, Kerberos, Password };
inline constexpr std::string_view kAuthHintHeader = "Vncgate-Auth";
// "kerberos", "password" or "" (None): the header value and the log's word.
std::string_view auth_hint_name(AuthHint hint);

struct HttpConnectRequest {
  std::string console;                       // NAME from /console/NAME
  std::map<std::string, std::string> query;  // decoded ?key=value pairs
  int http_minor = 1;                        // HTTP/1.0 or HTTP/1.1
  AuthHint auth_hint = AuthHint::None;       // Vncgate-Auth (twice: 400)
};

// Largest preamble accepted, request line and headers together.
inline constexpr size_t kMaxConnectPreamble = 8192;

// Parses the preamble at the start of `in`. On Error, `http_status` (400 or
// 404) says which refusal to send; the reason goes to the operator log.
struct HttpConnectParse {
  Parsed<HttpConnectRequest> result;
  int http_status = 400;
};
HttpConnectParse parse_http_connect(ByteSpan in);

// A console name: 1..64 of [A-Za-z0-9._-], not starting with '.' or '-'.
bool is_valid_console_name(std::string_view name);

// "HTTP/1.1 <code> <reason>\r\n...\r\n\r\n"; `reason` empty: the code's usual phrase.
std::string http_response(int status, std::string_view reason = {});

}  // namespace vncgate
