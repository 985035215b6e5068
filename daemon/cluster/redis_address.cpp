#include "cluster/redis_address.h"

#include <glib.h>
#include <glib/gi18n-lib.h>

#include "printf_string.h"

namespace vncgate {
namespace {

constexpr unsigned kMaxDb = 65535;

// Digits only, at most `max`.
bool parse_number(const std::string &s, unsigned max, unsigned &out) {
  if (s.empty() || s.size() > 6) return false;
  unsigned v = 0;
  for (char ch : s) {
    if (!g_ascii_isdigit(ch)) return false;
    v = v * 10 + static_cast<unsigned>(ch - '0');
  }
  if (v > max) return false;
  out = v;
  return true;
}

bool valid_host_name(const std::string &h) {
  if (h.empty() || h.size() > 253) return false;
  for (char ch : h)
    if (!g_ascii_isalnum(ch) && ch != '-' && ch != '.' && ch != '_') return false;
  return true;
}

std::optional<RedisAddress> parse_unix(const std::string &rest, std::string &error) {
  RedisAddress a;
  std::string path = rest;
  if (auto q = rest.find('?'); q != std::string::npos) {
    path = rest.substr(0, q);
    std::string query = rest.substr(q + 1);
    if (!query.starts_with("db=") || !parse_number(query.substr(3), kMaxDb, a.db)) {
      error =
          printf_string(_("'%s': the only query is ?db=N (N from 0 to %u)"), rest.c_str(), kMaxDb);
      return std::nullopt;
    }
  }
  // "unix:///run/redis.sock" is also common: the empty authority drops.
  if (path.starts_with("//")) path = path.substr(2);
  if (path.size() < 2 || path[0] != '/') {
    error = _("a Unix socket is given as unix:/ABSOLUTE/PATH");
    return std::nullopt;
  }
  a.unix_path = path;
  return a;
}

std::optional<RedisAddress> parse_tcp(const std::string &rest, std::string &error) {
  RedisAddress a;
  std::string authority = rest, db;
  if (auto slash = rest.find('/'); slash != std::string::npos) {
    authority = rest.substr(0, slash);
    db = rest.substr(slash + 1);
  }
  if (authority.find('@') != std::string::npos) {
    error = _("no user or password in the URL: put the password in password-file=");
    return std::nullopt;
  }
  if (!db.empty() && !parse_number(db, kMaxDb, a.db)) {
    error = printf_string(_("'%s' is not a database number (0 to %u)"), db.c_str(), kMaxDb);
    return std::nullopt;
  }
  std::string port;
  if (authority.starts_with("[")) {
    auto close = authority.find(']');
    if (close == std::string::npos) {
      error = _("an IPv6 address in brackets lacks its ']'");
      return std::nullopt;
    }
    a.host = authority.substr(1, close - 1);
    std::string after = authority.substr(close + 1);
    if (!after.empty() && after[0] != ':') {
      error = _("expected ':PORT' after the bracketed address");
      return std::nullopt;
    }
    if (!after.empty()) port = after.substr(1);
    if (!g_hostname_is_ip_address(a.host.c_str())) {
      error = printf_string(_("'%s' is not an IPv6 address"), a.host.c_str());
      return std::nullopt;
    }
  } else {
    auto colon = authority.rfind(':');
    a.host = authority.substr(0, colon);
    if (colon != std::string::npos) port = authority.substr(colon + 1);
    if (!valid_host_name(a.host)) {
      error = printf_string(_("'%s' is not a host name or address"), a.host.c_str());
      return std::nullopt;
    }
  }
  if (!port.empty() || authority.ends_with(":")) {
    unsigned p = 0;
    if (!parse_number(port, 65535, p) || p == 0) {
      error = printf_string(_("'%s' is not a port (1 to 65535)"), port.c_str());
      return std::nullopt;
    }
    a.port = static_cast<uint16_t>(p);
  }
  return a;
}

}  // namespace

std::string RedisAddress::to_string() const {
  if (is_unix()) return "unix:" + unix_path + "?db=" + std::to_string(db);
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return "redis://" + h + ":" + std::to_string(port) + "/" + std::to_string(db);
}

std::optional<RedisAddress> parse_redis_address(const std::string &text, std::string &error) {
  if (text.starts_with("unix:")) return parse_unix(text.substr(5), error);
  if (text.starts_with("redis://")) return parse_tcp(text.substr(8), error);
  if (text.starts_with("rediss://")) {
    error = _("TLS to Redis (rediss://) needs hiredis 1.0 or later, which this build lacks");
    return std::nullopt;
  }
  error = _("expected redis://HOST[:PORT][/DB] or unix:/PATH[?db=N]");
  return std::nullopt;
}

}  // namespace vncgate
