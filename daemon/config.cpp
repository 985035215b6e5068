#include "config.h"

#include <glib.h>
#include <glib/gi18n-lib.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <memory>
#include <set>
#include <string_view>

#include "printf_string.h"
#include "rfb/http_connect.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"

namespace vncgate {
namespace {

struct KeyFileUnref {
  void operator()(GKeyFile *k) const { g_key_file_unref(k); }
};
using KeyFilePtr = std::unique_ptr<GKeyFile, KeyFileUnref>;

// The reasons are translated (an operator reads them from --check-config or
// the start-up error); what names the place ("file: [section] key") and the
// fixed log prefixes around them stay as written.
// Reads one key with a typed parser; every message names file, section, key.
class SectionReader {
 public:
  SectionReader(GKeyFile *kf, std::string origin, std::string section)
      : kf_(kf), origin_(std::move(origin)), section_(std::move(section)) {}

  bool has(const char *key) const {
    return g_key_file_has_key(kf_, section_.c_str(), key, nullptr);
  }

  std::string raw(const char *key) const {
    gchar *v = g_key_file_get_string(kf_, section_.c_str(), key, nullptr);
    std::string s = v ? v : "";
    g_free(v);
    // Trim surrounding white space; GKeyFile keeps trailing blanks.
    auto not_space = [](unsigned char c) { return !g_ascii_isspace(c); };
    s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
    s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
    return s;
  }

  std::vector<std::string> list(const char *key) const {
    std::vector<std::string> out;
    std::string v = raw(key);
    gchar **parts = g_strsplit_set(v.c_str(), ";,", -1);
    for (gchar **p = parts; *p; ++p) {
      gchar *t = g_strstrip(*p);
      if (*t) out.emplace_back(t);
    }
    g_strfreev(parts);
    return out;
  }

  bool uint_in(const char *key, unsigned lo, unsigned hi, unsigned &out, std::string &error) const {
    if (!has(key)) return true;
    std::string v = raw(key);
    char *end = nullptr;
    errno = 0;
    unsigned long long n = v.empty() || v[0] == '-' ? 0 : std::strtoull(v.c_str(), &end, 10);
    if (v.empty() || v[0] == '-' || errno || !end || *end || n < lo || n > hi) {
      error =
          where(key) + ": " +
          printf_string(_("expected a whole number from %u to %u, got '%s'"), lo, hi, v.c_str());
      return false;
    }
    out = static_cast<unsigned>(n);
    return true;
  }

  bool seconds(const char *key, double lo, double hi, double &out, std::string &error) const {
    if (!has(key)) return true;
    std::string v = raw(key);
    char *end = nullptr;
    double d = g_ascii_strtod(v.c_str(), &end);
    if (v.empty() || !end || *end || !(d >= lo && d <= hi)) {
      error = where(key) + ": " +
              printf_string(_("expected seconds from %g to %g, got '%s'"), lo, hi, v.c_str());
      return false;
    }
    out = d;
    return true;
  }

  bool boolean(const char *key, bool &out, std::string &error) const {
    if (!has(key)) return true;
    std::string v = raw(key);
    if (v == "true" || v == "yes" || v == "1") {
      out = true;
    } else if (v == "false" || v == "no" || v == "0") {
      out = false;
    } else {
      error = where(key) + ": " + printf_string(_("expected true or false, got '%s'"), v.c_str());
      return false;
    }
    return true;
  }

  bool path(const char *key, std::string &out, std::string &error) const {
    if (!has(key)) return true;
    std::string v = raw(key);
    if (v.empty() || v[0] != '/') {
      error =
          where(key) + ": " + printf_string(_("expected an absolute path, got '%s'"), v.c_str());
      return false;
    }
    out = v;
    return true;
  }

  bool only_known(std::initializer_list<const char *> known, std::string &error) const {
    if (collect_) {
      // config_accepted_keys(): report the list and stop before any value is read.
      for (const char *k : known) collect_->push_back(k);
      return false;
    }
    gsize n = 0;
    gchar **keys = g_key_file_get_keys(kf_, section_.c_str(), &n, nullptr);
    bool ok = true;
    for (gsize i = 0; keys && i < n && ok; ++i) {
      bool found = std::any_of(known.begin(), known.end(),
                               [&](const char *k) { return g_strcmp0(k, keys[i]) == 0; });
      if (!found) {
        error = where(keys[i]) + ": " + _("unknown key");
        ok = false;
      }
    }
    g_strfreev(keys);
    return ok;
  }

  // Makes only_known() append its keys to `out` and refuse the section.
  void collect_into(std::vector<std::string> *out) { collect_ = out; }

  std::string where(const char *key) const {
    std::string w = origin_ + ": [" + section_ + "]";
    return *key ? w + " " + key : w;
  }

