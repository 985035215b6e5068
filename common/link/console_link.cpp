// The console link parser, pure standard C++ (it also builds for Windows,
// where there is no GLib). URI and key-file syntax are in link_uri and
// link_key_file; this file holds what vncgate accepts in them.
//
// Error texts are N_()-marked: the launcher and viewer translate them where
// they show them. A text with a "%s" is filled in here, so only its fixed
// part can be translated there.
#include "link/console_link.h"

#include <algorithm>
#include <cstdlib>

#include "link/link_key_file.h"
#include "link/link_text.h"
#include "link/link_uri.h"
#include "rfb/http_connect.h"

namespace vncgate {
namespace {

LinkParse refuse(LinkMessage why) {
  std::string text = why.text();
  return LinkParse{std::nullopt, std::move(text), std::move(why)};
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), linktext::is_cntrl);
}

bool valid_title(std::string_view t) {
  return t.size() <= 200 && !has_control(t) && linktext::utf8_valid(t);
}

bool valid_username(std::string_view u) {
  return !u.empty() && u.size() <= 256 && u[0] != '-' && !has_control(u) && linktext::utf8_valid(u);
}

std::optional<LinkTls> parse_tls(std::string_view v) {
  if (v == "x509") return LinkTls::X509;
  if (v == "anon") return LinkTls::Anon;
  if (v == "none") return LinkTls::None;
  return std::nullopt;
}

bool parse_bool(std::string_view v, bool &out) {
  if (v == "1" || v == "true" || v == "yes")
    out = true;
  else if (v == "0" || v == "false" || v == "no")
    out = false;
  else
    return false;
  return true;
}

// A number in 1..max as strtol reads it (leading white space and a sign
// are accepted, as they always were).
bool parse_number(const std::string &v, long max, long &out) {
  char *end = nullptr;
  long n = std::strtol(v.c_str(), &end, 10);
  if (v.empty() || *end || n < 1 || n > max) return false;
  out = n;
  return true;
}

