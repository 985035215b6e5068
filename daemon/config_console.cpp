// [console:NAME] sections and the cross-checks of VeNCrypt subtypes.
#include <glib/gi18n-lib.h>

#include <algorithm>
#include <climits>

#include "config_reader.h"
#include "printf_string.h"
#include "rfb/http_connect.h"
#include "rfb/vencrypt.h"

namespace vncgate {

bool parse_subtypes(const SectionReader &r, std::vector<uint32_t> &out, std::string &error) {
  out.clear();
  for (const auto &name : r.list("subtypes")) {
    auto st = vencrypt_subtype_from_name(name);
    if (!st) {
      error = r.where("subtypes") + ": " +
              printf_string(_("unknown subtype '%s' (known: x509-sasl, tls-sasl, x509-none, "
                              "x509-plain, tls-plain)"),
                            name.c_str());
      return false;
    }
    // Plain (256) sends the password with no TLS of its own: only the web
    // front offers it, inside wss.
    if (!vencrypt_subtype_starts_tls(*st)) {
      error = r.where("subtypes") + ": " +
              printf_string(_("subtype '%s' would send the password without TLS; use "
                              "x509-plain"),
                            name.c_str());
      return false;
    }
    if (std::find(out.begin(), out.end(), *st) == out.end()) out.push_back(*st);
  }
  return true;
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

}  // namespace vncgate