 private:
  GKeyFile *kf_;
  std::string origin_;
  std::string section_;
  std::vector<std::string> *collect_ = nullptr;
};

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

bool parse_subtypes(const SectionReader &r, std::vector<uint32_t> &out, std::string &error) {
  out.clear();
  for (const auto &name : r.list("subtypes")) {
    auto st = vencrypt_subtype_from_name(name);
    if (!st) {
      error = r.where("subtypes") + ": " +
              printf_string(_("unknown subtype '%s' (known: x509-sasl, tls-sasl, x509-none)"),
                            name.c_str());
      return false;
    }
    if (std::find(out.begin(), out.end(), *st) == out.end()) out.push_back(*st);
  }
  return true;
}

bool parse_control(const SectionReader &r, Config &c, std::string &error) {
  if (!r.only_known({"socket", "group", "listen", "cert", "key", "ca", "users-file"}, error))
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

// Cross-checks of [tls] against the consoles, after every section is read.
bool check_tls(const Config &c, const std::string &origin, std::string &error) {
  auto check = [&](const std::vector<uint32_t> &subs, const std::string &where) {
    for (uint32_t st : subs) {
      if (!vencrypt_subtype_is_anonymous(st) && c.tls.cert.empty()) {
        error = origin + ": " + where + " subtypes: " +
                printf_string(_("%s needs [tls] cert and key"), vencrypt_subtype_name(st).c_str());
        return false;
      }
      if (st == kVeNCryptX509None && c.tls.verify_client != VerifyClient::Require) {
        error = origin + ": " + where + " subtypes: " +
                _("x509-none is only allowed with [tls] verify-client=require (the client "
                  "certificate is the only credential)");
        return false;
      }
    }
    if (subs.empty() && !c.offer_plain_sasl) {
      error = origin + ": " + where + ": " +
              _("offer-plain-sasl=false and no VeNCrypt subtypes: clients would have no way in");
      return false;
    }
    return true;
  };
  if (!check(c.tls_subtypes, "[tls]")) return false;
  for (const auto &[name, con] : c.consoles) {
    if (con.subtypes && !check(*con.subtypes, "[console:" + name + "]")) return false;
  }
  if (c.tls_wrap && c.tls.cert.empty()) {
    error = origin + ": [tls] " + _("wrap=true needs cert and key");
    return false;
  }
  return true;
}

bool parse_console(const SectionReader &r, const std::string &name, Config &c, std::string &error) {
  if (!r.only_known({"lpar-id", "backend", "backend-password-file", "port", "allowed-users",
                     "force", "subtypes", "backend-tls", "backend-ca", "backend-cert",
                     "backend-key", "backend-tls-name"},
                    error))
    return false;
  ConsoleConfig con;
  con.name = name;
  if (!is_valid_console_name(name)) {
    error = r.where("") + ": " + _("console name must be 1-64 letters, digits, '.', '_' or '-'");
    return false;
  }
  if (r.has("lpar-id")) {
    unsigned id = 0;
    if (!r.uint_in("lpar-id", 0, INT_MAX, id, error)) return false;
    con.lpar_id = static_cast<int>(id);
  }
  if (r.has("backend")) {
    std::string why;
    con.backend = parse_host_port(r.raw("backend"), true, why);
    if (!con.backend) {
      error = r.where("backend") + ": " + why;
      return false;
    }
  }
  if (con.lpar_id.has_value() == con.backend.has_value()) {
    error = r.where("") + ": " + _("set exactly one of lpar-id and backend");
    return false;
  }
  if (!r.path("backend-password-file", con.backend_password_file, error)) return false;
  if (r.has("port")) {
    unsigned p = 0;
    if (!r.uint_in("port", 1, 65535, p, error)) return false;
    con.port = static_cast<uint16_t>(p);
  }
  con.allowed_users = r.list("allowed-users");
  if (!r.boolean("force", con.force, error)) return false;
  std::string btls = r.has("backend-tls") ? r.raw("backend-tls") : "none";
  if (btls == "x509") {
    TlsClientSettings t;
    if (!r.path("backend-ca", t.ca, error) || !r.path("backend-cert", t.cert, error) ||
        !r.path("backend-key", t.key, error))
      return false;
    if (t.ca.empty()) {
      error = r.where("backend-ca") + ": " +
              _("backend-tls=x509 needs the CA that signed the backend's certificate");
      return false;
    }
    if (t.cert.empty() != t.key.empty()) {
      error =
          r.where("backend-cert") + ": " + _("backend-cert and backend-key must be set together");
      return false;
    }
    t.verify_name = r.has("backend-tls-name") ? r.raw("backend-tls-name")
                                              : (con.backend ? con.backend->host : "127.0.0.1");
    con.backend_tls = std::move(t);
  } else if (btls != "none") {
    error = r.where("backend-tls") + ": " +
            printf_string(_("expected none or x509, got '%s'"), btls.c_str());
    return false;
  }
  if (r.has("subtypes")) {
    con.subtypes.emplace();
    if (!parse_subtypes(r, *con.subtypes, error)) return false;
  }
  c.consoles.emplace(name, std::move(con));
  return true;
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

std::string HostPort::to_string() const {
  if (host.find(':') != std::string::npos) return "[" + host + "]:" + std::to_string(port);
  return (host.empty() ? "*" : host) + ":" + std::to_string(port);
}

std::optional<HostPort> parse_host_port(const std::string &text, bool allow_names,
                                        std::string &error) {
  HostPort hp;
  std::string port;
  if (!text.empty() && text[0] == '[') {
    size_t close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') {
      error = printf_string(_("'%s' is not [IPv6]:PORT"), text.c_str());
      return std::nullopt;
    }
    hp.host = text.substr(1, close - 1);
    port = text.substr(close + 2);
    if (!g_hostname_is_ip_address(hp.host.c_str()) || hp.host.find(':') == std::string::npos) {
      error = printf_string(_("'%s' is not an IPv6 address"), hp.host.c_str());
      return std::nullopt;
    }
  } else {
    size_t colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) {
      error = printf_string(_("'%s' is not HOST:PORT (write IPv6 addresses as [ADDR]:PORT)"),
                            text.c_str());
      return std::nullopt;
    }
    hp.host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (hp.host == "*") {
      if (allow_names) {
        error = _("'*' is not a backend host");
        return std::nullopt;
      }
      hp.host.clear();
    } else if (!g_hostname_is_ip_address(hp.host.c_str())) {
      bool name_ok = allow_names && !hp.host.empty() && hp.host[0] != '-' &&
                     std::all_of(hp.host.begin(), hp.host.end(), [](char ch) {
                       return g_ascii_isalnum(ch) || ch == '-' || ch == '.';
                     });
      if (!name_ok) {
        error = allow_names
                    ? printf_string(_("'%s' is not a host name or IP address"), hp.host.c_str())
                    : printf_string(_("'%s' is not an IP address or '*'"), hp.host.c_str());
        return std::nullopt;
      }
    }
  }
  char *end = nullptr;
  unsigned long n =
      port.empty() || !g_ascii_isdigit(port[0]) ? 0 : std::strtoul(port.c_str(), &end, 10);
  if (port.empty() || !end || *end || n < 1 || n > 65535) {
    error = printf_string(_("'%s' is not a port number (1-65535)"), port.c_str());
    return std::nullopt;
  }
  hp.port = static_cast<uint16_t>(n);
  return hp;
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
  KeyFilePtr kf(g_key_file_new());
  for (const auto &p : kSectionParsers) {
    std::string section = p.name;
    if (section.ends_with(':')) section += "NAME";
    std::vector<std::string> keys;
    SectionReader r(kf.get(), "", section);
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
  KeyFilePtr kf(g_key_file_new());
  GError *err = nullptr;
  // Keep translations so "key[xx]" is always an unknown key, whatever the locale.
  if (!g_key_file_load_from_data(kf.get(), text.data(), text.size(), G_KEY_FILE_KEEP_TRANSLATIONS,
                                 &err)) {
    error = origin + ": " + err->message;
    g_error_free(err);
    return false;
  }
  Config c;
  c.path = origin;
  c.listen = {HostPort{"127.0.0.1", 5901}, HostPort{"::1", 5901}};
  gsize n = 0;
  gchar **groups = g_key_file_get_groups(kf.get(), &n);
  std::unique_ptr<gchar *, void (*)(gchar **)> guard(groups, g_strfreev);
  for (gsize i = 0; i < n; ++i) {
    std::string g = groups[i];
    const SectionParser *p = find_section_parser(g);
    if (!p) {
      error = origin + ": [" + g + "]: " + _("unknown section");
      return false;
    }
    if (!p->parse(SectionReader(kf.get(), origin, g), g, c, error)) return false;
  }
  if (c.listen.empty() && std::none_of(c.consoles.begin(), c.consoles.end(),
                                       [](const auto &kv) { return kv.second.port.has_value(); })) {
    error = origin + ": " + _("nothing to listen on: set [gateway] listen or a console port");
    return false;
  }
  if (!check_tls(c, origin, error)) return false;
  std::set<uint16_t> ports;
  for (const auto &l : c.listen) ports.insert(l.port);
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
  gchar *contents = nullptr;
  gsize len = 0;
  GError *err = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &len, &err)) {
    error = err->message;
    g_error_free(err);
    return false;
  }
  std::string text(contents, len);
  g_free(contents);
  if (len > 1024 * 1024) {
    error = path + ": " + _("larger than 1 MiB");
    return false;
  }
  return parse_config(text, path, out, error);
}

bool read_password_file(const std::string &path, std::string &out, std::string &error) {
  gchar *contents = nullptr;
  gsize len = 0;
  GError *err = nullptr;
  if (!g_file_get_contents(path.c_str(), &contents, &len, &err)) {
    error = err->message;  // names the file, never the content
    g_error_free(err);
    return false;
  }
  std::string s(contents, len);
  g_free(contents);
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
