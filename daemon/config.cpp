#include "config.h"

#include <glib.h>
#include <glib/gi18n-lib.h>

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <set>
#include <string_view>

#include "config_reader.h"
#include "printf_string.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"

namespace vncgate {
namespace {

// [gateway] guess-*: the password-guessing limits (security/login_throttle.h).
bool parse_guess_limits(const SectionReader &r, LoginThrottleSettings &g, std::string &error) {
  if (!r.uint_in("guess-threshold", 0, 1000000, g.threshold, error) ||
      !r.seconds("guess-window", 1, 7 * 24 * 3600, g.window, error) ||
      !r.seconds("guess-backoff", 0.1, 7 * 24 * 3600, g.backoff, error) ||
      !r.seconds("guess-backoff-max", 0.1, 7 * 24 * 3600, g.backoff_max, error) ||
      !r.uint_in("guess-user-rate", 1, 60000, g.user_rate, error))
    return false;
  if (g.backoff_max < g.backoff) {
    error = r.where("guess-backoff-max") + ": " + _("must not be shorter than guess-backoff");
    return false;
  }
  return true;
}

bool parse_gateway(const SectionReader &r, Config &c, std::string &error) {
  if (!r.only_known({"listen",
                     "allowed-clients",
                     "proxy-protocol-from",
                     "handshake-timeout",
                     "idle-close",
                     "mkvterm",
                     "rmvterm",
                     "mkvterm-timeout",
                     "max-sessions",
                     "state-dir",
                     "public-host",
                     "backend-timeout",
                     "max-session-time",
                     "guess-threshold",
                     "guess-window",
                     "guess-backoff",
                     "guess-backoff-max",
                     "guess-user-rate",
                     "max-handshakes",
                     "max-handshakes-per-source",
                     "handshake-buffer-mib",
                     "listen-backlog"},
                    error))
    return false;
  if (!parse_guess_limits(r, c.guess, error)) return false;
  if (r.has("listen")) {
    c.listen.clear();
    for (const auto &item : r.list("listen")) {
      std::string why;
      auto hp = parse_host_port(item, false, why);
      if (!hp) {
        error = r.where("listen") + ": " + why;
        return false;
      }
      c.listen.push_back(*hp);
    }
  }
  if (r.has("allowed-clients")) {
    c.allowed_clients = AllowList();
    c.allowed_clients_text = r.list("allowed-clients");
    for (const auto &item : c.allowed_clients_text) {
      std::string why;
      if (!c.allowed_clients.add(item, why)) {
        error = r.where("allowed-clients") + ": " + why;
        return false;
      }
    }
  }
  if (r.has("proxy-protocol-from")) {
    c.proxy_protocol_from = AllowList();
    c.proxy_protocol_from_text = r.list("proxy-protocol-from");
    for (const auto &item : c.proxy_protocol_from_text) {
      std::string why;
      if (!c.proxy_protocol_from.add(item, why)) {
        error = r.where("proxy-protocol-from") + ": " + why;
        return false;
      }
    }
  }
  if (!r.path("state-dir", c.state_dir, error)) return false;
  if (r.has("public-host")) {
    c.public_host = r.raw("public-host");
    std::string why;
    if (!parse_host_port(c.public_host + ":1", true, why) &&
        !parse_host_port("[" + c.public_host + "]:1", true, why)) {
      error = r.where("public-host") + ": " +
              printf_string(_("'%s' is not a host name or address"), c.public_host.c_str());
      return false;
    }
  }
  return r.uint_in("handshake-timeout", 1, 3600, c.handshake_timeout, error) &&
         r.uint_in("idle-close", 0, 7 * 24 * 3600, c.idle_close, error) &&
         r.uint_in("mkvterm-timeout", 1, 600, c.mkvterm_timeout, error) &&
         r.uint_in("backend-timeout", 1, 600, c.backend_timeout, error) &&
         r.uint_in("max-session-time", 0, 30 * 24 * 3600, c.max_session_time, error) &&
         r.uint_in("max-sessions", 1, 1000000, c.max_sessions, error) &&
         r.uint_in("max-handshakes", 1, 1000000, c.max_handshakes, error) &&
         r.uint_in("max-handshakes-per-source", 1, 1000000, c.max_handshakes_per_source, error) &&
         r.uint_in("handshake-buffer-mib", 1, 65536, c.handshake_buffer_mib, error) &&
         r.uint_in("listen-backlog", 1, 65535, c.listen_backlog, error) &&
         r.path("mkvterm", c.mkvterm, error) && r.path("rmvterm", c.rmvterm, error);
}

bool parse_sasl(const SectionReader &r, Config &c, std::string &error) {
  if (!r.only_known({"app-name", "min-ssf", "auth-failure-delay", "realm", "keytab", "strip-realm",
                     "replay-cache", "max-field", "workers"},
                    error))
    return false;
  if (r.has("app-name")) {
    c.sasl_app_name = r.raw("app-name");
    bool ok = !c.sasl_app_name.empty() && c.sasl_app_name.size() <= 64 &&
              std::all_of(c.sasl_app_name.begin(), c.sasl_app_name.end(),
                          [](char ch) {
                            return g_ascii_isalnum(ch) || ch == '-' || ch == '_' || ch == '.';
                          }) &&
              c.sasl_app_name[0] != '.';
    if (!ok) {
      error = r.where("app-name") + ": " + _("expected a name of letters, digits, '-', '_' or '.'");
      return false;
    }
  }
  c.realm = r.raw("realm");
  if (c.realm.find_first_of(" \t@/") != std::string::npos) {
    error = r.where("realm") + ": " + _("a realm has no blanks, '@' or '/'");
    return false;
  }
  if (!r.path("keytab", c.keytab, error) || !r.boolean("strip-realm", c.strip_realm, error))
    return false;
  if (c.strip_realm && c.realm.empty()) {
    error = r.where("strip-realm") + ": " +
            _("needs realm= (only that realm is stripped, so a user of another realm can never "
              "pass for a local one)");
    return false;
  }
  c.replay_cache = r.raw("replay-cache");
  return r.uint_in("min-ssf", 0, 100000, c.min_ssf, error) &&
         r.seconds("auth-failure-delay", 0, 10, c.auth_failure_delay, error) &&
         r.uint_in("max-field", 1024, static_cast<unsigned>(kMaxSaslClientData), c.sasl_max_field,
                   error) &&
         r.uint_in("workers", 0, 256, c.sasl_workers, error);
}

bool parse_control(const SectionReader &r, Config &c, std::string &error) {
  if (!r.only_known(
          {"socket", "group", "listen", "health-listen", "cert", "key", "ca", "users-file"}, error))
    return false;
  c.control = true;
  if (r.has("socket")) {
    c.control_socket = r.raw("socket");
    if (!c.control_socket.empty() && c.control_socket[0] != '/') {
      error = r.where("socket") + ": " + _("expected an absolute path (or empty for none)");
      return false;
    }
  }
  c.control_group = r.raw("group");
  if (r.has("listen")) {
    std::string why;
    c.control_listen = parse_host_port(r.raw("listen"), false, why);
    if (!c.control_listen) {
      error = r.where("listen") + ": " + why;
      return false;
    }
  }
  if (r.has("health-listen")) {
    std::string why;
    c.control_health_listen = parse_host_port(r.raw("health-listen"), false, why);
    if (!c.control_health_listen) {
      error = r.where("health-listen") + ": " + why;
      return false;
    }
  }
  if (!r.path("cert", c.control_cert, error) || !r.path("key", c.control_key, error) ||
      !r.path("ca", c.control_ca, error) || !r.path("users-file", c.control_users_file, error))
    return false;
  if (c.control_listen && (c.control_cert.empty() || c.control_key.empty())) {
    error = r.where("listen") + ": " + _("the TCP control API needs cert= and key= (TLS only)");
    return false;
  }
  if (c.control_listen && c.control_users_file.empty() && c.control_ca.empty()) {
    error = r.where("listen") + ": " + _("set users-file= or ca= so callers can authenticate");
    return false;
  }
  return true;
}

bool parse_tls(const SectionReader &r, Config &c, std::string &error) {
  if (!r.only_known({"cert", "key", "ca", "crl", "verify-client", "identity", "priority",
                     "subtypes", "offer-plain-sasl", "wrap"},
                    error))
    return false;
  if (!r.path("cert", c.tls.cert, error) || !r.path("key", c.tls.key, error) ||
      !r.path("ca", c.tls.ca, error) || !r.path("crl", c.tls.crl, error))
    return false;
  if (r.has("verify-client")) {
    std::string v = r.raw("verify-client");
    if (v == "none")
      c.tls.verify_client = VerifyClient::None;
    else if (v == "optional")
      c.tls.verify_client = VerifyClient::Optional;
    else if (v == "require")
      c.tls.verify_client = VerifyClient::Require;
    else {
      error = r.where("verify-client") + ": " +
              printf_string(_("expected none, optional or require, got '%s'"), v.c_str());
      return false;
    }
  }
  if (r.has("identity")) {
    std::string v = r.raw("identity");
    if (v == "cn")
      c.tls.identity = CertIdentity::Cn;
    else if (v == "san-email")
      c.tls.identity = CertIdentity::SanEmail;
    else if (v == "san-upn")
      c.tls.identity = CertIdentity::SanUpn;
    else {
      error = r.where("identity") + ": " +
              printf_string(_("expected cn, san-email or san-upn, got '%s'"), v.c_str());
      return false;
    }
  }
  if (r.has("priority")) {
    c.tls.priority = r.raw("priority");
    if (c.tls.priority.empty()) {
      error = r.where("priority") + ": " + _("empty GnuTLS priority string");
      return false;
    }
  }
  if (r.has("subtypes")) {
    if (!parse_subtypes(r, c.tls_subtypes, error)) return false;
  } else if (!c.tls.cert.empty()) {
    c.tls_subtypes = {kVeNCryptX509Sasl};
  }
  return r.boolean("offer-plain-sasl", c.offer_plain_sasl, error) &&
         r.boolean("wrap", c.tls_wrap, error);
}

}  // namespace

unsigned default_sasl_workers() {
  return std::max(2u, g_get_num_processors());
}

bool Config::tls_configured() const {
  if (!tls.cert.empty() || !tls_subtypes.empty()) return true;
  for (const auto &[name, con] : consoles) {
    if (con.subtypes && !con.subtypes->empty()) return true;
  }
  return false;
}

const std::vector<uint32_t> &Config::subtypes_for(const std::string &console) const {
  auto it = consoles.find(console);
  if (it != consoles.end() && it->second.subtypes) return *it->second.subtypes;
  return tls_subtypes;
}

namespace {

// Every section the parser accepts. parse_config() dispatches through this
// table and config_accepted_keys() walks it, so the documentation check
// (data/check-config-keys.sh) sees exactly what the parser accepts.
struct SectionParser {
  const char *name;  // "console:" is a prefix: [console:NAME]
  bool (*parse)(const SectionReader &, const std::string &section, Config &, std::string &);
};
const SectionParser kSectionParsers[] = {
    {"gateway", [](const SectionReader &r, const std::string &, Config &c,
                   std::string &e) { return parse_gateway(r, c, e); }},
    {"sasl", [](const SectionReader &r, const std::string &, Config &c,
                std::string &e) { return parse_sasl(r, c, e); }},
    {"tls", [](const SectionReader &r, const std::string &, Config &c,
               std::string &e) { return parse_tls(r, c, e); }},
    {"control", [](const SectionReader &r, const std::string &, Config &c,
                   std::string &e) { return parse_control(r, c, e); }},
    {"cluster", [](const SectionReader &r, const std::string &, Config &c,
                   std::string &e) { return parse_cluster(r, c, e); }},
    {"web", [](const SectionReader &r, const std::string &, Config &c,
               std::string &e) { return parse_web(r, c, e); }},
    {"console:", [](const SectionReader &r, const std::string &g, Config &c,
                    std::string &e) { return parse_console(r, g.substr(8), c, e); }},
};

const SectionParser *find_section_parser(const std::string &group) {
  for (const auto &p : kSectionParsers) {
    std::string_view name = p.name;
    if (name.ends_with(':') ? group.starts_with(name) : group == name) return &p;
  }
  return nullptr;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> config_accepted_keys() {
  std::vector<std::pair<std::string, std::string>> out;
  g_autoptr(GKeyFile) kf = g_key_file_new();
  for (const auto &p : kSectionParsers) {
    std::string section = p.name;
    if (section.ends_with(':')) section += "NAME";
    std::vector<std::string> keys;
    SectionReader r(kf, "", section);
    r.collect_into(&keys);
    Config scratch;
    std::string error;
    p.parse(r, section, scratch, error);
    for (auto &k : keys) out.emplace_back(section, std::move(k));
  }
  return out;
}

bool parse_config(const std::string &text, const std::string &origin, Config &out,
                  std::string &error) {
  // GKeyFile reads a value that is not UTF-8 as missing, which would turn
  // "allowed-users = al\xffice" into an empty list (everyone): refuse the file.
  const char *bad = nullptr;
  if (!g_utf8_validate(text.data(), static_cast<gssize>(text.size()), &bad)) {
    size_t line = 1 + static_cast<size_t>(std::count(text.data(), bad, '\n'));
    error = origin + ": " + printf_string(_("line %zu: not valid UTF-8 (or a NUL byte)"), line);
    return false;
  }
  g_autoptr(GKeyFile) kf = g_key_file_new();
  g_autoptr(GError) err = nullptr;
  // Keep translations so "key[xx]" is always an unknown key, whatever the locale.
  if (!g_key_file_load_from_data(kf, text.data(), text.size(), G_KEY_FILE_KEEP_TRANSLATIONS,
                                 &err)) {
    error = origin + ": " + err->message;
    return false;
  }
  Config c;
  c.path = origin;
  c.listen = {HostPort{"127.0.0.1", 5901}, HostPort{"::1", 5901}};
  gsize n = 0;
  g_auto(GStrv) groups = g_key_file_get_groups(kf, &n);
  for (gsize i = 0; i < n; ++i) {
    std::string g = groups[i];
    const SectionParser *p = find_section_parser(g);
    if (!p) {
      error = origin + ": [" + g + "]: " + _("unknown section");
      return false;
    }
    if (!p->parse(SectionReader(kf, origin, g), g, c, error)) return false;
  }
  if (c.listen.empty() && std::none_of(c.consoles.begin(), c.consoles.end(),
                                       [](const auto &kv) { return kv.second.port.has_value(); })) {
    error = origin + ": " + _("nothing to listen on: set [gateway] listen or a console port");
    return false;
  }
  if (!check_tls(c, origin, error)) return false;
  std::set<uint16_t> ports;
  for (const auto &l : c.listen) ports.insert(l.port);
  for (const auto &l : c.web_listen) ports.insert(l.port);
  for (const auto &[name, con] : c.consoles) {
    if (con.port && !ports.insert(*con.port).second) {
      error = origin + ": [console:" + name + "] port: " +
              printf_string(_("%u is already used by another listener"), unsigned(*con.port));
      return false;
    }
  }
  out = std::move(c);
  return true;
}

bool load_config(const std::string &path, Config &out, std::string &error) {
  g_autofree gchar *contents = nullptr;
  gsize len = 0;
  g_autoptr(GError) err = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &len, &err)) {
    error = err->message;
    return false;
  }
  std::string text(contents, len);
  if (len > 1024 * 1024) {
    error = path + ": " + _("larger than 1 MiB");
    return false;
  }
  return parse_config(text, path, out, error);
}

bool read_password_file(const std::string &path, std::string &out, std::string &error) {
  g_autofree gchar *contents = nullptr;
  gsize len = 0;
  g_autoptr(GError) err = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &len, &err)) {
    error = err->message;  // names the file, never the content
    return false;
  }
  std::string s(contents, len);
  s = s.substr(0, s.find('\n'));
  if (!s.empty() && s.back() == '\r') s.pop_back();
  if (s.empty()) {
    error = path + ": " + _("empty password file");
    return false;
  }
  out = std::move(s);
  return true;
}

}  // namespace vncgate