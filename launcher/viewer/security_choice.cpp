#include "security_choice.h"

#include <glib.h>
#include <glib/gi18n.h>

#include <algorithm>

namespace vncgate::viewer {

using namespace rfb_security;

namespace {

bool offered_has(const std::vector<unsigned> &offered, unsigned t) {
  return std::find(offered.begin(), offered.end(), t) != offered.end();
}

bool is_x509(unsigned s) {
  return s == kX509None || s == kX509Vnc || s == kX509Sasl;
}
bool is_anon_tls(unsigned s) {
  return s == kTlsNone || s == kTlsVnc || s == kTlsSasl;
}

const std::vector<unsigned> &subtype_preference() {
  static const std::vector<unsigned> order = {kX509Sasl, kX509Vnc, kX509None,
                                              kTlsSasl,  kTlsVnc,  kTlsNone};
  return order;
}

bool subtype_allowed(unsigned s, const SecurityPolicy &p) {
  if (p.tls == LinkTls::X509) return is_x509(s);
  if (p.tls == LinkTls::Anon) return is_anon_tls(s);
  if (p.tls == LinkTls::None) return false;
  return is_x509(s) || is_anon_tls(s);
}

}  // namespace

SecurityPolicy policy_for(const ConsoleLink &link) {
  return SecurityPolicy{link.tls, link.security_type};
}

unsigned choose_auth_type(const std::vector<unsigned> &offered, const SecurityPolicy &policy) {
  if (policy.security_type > 0) {
    const auto t = static_cast<unsigned>(policy.security_type);
    if (!offered_has(offered, t)) return 0;
    if (t == kVeNCrypt && policy.tls == LinkTls::None) return 0;
    if (t != kVeNCrypt && (policy.tls == LinkTls::X509 || policy.tls == LinkTls::Anon)) return 0;
    return (t == kNone || t == kVnc || t == kVeNCrypt || t == kSasl) ? t : 0;
  }
  std::vector<unsigned> order;
  if (policy.tls != LinkTls::None) order.push_back(kVeNCrypt);
  if (policy.tls == LinkTls::Default || policy.tls == LinkTls::None)
    order.insert(order.end(), {kSasl, kVnc, kNone});
  for (unsigned t : order)
    if (offered_has(offered, t)) return t;
  return 0;
}

unsigned choose_vencrypt_subtype(const std::vector<unsigned> &offered,
                                 const SecurityPolicy &policy) {
  for (unsigned s : subtype_preference())
    if (subtype_allowed(s, policy) && offered_has(offered, s)) return s;
  return 0;
}

std::string security_name(unsigned t) {
  switch (t) {
    case kNone:
      return "None";
    case kVnc:
      return "VNC";
    case kVeNCrypt:
      return "VeNCrypt";
    case kSasl:
      return "SASL";
    case kPlain:
      return "Plain";
    case kTlsNone:
      return "TLSNone";
    case kTlsVnc:
      return "TLSVNC";
    case kTlsPlain:
      return "TLSPlain";
    case kX509None:
      return "X509None";
    case kX509Vnc:
      return "X509VNC";
    case kX509Plain:
      return "X509Plain";
    case kX509Sasl:
      return "X509SASL";
    case kTlsSasl:
      return "TLSSASL";
  }
  return "type " + std::to_string(t);
}

std::string describe_security(unsigned type, unsigned subtype, bool asked_password) {
  std::string transport;
  std::string login;
  bool sasl = type == kSasl;
  if (type == kVeNCrypt) {
    if (is_x509(subtype))
      transport = _("TLS with a verified certificate");
    else if (is_anon_tls(subtype))
      transport = _("anonymous TLS, encrypted but the server is not verified");
    sasl = subtype == kX509Sasl || subtype == kTlsSasl;
    if (subtype == kX509Vnc || subtype == kTlsVnc) login = _("VNC password");
    if (subtype == kX509None) login = _("client certificate or no login");
    if (subtype == kTlsNone) login = _("no login");
  } else if (type == kSasl) {
    transport = _("encrypted by the SASL security layer, SSF ≥ 56");
  } else if (type == kVnc) {
    transport = _("not encrypted");
    login = _("VNC password");
  } else if (type == kNone) {
    transport = _("not encrypted");
    login = _("no login");
  }
  if (sasl) login = asked_password ? _("password login") : _("login without password: Kerberos");
  std::string name = security_name(type);
  if (type == kVeNCrypt && subtype) name += " " + security_name(subtype);
  std::string out = name;
  if (!transport.empty() || !login.empty()) out += " (";
  out += transport;
  if (!transport.empty() && !login.empty()) out += "; ";
  out += login;
  if (!transport.empty() || !login.empty()) out += ")";
  return out;
}

}  // namespace vncgate::viewer
