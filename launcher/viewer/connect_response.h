// The HTTP CONNECT preamble the viewer sends to a vncgate gateway, and the
// answer it reads back, as pure functions over strings (no sockets): the
// request for a link, a parser for the gateway's status line and headers
// (bounded in size, stopping exactly at the blank line so the RFB bytes
// that follow stay unread), and the message a user sees for each refusal.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "link/console_link.h"
#include "rfb/http_connect.h"

namespace vncgate::viewer {

// Largest answer accepted: status line and headers together.
inline constexpr size_t kMaxConnectResponse = 8192;

// "CONNECT /console/NAME[?token=T] HTTP/1.1\r\nHost: HOST:PORT\r\n\r\n",
// with "Vncgate-Auth: kerberos|password" before the blank line for a hint.
// `with_token` false leaves the token out (a reconnect: tokens are one-time).
std::string connect_request(const ConsoleLink &link, bool with_token = true,
                            AuthHint hint = AuthHint::None);

enum class ResponseState {
  NeedMore,  // no blank line yet, and nothing wrong so far
  Complete,  // status line and headers read; `consumed` bytes in all
  Invalid,   // not an HTTP answer, malformed, or larger than the cap
};

struct ConnectResponse {
  ResponseState state = ResponseState::NeedMore;
  int status = 0;               // HTTP status code when Complete
  std::string reason;           // reason phrase when Complete
  size_t consumed = 0;          // bytes up to and including "\r\n\r\n"
  std::string error;            // why, when Invalid (for stderr and logs)
  bool looks_like_rfb = false;  // Invalid because the server spoke RFB at once
};

// Looks at everything received so far. Call again with more bytes while
// NeedMore; the result never depends on bytes after the blank line.
ConnectResponse parse_connect_response(std::string_view received);

// The sentence a user sees for a gateway status other than 200, e.g. 404 ->
// "This console link is not valid or has expired." (translated).
std::string message_for_status(int status, std::string_view reason = {});

}  // namespace vncgate::viewer
