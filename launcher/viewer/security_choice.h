// Which RFB security type (and VeNCrypt subtype) the viewer picks from what
// the server offers, given the link's wishes; and how the choice reads in
// the status line. gtk-vnc does not report the SASL mechanism or SSF, so
// the description says what is known: TLS or not, SASL or not.
//
// Preference, strongest first:
//   VeNCrypt (19): X509SASL, X509VNC, X509None, then TLSSASL, TLSVNC, TLSNone
//   SASL (20), VNC (2), None (1)
// tls=x509 accepts only VeNCrypt X509*; tls=anon only VeNCrypt TLS*;
// tls=none only the types without TLS. An RFC 7869 SecurityType asks for
// exactly that type. VeNCrypt Plain and TLSPlain/X509Plain (password in
// the clear or to an unauthenticated peer) and VeNCrypt without TLS are
// never chosen.
#pragma once

#include <string>
#include <vector>

#include "link/console_link.h"
#include "rfb/security_types.h"

namespace vncgate::viewer {

// The numbers themselves: rfb/security_types.h (common).
namespace rfb_security {
inline constexpr unsigned kNone = kSecNone;
inline constexpr unsigned kVnc = kSecVncAuth;
inline constexpr unsigned kVeNCrypt = kSecVeNCrypt;
inline constexpr unsigned kSasl = kSecSasl;
inline constexpr unsigned kPlain = kVeNCryptPlain;
inline constexpr unsigned kTlsNone = kVeNCryptTlsNone;
inline constexpr unsigned kTlsVnc = kVeNCryptTlsVnc;
inline constexpr unsigned kTlsPlain = kVeNCryptTlsPlain;
inline constexpr unsigned kX509None = kVeNCryptX509None;
inline constexpr unsigned kX509Vnc = kVeNCryptX509Vnc;
inline constexpr unsigned kX509Plain = kVeNCryptX509Plain;
inline constexpr unsigned kX509Sasl = kVeNCryptX509Sasl;
inline constexpr unsigned kTlsSasl = kVeNCryptTlsSasl;
}  // namespace rfb_security

struct SecurityPolicy {
  LinkTls tls = LinkTls::Default;
  int security_type = 0;  // RFC 7869 SecurityType (0: any)
};

SecurityPolicy policy_for(const ConsoleLink &link);

// The chosen type, or 0 when nothing offered is acceptable.
unsigned choose_auth_type(const std::vector<unsigned> &offered, const SecurityPolicy &policy);
// The chosen VeNCrypt subtype, or 0.
unsigned choose_vencrypt_subtype(const std::vector<unsigned> &offered,
                                 const SecurityPolicy &policy);

// e.g. "VeNCrypt X509SASL (TLS with a verified certificate; password login)".
// `subtype` is 0 when there was none; `asked_password` tells a password
// login from one without (Kerberos single sign-on for SASL).
std::string describe_security(unsigned type, unsigned subtype, bool asked_password);

// "X509SASL", "SASL", "VNC", "type 42"
std::string security_name(unsigned type_or_subtype);

}  // namespace vncgate::viewer
