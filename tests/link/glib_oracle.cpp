// The link parser as it was before it dropped GLib (commit 65b9889,
// common/link/console_link.cpp), kept only as the oracle of the differential
// test: the GLib-free parser must accept, refuse and return exactly what this
// one does. Only the namespace and the ConsoleLink methods (display_name()
// is unchanged and shared; identity() and to_url() used GLib) differ.
#include "glib_oracle.h"

#include <glib.h>

#include <algorithm>
#include <memory>

#include "rfb/http_connect.h"

namespace vncgate::glib_oracle {
namespace {

template <typename T, void (*F)(T *)>
struct GDeleter {
  void operator()(T *p) const {
    if (p) F(p);
  }
};
using UriPtr = std::unique_ptr<GUri, GDeleter<GUri, g_uri_unref>>;
using KeyFilePtr = std::unique_ptr<GKeyFile, GDeleter<GKeyFile, g_key_file_unref>>;

LinkParse refuse(std::string why) {
  return LinkParse{std::nullopt, std::move(why), {}};
}

bool has_control(std::string_view s) {
  return std::any_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x20 || u == 0x7f;
  });
}

bool valid_title(std::string_view t) {
  return t.size() <= 200 && !has_control(t) &&
         g_utf8_validate(t.data(), static_cast<gssize>(t.size()), nullptr);
}

bool valid_username(std::string_view u) {
  return !u.empty() && u.size() <= 256 && u[0] != '-' && !has_control(u) &&
         g_utf8_validate(u.data(), static_cast<gssize>(u.size()), nullptr);
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

// Decoded query parameters in order; duplicates are refused (ambiguous).
bool parse_query(const char *query, std::vector<std::pair<std::string, std::string>> &out,
                 std::string &error) {
  if (!query || !*query) return true;
  GUriParamsIter iter;
  g_uri_params_iter_init(&iter, query, -1, "&", G_URI_PARAMS_NONE);
  GError *err = nullptr;
  gchar *k = nullptr, *v = nullptr;
  while (g_uri_params_iter_next(&iter, &k, &v, &err)) {
    std::string key = k ? k : "", value = v ? v : "";
    g_free(k);
    g_free(v);
    if (has_control(key) || has_control(value)) {
      error = "control character in link parameter";
      return false;
    }
    for (const auto &[ok, ov] : out) {
      if (ok == key) {
        error = "link parameter '" + key + "' appears twice";
        return false;
      }
    }
    out.emplace_back(std::move(key), std::move(value));
  }
  if (err) {
    error = std::string("malformed link parameters: ") + err->message;
    g_error_free(err);
    return false;
  }
  return true;
}

}  // namespace

