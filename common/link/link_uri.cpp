#include "link/link_uri.h"

#include <cstring>

#include "link/link_text.h"

namespace vncgate::linkuri {
namespace {

using namespace vncgate::linktext;

constexpr const char *kBadEncoding = N_("Invalid %-encoding in URI");  // xgettext: no-c-format
constexpr const char *kNotUtf8 = N_("Non-UTF-8 characters in URI");

bool is_unreserved(char c) {
  return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

int hex(char c) {
  if (is_digit(c)) return c - '0';
  return to_lower(c) - 'a' + 10;
}

enum class Decode {
  Full,       // every %XX decoded, result must be UTF-8 (GUri without ENCODED)
  Normalize,  // %XX of unreserved characters decoded, others kept upper case
  Bytes,      // every %XX decoded, any bytes (g_uri_unescape_string)
};

// GLib's uri_decoder, without the relaxed mode this parser never used.
bool decode(std::string_view in, Decode mode, std::string &out, LinkMessage &error) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size() || !is_xdigit(in[i + 1]) || !is_xdigit(in[i + 2])) {
        error = kBadEncoding;
        return false;
      }
      char d = static_cast<char>(hex(in[i + 1]) * 16 + hex(in[i + 2]));
      if (mode == Decode::Normalize && !is_unreserved(d)) {
        out += '%';
        out += to_upper(in[i + 1]);
        out += to_upper(in[i + 2]);
      } else {
        out += d;
      }
      i += 2;
    } else if (mode == Decode::Normalize &&
               (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f)) {
      static const char digits[] = "0123456789ABCDEF";
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    } else {
      out += c;
    }
  }
  if (mode == Decode::Full && !utf8_valid(out)) {
    error = kNotUtf8;
    return false;
  }
  return true;
}

// RFC 3986 5.2.4 "Remove Dot Segments", as GLib does it in place.
std::string remove_dot_segments(const std::string &path) {
  std::string in = path, out;
  size_t i = 0;
  auto rest = [&] { return std::string_view(in).substr(i); };
  auto drop_last_segment = [&] {
    size_t slash = out.rfind('/');
    out.erase(slash == std::string::npos ? 0 : slash);
  };
  while (i < in.size()) {
    std::string_view r = rest();
    if (r.starts_with("../")) {
      i += 3;
    } else if (r.starts_with("./")) {
      i += 2;
    } else if (r.starts_with("/./")) {
      i += 2;
    } else if (r == "/.") {
      in.resize(i + 1);  // "/."  -> "/"
    } else if (r.starts_with("/../")) {
      i += 3;
      drop_last_segment();
    } else if (r == "/..") {
      in.resize(i + 1);
      drop_last_segment();
    } else if (r == "." || r == "..") {
      i = in.size();
    } else {
      out += in[i++];
      while (i < in.size() && in[i] != '/') out += in[i++];
    }
  }
  return out;
}

// "[IPv6]" or "[IPv6%25zone]" (RFC 6874).
bool parse_ip_literal(std::string_view text, std::string &host, LinkMessage &error) {
  auto bad = [&] {
    error = LinkMessage(N_("Invalid IPv6 address ‘%s’ in URI"), text);
    return false;
  };
  if (text.size() < 2 || text.back() != ']') return bad();
  std::string addr(text.substr(1, text.size() - 2));
  std::string zone;
  if (size_t pct = addr.find('%'); pct != std::string::npos) {
    if (addr.size() - pct >= 4 && addr[pct + 1] == '2' && addr[pct + 2] == '5')
      zone = addr.substr(pct + 3);
    else
      return bad();
    addr.resize(pct);
  }
  if (!is_ip_address(addr.c_str()) || addr.find(':') == std::string::npos) return bad();
  if (!zone.empty()) {
    std::string decoded;
    LinkMessage ignored;
    if (!decode(zone, Decode::Full, decoded, ignored)) return bad();
    addr += "%" + decoded;
  }
  host = std::move(addr);
  return true;
}

bool parse_host(std::string_view text, std::string &host, LinkMessage &error) {
  if (!text.empty() && text[0] == '[') return parse_ip_literal(text, host, error);
  if (!text.empty() && is_digit(text[0])) {
    std::string literal(text);
    if (is_ip_address(literal.c_str())) {
      host = std::move(literal);
      return true;
    }
  }
  std::string decoded;
  if (!decode(text, Decode::Full, decoded, error)) return false;
  if (is_ip_address(decoded.c_str())) {
    error = LinkMessage(N_("Illegal encoded IP address ‘%s’ in URI"), text);
    return false;
  }
  for (char c : decoded) {
    if (static_cast<unsigned char>(c) >= 0x80) {
      // GUri would convert this to its IDNA (xn--) form; see the header.
      error = LinkMessage(N_("Illegal internationalized hostname ‘%s’ in URI"), text);
      return false;
    }
  }
  host = std::move(decoded);
  return true;
}

bool parse_port(std::string_view text, int &port, LinkMessage &error) {
  if (text.empty() || !is_digit(text[0])) {
    error = LinkMessage(N_("Could not parse port ‘%s’ in URI"), text);
    return false;
  }
  unsigned long value = 0;
  for (char c : text) {
    if (!is_digit(c)) {
      error = LinkMessage(N_("Could not parse port ‘%s’ in URI"), text);
      return false;
    }
    if (value <= 65535) value = value * 10 + static_cast<unsigned long>(c - '0');
  }
  if (value > 65535) {
    error = LinkMessage(N_("Port ‘%s’ in URI is out of range"), text);
    return false;
  }
  port = static_cast<int>(value);
  return true;
}

}  // namespace

