#include "rfb/http_connect.h"

#include <algorithm>
#include <cstring>

namespace vncgate {
namespace {

constexpr std::string_view kConsolePrefix = "/console/";

bool is_token_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         (c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr);  // strchr matches NUL
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Percent-decoding that refuses control characters and NUL in the result.
bool percent_decode(std::string_view in, std::string &out) {
  out.clear();
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (c == '%') {
      if (i + 2 >= in.size()) return false;
      int hi = hex_value(in[i + 1]), lo = hex_value(in[i + 2]);
      if (hi < 0 || lo < 0) return false;
      c = static_cast<char>(hi * 16 + lo);
      i += 2;
    } else if (c == '+') {
      c = ' ';
    }
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return false;
    out.push_back(c);
  }
  return true;
}

bool parse_query(std::string_view q, std::map<std::string, std::string> &out) {
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string key, value;
    if (!percent_decode(pair.substr(0, eq), key)) return false;
    if (eq != std::string_view::npos && !percent_decode(pair.substr(eq + 1), value)) return false;
    if (key.empty() || out.count(key)) return false;  // duplicates are ambiguous: refuse
    out.emplace(std::move(key), std::move(value));
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c; };
           return lower(x) == lower(y);
         });
}

std::string_view trim_ows(std::string_view v) {
  while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
  while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
  return v;
}

AuthHint parse_auth_hint(std::string_view value) {
  value = trim_ows(value);
  if (iequals(value, auth_hint_name(AuthHint::Kerberos))) return AuthHint::Kerberos;
  if (iequals(value, auth_hint_name(AuthHint::Password))) return AuthHint::Password;
  return AuthHint::None;
}

}  // namespace

std::string_view auth_hint_name(AuthHint hint) {
  switch (hint) {
    case AuthHint::Kerberos:
      return "kerberos";
    case AuthHint::Password:
      return "password";
    case AuthHint::None:
      break;
  }
  return "";
}

bool is_valid_console_name(std::string_view name) {
  if (name.empty() || name.size() > 64 || name[0] == '.' || name[0] == '-') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

HttpConnectParse parse_http_connect(ByteSpan in) {
  using P = Parsed<HttpConnectRequest>;
  auto fail = [](std::string why, int status = 400) {
    return HttpConnectParse{P::fail(std::move(why)), status};
  };
  std::string_view text(reinterpret_cast<const char *>(in.data()), in.size());

  // Check what we have so far, so a client that sends garbage is refused at
  // once rather than after 8 KiB or the handshake timeout.
  constexpr std::string_view kMethod = "CONNECT ";
  size_t cmp = std::min(text.size(), kMethod.size());
  if (text.substr(0, cmp) != kMethod.substr(0, cmp)) return fail("request is not HTTP CONNECT");

  size_t end = text.find("\r\n\r\n");
  if (end == std::string_view::npos) {
    if (text.size() >= kMaxConnectPreamble) return fail("CONNECT preamble larger than 8 KiB");
    for (char c : text) {
      if (c == '\0') return fail("NUL byte in CONNECT preamble");
    }
    return {P::need_more(), 400};
  }
  size_t total = end + 4;
  if (total > kMaxConnectPreamble) return fail("CONNECT preamble larger than 8 KiB");

  std::string_view head = text.substr(0, end);
  size_t eol = head.find("\r\n");
  std::string_view line = head.substr(0, eol);
  std::string_view headers =
      eol == std::string_view::npos ? std::string_view{} : head.substr(eol + 2);

  // Request line: CONNECT SP target SP HTTP/1.x
  line.remove_prefix(kMethod.size());
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos) return fail("CONNECT request line has no HTTP version");
  std::string_view target = line.substr(0, sp);
  std::string_view version = line.substr(sp + 1);
  HttpConnectRequest req;
  if (version == "HTTP/1.0") {
    req.http_minor = 0;
  } else if (version == "HTTP/1.1") {
    req.http_minor = 1;
  } else {
    return fail("unsupported HTTP version in CONNECT");
  }
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f)
      return fail("bad character in CONNECT target");
  }

  // Headers: "Name: value" lines; syntax is checked, and only Vncgate-Auth
  // is read.
  bool seen_auth_hint = false;
  while (!headers.empty()) {
    size_t next = headers.find("\r\n");
    std::string_view h = headers.substr(0, next);
    headers = next == std::string_view::npos ? std::string_view{} : headers.substr(next + 2);
    size_t colon = h.find(':');
    if (colon == 0 || colon == std::string_view::npos) return fail("malformed header line");
    for (size_t i = 0; i < colon; ++i) {
      if (!is_token_char(h[i])) return fail("malformed header name");
    }
    for (char c : h.substr(colon + 1)) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f)
        return fail("control character in header value");
    }
    if (iequals(h.substr(0, colon), kAuthHintHeader)) {
      // Two hints could disagree: refuse rather than pick one.
      if (seen_auth_hint) return fail("duplicate Vncgate-Auth header");
      seen_auth_hint = true;
      req.auth_hint = parse_auth_hint(h.substr(colon + 1));
    }
  }

  std::string_view path = target;
  std::string_view query;
  if (size_t q = target.find('?'); q != std::string_view::npos) {
    path = target.substr(0, q);
    query = target.substr(q + 1);
  }
  if (!path.starts_with(kConsolePrefix)) return fail("CONNECT target is not /console/NAME", 404);
  std::string name;
  if (!percent_decode(path.substr(kConsolePrefix.size()), name) || !is_valid_console_name(name))
    return fail("invalid console name in CONNECT target");
  if (!parse_query(query, req.query)) return fail("malformed query in CONNECT target");
  req.console = std::move(name);
  return {P::ok(total, std::move(req)), 200};
}

std::string http_response(int status, std::string_view custom_reason) {
  std::string_view reason = "Error";
  switch (status) {
    case 200:
      reason = "OK";
      break;
    case 400:
      reason = "Bad Request";
      break;
    case 403:
      reason = "Forbidden";
      break;
    case 404:
      reason = "Not Found";
      break;
    case 503:
      reason = "Service Unavailable";
      break;
  }
  if (!custom_reason.empty()) reason = custom_reason;
  std::string r = "HTTP/1.1 " + std::to_string(status) + " " + std::string(reason) + "\r\n";
  if (status != 200) r += "Connection: close\r\nContent-Length: 0\r\n";
  r += "\r\n";
  return r;
}

}  // namespace vncgate