bool is_valid_link_host(std::string_view host) {
  if (host.empty() || host.size() > 253 || host[0] == '-' || host[0] == '.') return false;
  std::string h(host);
  if (g_hostname_is_ip_address(h.c_str())) return true;
  // DNS name: labels of letters, digits and '-', not starting or ending with '-'.
  size_t start = 0;
  while (start <= h.size()) {
    size_t dot = h.find('.', start);
    if (dot == std::string::npos) dot = h.size();
    std::string_view label(h.data() + start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-')
      return false;
    for (char c : label) {
      if (!g_ascii_isalnum(c) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

bool is_valid_token(std::string_view t) {
  return t.size() >= 16 && t.size() <= 256 && std::all_of(t.begin(), t.end(), [](char c) {
           return g_ascii_isalnum(c) || c == '-' || c == '_';
         });
}

LinkParse parse_console_link(std::string_view text) {
  if (text.size() > kMaxLinkLength) return refuse("link is longer than 2048 characters");
  if (text.empty()) return refuse("empty link");
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f)
      return refuse("link contains a space, control or non-ASCII character");
  }
  if (text[0] == '-') return refuse("link looks like a command-line option");
  std::string s(text);
  GError *err = nullptr;
  UriPtr uri(g_uri_parse(
      s.c_str(), GUriFlags(G_URI_FLAGS_ENCODED_QUERY | G_URI_FLAGS_SCHEME_NORMALIZE), &err));
  if (!uri) {
    std::string why = std::string("not a valid link: ") + err->message;
    g_error_free(err);
    return refuse(why);
  }
  std::string scheme = g_uri_get_scheme(uri.get());
  ConsoleLink link;
  if (scheme == "vncgate") {
    link.kind = LinkKind::Vncgate;
    link.port = 5901;
  } else if (scheme == "vnc") {
    link.kind = LinkKind::Vnc;
    link.port = 5900;
  } else {
    return refuse("unsupported link type '" + scheme + "' (expected vncgate:// or vnc://)");
  }
  const char *host = g_uri_get_host(uri.get());
  if (!host || !*host) return refuse("link has no host");
  link.host = host;
  if (!is_valid_link_host(link.host)) return refuse("invalid host in link");
  gint port = g_uri_get_port(uri.get());
  if (port != -1) {
    if (port < 1 || port > 65535) return refuse("invalid port in link");
    link.port = static_cast<uint16_t>(port);
  }
  if (const char *ui = g_uri_get_userinfo(uri.get()); ui && *ui) {
    if (link.kind != LinkKind::Vnc) return refuse("vncgate links carry no user name");
    std::string user = ui;
    if (user.find(':') != std::string::npos) {
      link.has_password = true;  // RFC 7869 forbids it; we never use it silently
      user = user.substr(0, user.find(':'));
    }
    gchar *dec = g_uri_unescape_string(user.c_str(), nullptr);
    if (!dec || !valid_username(dec)) {
      g_free(dec);
      return refuse("invalid user name in link");
    }
    link.username = dec;
    g_free(dec);
  }
  std::string path = g_uri_get_path(uri.get());
  if (g_uri_get_fragment(uri.get())) return refuse("link must not have a #fragment");
  std::vector<std::pair<std::string, std::string>> params;
  std::string error;
  if (!parse_query(g_uri_get_query(uri.get()), params, error)) return refuse(error);

  if (link.kind == LinkKind::Vncgate) {
    constexpr std::string_view kPrefix = "/console/";
    if (!path.starts_with(kPrefix)) return refuse("vncgate link path must be /console/NAME");
    link.console = path.substr(kPrefix.size());
    if (!is_valid_console_name(link.console)) return refuse("invalid console name in link");
    for (const auto &[k, v] : params) {
      if (k == "token") {
        if (!is_valid_token(v)) return refuse("invalid token in link");
        link.token = v;
      } else if (k == "tls") {
        auto t = parse_tls(v);
        if (!t) return refuse("tls must be x509, anon or none");
        link.tls = *t;
      } else if (k == "title") {
        if (!valid_title(v)) return refuse("invalid title in link");
        link.title = v;
      } else {
        return refuse("unknown link parameter '" +
                      (has_control(k) ? std::string("?") : k.substr(0, 40)) + "'");
      }
    }
    return LinkParse{link, {}, {}};
  }
  // vnc:// (RFC 7869): path must be empty; unknown parameters are ignored.
  if (!path.empty() && path != "/") return refuse("vnc link must not have a path");
  for (const auto &[k, v] : params) {
    if (k == "ConnectionName") {
      if (!valid_title(v)) return refuse("invalid ConnectionName in link");
      link.title = v;
    } else if (k == "VncUsername") {
      if (!valid_username(v)) return refuse("invalid VncUsername in link");
      link.username = v;
    } else if (k == "VncPassword") {
      link.has_password = true;
      link.password = v;
    } else if (k == "SecurityType") {
      char *end = nullptr;
      long t = std::strtol(v.c_str(), &end, 10);
      if (v.empty() || *end || t < 1 || t > 255) return refuse("invalid SecurityType in link");
      link.security_type = static_cast<int>(t);
    } else if (k == "ViewOnly") {
      if (!parse_bool(v, link.view_only)) return refuse("ViewOnly must be true or false");
    }
  }
  return LinkParse{link, {}, {}};
}

LinkParse parse_vv_file(std::string_view contents) {
  if (contents.size() > kMaxVvFileSize) return refuse(".vv file is larger than 64 KiB");
  KeyFilePtr kf(g_key_file_new());
  GError *err = nullptr;
  if (!g_key_file_load_from_data(kf.get(), contents.data(), contents.size(), G_KEY_FILE_NONE,
                                 &err)) {
    std::string why = std::string("not a valid .vv file: ") + err->message;
    g_error_free(err);
    return refuse(why);
  }
  const char *g = "virt-viewer";
  auto get = [&](const char *key) -> std::optional<std::string> {
    gchar *v = g_key_file_get_string(kf.get(), g, key, nullptr);
    if (!v) return std::nullopt;
    std::string s = g_strstrip(v);
    g_free(v);
    return s;
  };
  if (!g_key_file_has_group(kf.get(), g)) return refuse(".vv file has no [virt-viewer] section");
  auto type = get("type");
  if (!type || *type != "vnc") return refuse(".vv file is not of type vnc");
  ConsoleLink link;
  link.kind = LinkKind::VirtViewerFile;
  auto host = get("host");
  if (!host || !is_valid_link_host(*host)) return refuse("invalid or missing host in .vv file");
  link.host = *host;
  auto port = get("port");
  if (!port) return refuse(".vv file has no port");
  char *end = nullptr;
  long p = std::strtol(port->c_str(), &end, 10);
  if (port->empty() || *end || p < 1 || p > 65535) return refuse("invalid port in .vv file");
  link.port = static_cast<uint16_t>(p);
  if (auto t = get("title")) {
    if (!valid_title(*t)) return refuse("invalid title in .vv file");
    link.title = *t;
  }
  if (auto d = get("delete-this-file"); d && !parse_bool(*d, link.delete_file))
    return refuse("delete-this-file must be 0 or 1");
  if (auto u = get("username")) {
    if (!valid_username(*u)) return refuse("invalid username in .vv file");
    link.username = *u;
  }
  if (auto pw = get("password")) {
    link.has_password = true;
    link.password = *pw;
  }
  if (auto c = get("vncgate-console")) {
    if (!is_valid_console_name(*c)) return refuse("invalid vncgate-console in .vv file");
    link.console = *c;
  }
  if (auto t = get("vncgate-token")) {
    if (!is_valid_token(*t)) return refuse("invalid vncgate-token in .vv file");
    link.token = *t;
  }
  if (auto t = get("vncgate-tls")) {
    auto m = parse_tls(*t);
    if (!m) return refuse("vncgate-tls must be x509, anon or none");
    link.tls = *m;
  }
  return LinkParse{link, {}, {}};
}

std::string identity(const ConsoleLink &l) {
  ConsoleLink lower = l;
  gchar *h = g_ascii_strdown(l.host.c_str(), -1);
  lower.host = h;
  g_free(h);
  return lower.display_name();
}

std::string to_url(const ConsoleLink &l) {
  std::string u = l.display_name();
  std::string sep = "?";
  if (!l.token.empty()) {
    u += sep + "token=" + l.token;
    sep = "&";
  }
  if (l.tls != LinkTls::Default) {
    u += sep + "tls=" +
         (l.tls == LinkTls::X509   ? "x509"
          : l.tls == LinkTls::Anon ? "anon"
                                   : "none");
    sep = "&";
  }
  if (!l.title.empty()) {
    gchar *esc = g_uri_escape_string(l.title.c_str(), nullptr, FALSE);
    u += sep + "title=" + esc;
    g_free(esc);
  }
  return u;
}

}  // namespace vncgate::glib_oracle