UriSplit split_uri(std::string_view text) {
  UriParts uri;
  LinkMessage error;
  auto fail = [&] { return UriSplit{std::nullopt, error}; };

  // Scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":"
  size_t p = 0;
  while (p < text.size() && (is_alpha(text[p]) || (p > 0 && (is_digit(text[p]) || text[p] == '.' ||
                                                             text[p] == '+' || text[p] == '-'))))
    ++p;
  bool has_scheme = p > 0 && p < text.size() && text[p] == ':';
  if (has_scheme) {
    uri.scheme = ascii_lower(text.substr(0, p));
    ++p;
  } else {
    p = 0;
  }

  std::string_view rest = text.substr(p);
  if (rest.starts_with("//")) {
    rest.remove_prefix(2);
    size_t path_start = rest.find_first_of("/?#");
    if (path_start == std::string_view::npos) path_start = rest.size();
    std::string_view authority = rest.substr(0, path_start);
    if (size_t at = authority.find('@'); at != std::string_view::npos) {
      std::string userinfo;
      if (!decode(authority.substr(0, at), Decode::Full, userinfo, error)) return fail();
      uri.userinfo = std::move(userinfo);
      authority.remove_prefix(at + 1);
    }
    // The port's colon comes right after "]" for an IPv6 literal.
    size_t colon = std::string_view::npos;
    if (!authority.empty() && authority[0] == '[') {
      size_t bracket = authority.find(']');
      if (bracket != std::string_view::npos && bracket + 1 < authority.size() &&
          authority[bracket + 1] == ':')
        colon = bracket + 1;
    } else {
      colon = authority.find(':');
    }
    std::string host;
    if (!parse_host(authority.substr(0, colon), host, error)) return fail();
    uri.host = std::move(host);
    if (colon != std::string_view::npos && colon + 1 < authority.size() &&
        !parse_port(authority.substr(colon + 1), uri.port, error))
      return fail();
    rest.remove_prefix(path_start);
  }

  size_t hash = rest.find('#');
  if (hash != std::string_view::npos) {
    std::string fragment;
    if (!decode(rest.substr(hash + 1), Decode::Full, fragment, error)) return fail();
    uri.fragment = std::move(fragment);
    rest = rest.substr(0, hash);
  }
  if (size_t question = rest.find('?'); question != std::string_view::npos) {
    std::string query;
    if (!decode(rest.substr(question + 1), Decode::Normalize, query, error)) return fail();
    uri.query = std::move(query);
    rest = rest.substr(0, question);
  }
  if (!decode(rest, Decode::Full, uri.path, error)) return fail();
  if (!has_scheme) {
    error = N_("URI is not absolute, and no base URI was provided");
    return fail();
  }
  uri.path = remove_dot_segments(uri.path);
  return UriSplit{std::move(uri), {}};
}

QuerySplit split_query(std::string_view query) {
  QuerySplit out;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    size_t eq = pair.find('=');
    if (eq == std::string_view::npos) {
      out.error = N_("Missing ‘=’ and parameter value");
      return out;
    }
    std::string name, value;
    if (!decode(pair.substr(0, eq), Decode::Full, name, out.error) ||
        !decode(pair.substr(eq + 1), Decode::Full, value, out.error))
      return out;
    out.params.emplace_back(std::move(name), std::move(value));
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return out;
}

std::string escape(std::string_view s) {
  static const char digits[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    if (is_unreserved(c)) {
      out += c;
    } else {
      auto u = static_cast<unsigned char>(c);
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 15];
    }
  }
  return out;
}

std::optional<std::string> unescape(std::string_view s) {
  std::string out;
  LinkMessage error;
  if (!decode(s, Decode::Bytes, out, error) || out.find('\0') != std::string::npos)
    return std::nullopt;
  return out;
}

namespace {

// IPv4: N.N.N.N, each N 0..255 without leading zeros, then the end.
bool is_ipv4_at(const char *p) {
  for (int part = 0; part < 4; ++part) {
    if (part != 0) {
      if (*p != '.') return false;
      ++p;
    }
    int octet = 0;
    const char *end = p;
    if (*p == '0') {
      end = p + 1;
    } else {
      while (is_digit(*end) && octet <= 255) octet = 10 * octet + (*end++ - '0');
    }
    if (end == p || end > p + 3 || octet > 255) return false;
    p = end;
  }
  return !*p;
}

}  // namespace

bool is_ip_address(const char *host) {
  if (!std::strchr(host, ':')) return is_ipv4_at(host);
  // IPv6: eight groups of 1-4 hex digits; "::" once for a run of zero
  // groups; the last two groups may be written as an IPv4 address.
  const char *p = host;
  int groups = 0;
  bool skipped = false;
  while (*p && *p != '%' && groups < 8) {
    if (p != host || (p[0] == ':' && p[1] == ':')) {
      if (*p != ':') return false;
      ++p;
    }
    if (*p == ':' && !skipped) {
      skipped = true;
      ++groups;
      if (!p[1]) ++p;  // ends with "::"
      continue;
    }
    const char *end = p;
    while (is_xdigit(*end)) ++end;
    if (end == p || end > p + 4) return false;
    if (*end == '.') {
      if ((groups == 6 && !skipped) || (groups <= 6 && skipped)) return is_ipv4_at(p);
      return false;
    }
    ++groups;
    p = end;
  }
  // A zone ("%eth0", anything after the "%") is accepted, as GLib does.
  return (!*p || (p[0] == '%' && p[1])) && (groups == 8 || skipped);
}

}  // namespace vncgate::linkuri