// Decoded query parameters in order; duplicates are refused (ambiguous).
bool parse_query(const std::optional<std::string> &query,
                 std::vector<std::pair<std::string, std::string>> &out, LinkMessage &error) {
  if (!query || query->empty()) return true;
  linkuri::QuerySplit split = linkuri::split_query(*query);
  for (auto &[key, value] : split.params) {
    if (has_control(key) || has_control(value)) {
      error = N_("control character in link parameter");
      return false;
    }
    for (const auto &[ok, ov] : out) {
      if (ok == key) {
        error = LinkMessage(N_("link parameter '%s' appears twice"), key);
        return false;
      }
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  if (!split.error.empty()) {
    error = LinkMessage(N_("malformed link parameters: %s"), split.error);
    return false;
  }
  return true;
}

LinkParse parse_vncgate_params(ConsoleLink link,
                               const std::vector<std::pair<std::string, std::string>> &params) {
  for (const auto &[k, v] : params) {
    if (k == "token") {
      if (!is_valid_token(v)) return refuse(N_("invalid token in link"));
      link.token = v;
    } else if (k == "tls") {
      auto t = parse_tls(v);
      if (!t) return refuse(N_("tls must be x509, anon or none"));
      link.tls = *t;
    } else if (k == "title") {
      if (!valid_title(v)) return refuse(N_("invalid title in link"));
      link.title = v;
    } else {
      return refuse(
          LinkMessage(N_("unknown link parameter '%s'"), has_control(k) ? "?" : k.substr(0, 40)));
    }
  }
  return LinkParse{link, {}, {}};
}

// vnc:// (RFC 7869): unknown parameters are ignored.
LinkParse parse_vnc_params(ConsoleLink link,
                           const std::vector<std::pair<std::string, std::string>> &params) {
  for (const auto &[k, v] : params) {
    if (k == "ConnectionName") {
      if (!valid_title(v)) return refuse(N_("invalid ConnectionName in link"));
      link.title = v;
    } else if (k == "VncUsername") {
      if (!valid_username(v)) return refuse(N_("invalid VncUsername in link"));
      link.username = v;
    } else if (k == "VncPassword") {
      link.has_password = true;
      link.password = v;
    } else if (k == "SecurityType") {
      long t = 0;
      if (!parse_number(v, 255, t)) return refuse(N_("invalid SecurityType in link"));
      link.security_type = static_cast<int>(t);
    } else if (k == "ViewOnly") {
      if (!parse_bool(v, link.view_only)) return refuse(N_("ViewOnly must be true or false"));
    }
  }
  return LinkParse{link, {}, {}};
}

}  // namespace

bool is_valid_link_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host[0] == '-' || host[0] == '.') return false;
  std::string h(host);
  if (linkuri::is_ip_address(h.c_str())) return true;
  // DNS name: labels of letters, digits and '-', not starting or ending with '-'.
  size_t start = 0;
  while (start <= h.size()) {
    size_t dot = h.find('.', start);
    if (dot == std::string::npos) dot = h.size();
    std::string_view label(h.data() + start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      if (!linktext::is_alnum(c) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

bool is_valid_token(std::string_view t) {
  return t.size() >= 16 && t.size() <= 256 && std::all_of(t.begin(), t.end(), [](char c) {
           return linktext::is_alnum(c) || c == '-' || c == '_';
         });
}

LinkParse parse_console_link(std::string_view text) {
  if (text.size() > kMaxLinkLength) return refuse(N_("link is longer than 2048 characters"));
  if (text.empty()) return refuse(N_("empty link"));
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return refuse(N_("link contains a space, control or non-ASCII character"));
  }
  if (text[0] == '-') return refuse(N_("link looks like a command-line option"));
  linkuri::UriSplit split = linkuri::split_uri(text);
  if (!split.uri) return refuse(LinkMessage(N_("not a valid link: %s"), split.error));
  const linkuri::UriParts &uri = *split.uri;
  ConsoleLink link;
  if (uri.scheme == "vncgate") {
    link.kind = LinkKind::Vncgate;
    link.port = 5901;
  } else if (uri.scheme == "vnc") {
    link.kind = LinkKind::Vnc;
    link.port = 5900;
  } else {
    return refuse(
        LinkMessage(N_("unsupported link type '%s' (expected vncgate:// or vnc://)"), uri.scheme));
  }
  if (!uri.host || uri.host->empty()) return refuse(N_("link has no host"));
  link.host = *uri.host;
  if (!is_valid_link_host(link.host)) return refuse(N_("invalid host in link"));
  if (uri.port != -1) {
    if (uri.port < 1 || uri.port > 65535) return refuse(N_("invalid port in link"));
    link.port = static_cast<uint16_t>(uri.port);
  }
  if (uri.userinfo && !uri.userinfo->empty()) {
    if (link.kind != LinkKind::Vnc) return refuse(N_("vncgate links carry no user name"));
    std::string user = *uri.userinfo;  // already decoded once, as GUri gave it
    if (size_t colon = user.find(':'); colon != std::string::npos) {
      link.has_password = true;  // RFC 7869 forbids it; we never use it silently
      user.resize(colon);
    }
    std::optional<std::string> decoded = linkuri::unescape(user);
    if (!decoded || !valid_username(*decoded)) return refuse(N_("invalid user name in link"));
    link.username = *decoded;
  }
  if (uri.fragment) return refuse(N_("link must not have a #fragment"));
  std::vector<std::pair<std::string, std::string>> params;
  LinkMessage error;
  if (!parse_query(uri.query, params, error)) return refuse(error);

  if (link.kind == LinkKind::Vncgate) {
    constexpr std::string_view kPrefix = "/console/";
    if (!uri.path.starts_with(kPrefix))
      return refuse(N_("vncgate link path must be /console/NAME"));
    link.console = uri.path.substr(kPrefix.size());
    if (!is_valid_console_name(link.console)) return refuse(N_("invalid console name in link"));
    return parse_vncgate_params(std::move(link), params);
  }
  if (!uri.path.empty() && uri.path != "/") return refuse(N_("vnc link must not have a path"));
  return parse_vnc_params(std::move(link), params);
}

LinkParse parse_vv_file(std::string_view contents) {
  if (contents.size() > kMaxVvFileSize) return refuse(N_(".vv file is larger than 64 KiB"));
  linkkeyfile::KeyFile kf;
  LinkMessage load_error;
  if (!kf.load(contents, load_error))
    return refuse(LinkMessage(N_("not a valid .vv file: %s"), load_error));
  const std::string g = "virt-viewer";
  auto get = [&](const char *key) -> std::optional<std::string> {
    auto v = kf.get_string(g, key);
    if (!v) return std::nullopt;
    return linktext::strip(*v);
  };
  if (!kf.has_group(g)) return refuse(N_(".vv file has no [virt-viewer] section"));
  auto type = get("type");
  if (!type || *type != "vnc") return refuse(N_(".vv file is not of type vnc"));
  ConsoleLink link;
  link.kind = LinkKind::VirtViewerFile;
  auto host = get("host");
  if (!host || !is_valid_link_host(*host)) return refuse(N_("invalid or missing host in .vv file"));
  link.host = *host;
  auto port = get("port");
  if (!port) return refuse(N_(".vv file has no port"));
  long p = 0;
  if (!parse_number(*port, 65535, p)) return refuse(N_("invalid port in .vv file"));
  link.port = static_cast<uint16_t>(p);
  if (auto t = get("title")) {
    if (!valid_title(*t)) return refuse(N_("invalid title in .vv file"));
    link.title = *t;
  }
  if (auto d = get("delete-this-file"); d && !parse_bool(*d, link.delete_file))
    return refuse(N_("delete-this-file must be 0 or 1"));
  if (auto u = get("username")) {
    if (!valid_username(*u)) return refuse(N_("invalid username in .vv file"));
    link.username = *u;
  }
  if (auto pw = get("password")) {
    link.has_password = true;
    link.password = *pw;
  }
  if (auto c = get("vncgate-console")) {
    if (!is_valid_console_name(*c)) return refuse(N_("invalid vncgate-console in .vv file"));
    link.console = *c;
  }
  if (auto t = get("vncgate-token")) {
    if (!is_valid_token(*t)) return refuse(N_("invalid vncgate-token in .vv file"));
    link.token = *t;
  }
  if (auto t = get("vncgate-tls")) {
    auto m = parse_tls(*t);
    if (!m) return refuse(N_("vncgate-tls must be x509, anon or none"));
    link.tls = *m;
  }
  return LinkParse{link, {}, {}};
}

std::string ConsoleLink::display_name() const {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  std::string base = (kind == LinkKind::Vnc || console.empty() ? "vnc://" : "vncgate://") + h +
                     ":" + std::to_string(port);
  return console.empty() ? base : base + "/console/" + console;
}

std::string web_link_url(bool tls, const std::string &host, uint16_t port,
                         const std::string &console, const std::string &token) {
  std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return (tls ? "https://" : "http://") + h + ":" + std::to_string(port) + "/console/" + console +
         "#token=" + token;
}

std::string ConsoleLink::identity() const {
  // Host names are case-insensitive: GW.example and gw.example are one console.
  ConsoleLink lower = *this;
  lower.host = linktext::ascii_lower(host);
  return lower.display_name();
}

std::string ConsoleLink::to_url() const {
  std::string u = display_name();
  std::string sep = "?";
  if (!token.empty()) {
    u += sep + "token=" + token;
    sep = "&";
  }
  if (tls != LinkTls::Default) {
    u += sep + "tls=" + (tls == LinkTls::X509 ? "x509" : tls == LinkTls::Anon ? "anon" : "none");
    sep = "&";
  }
  if (!title.empty()) u += sep + "title=" + linkuri::escape(title);
  return u;
}

}  // namespace vncgate
