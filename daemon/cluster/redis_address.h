// Where the cluster's Redis is ([cluster] redis=, vncgated.conf(5)):
// "redis://HOST[:PORT][/DB]" (HOST a name, an IPv4 address or an IPv6
// address in brackets; PORT 6379 and DB 0 when left out) or
// "unix:/ABSOLUTE/PATH[?db=N]". A password never goes into the URL (it
// would show wherever the configuration does): password-file= holds it.
// Pure parsing, no I/O.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace vncgate {

struct RedisAddress {
  std::string host;       // empty for a Unix socket
  uint16_t port = 6379;   // TCP only
  std::string unix_path;  // set for a Unix socket
  unsigned db = 0;
  bool is_unix() const { return !unix_path.empty(); }
  // Where it is, for log lines: "redis://host:port/db" or "unix:/path?db=N".
  std::string to_string() const;
  bool operator==(const RedisAddress &) const = default;
};

// The reason is set (translated) when the text is refused.
std::optional<RedisAddress> parse_redis_address(const std::string &text, std::string &error);

}  // namespace vncgate
