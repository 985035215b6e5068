// The one HTTP request head libsoup gets to parse on a connection (the web
// front's and the control API's), checked first. Pure: bytes in, a
// verdict out.
//
// libsoup 3.2's server leaks the request path of every request whose
// Content-Length or Transfer-Encoding it cannot use (parse_headers returns
// before freeing it), so any client could grow the daemon a little with
// each bad request, before any login. So, before libsoup sees the head:
//  - BodyRule::None (the web front: GET, HEAD and WebSocket upgrades, none
//    with a body): a head that names either header, in any case and with
//    any spacing, is refused;
//  - BodyRule::WellFormed (the control API): each may appear once, a
//    Content-Length as digits only, a Transfer-Encoding as "chunked" only,
//    not both;
// and a head longer than kMaxRequestHead is refused.
#pragma once

#include <cstddef>
#include <string>

#include "rfb/parse.h"

namespace vncgate {

inline constexpr size_t kMaxRequestHead = 16 * 1024;

struct RequestHeadVerdict {
  enum class Status { NeedMore, Ok, Refused } status = Status::NeedMore;
  size_t length = 0;     // Ok: the head's bytes, its blank line included
  bool upgrade = false;  // Ok: it asks for a WebSocket (an Upgrade header)
  std::string reason;    // Refused: for the log
};

// `bytes` from the connection's first byte. The head ends at the first
// empty line ("\r\n\r\n" or "\n\n", as libsoup accepts either) after
// the request line; empty lines before it are skipped but counted.
enum class BodyRule { None, WellFormed };
RequestHeadVerdict check_request_head(ByteSpan bytes, BodyRule rule = BodyRule::None);

}  // namespace vncgate
