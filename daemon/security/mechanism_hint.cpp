#include "security/mechanism_hint.h"

#include <algorithm>
#include <array>

namespace vncgate {

bool is_kerberos_mechanism(std::string_view mech) {
  static constexpr std::array<std::string_view, 4> kKerberos = {"GSSAPI", "GSS-SPNEGO", "GS2-KRB5",
                                                                "GS2-KRB5-PLUS"};
  return std::any_of(kKerberos.begin(), kKerberos.end(), [mech](std::string_view k) {
    return k.size() == mech.size() &&
           std::equal(k.begin(), k.end(), mech.begin(), [](char a, char b) {
             return a == (b >= 'a' && b <= 'z' ? static_cast<char>(b - 'a' + 'A') : b);
           });
  });
}

std::string narrow_mechlist(std::string_view mechlist, AuthHint hint) {
  if (hint == AuthHint::None) return std::string(mechlist);
  const bool want_kerberos = hint == AuthHint::Kerberos;
  std::string kept;
  while (!mechlist.empty()) {
    const size_t comma = mechlist.find(',');
    const std::string_view mech = mechlist.substr(0, comma);
    mechlist = comma == std::string_view::npos ? std::string_view{} : mechlist.substr(comma + 1);
    if (mech.empty() || is_kerberos_mechanism(mech) != want_kerberos) continue;
    if (!kept.empty()) kept += ',';
    kept += mech;
  }
  return kept;
}

bool apply_mechanism_hint(std::string &mechlist, AuthHint hint, std::string &error) {
  std::string kept = narrow_mechlist(mechlist, hint);
  if (kept.empty()) {
    error = "no SASL mechanism is left for the client's " + std::string(kAuthHintHeader) + ": " +
            std::string(auth_hint_name(hint)) + " (policy allows " + mechlist + ")";
    return false;
  }
  mechlist = std::move(kept);
  return true;
}

}  // namespace vncgate
