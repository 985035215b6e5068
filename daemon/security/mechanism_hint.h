// The client's Vncgate-Auth hint (rfb/http_connect.h) applied to the SASL
// mechanisms a connection may use: `kerberos` keeps the Kerberos (GSS-API)
// mechanisms, `password` keeps the others. The list it narrows is the one
// policy already produced (mech_list, min-ssf, TLS rules), so a hint only
// ever removes mechanisms.
#pragma once

#include <string>
#include <string_view>

#include "rfb/http_connect.h"

namespace vncgate {

// GSSAPI, GSS-SPNEGO, GS2-KRB5 and GS2-KRB5-PLUS (case-insensitive): the
// mechanisms that log in with the ticket cache instead of a password.
bool is_kerberos_mechanism(std::string_view mech);

// The comma-separated `mechlist` with only the mechanisms `hint` asks for,
// in the same order; unchanged for AuthHint::None.
std::string narrow_mechlist(std::string_view mechlist, AuthHint hint);

// Narrows `mechlist` in place. When nothing is left, returns false with an
// operator-facing `error` that names the hint and what policy offered.
bool apply_mechanism_hint(std::string &mechlist, AuthHint hint, std::string &error);

}  // namespace vncgate
