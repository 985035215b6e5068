// Kerberos set-up for the GSSAPI mechanism: where Cyrus and MIT krb5 find
// the service keytab and replay cache, and a start-up check that the keytab
// holds a key for the service, so a wrong keytab is a clear warning rather
// than a mystery at the first login.
#pragma once

#include <string>

namespace vncgate {

struct KerberosSettings {
  std::string keytab;
  std::string replay_cache;
  std::string service = "vnc";
};

// Sets the process environment for MIT krb5 (KRB5_KTNAME unless the
// operator set it, KRB5RCACHENAME when configured). Call before Cyrus init.
void kerberos_apply(const KerberosSettings &s);

// Empty when the keytab is readable and holds a "vnc/..." key; otherwise a
// warning for the operator.
std::string kerberos_check_keytab(const KerberosSettings &s);

// Empty, or a warning when [sasl] realm differs from the Kerberos default
// realm: Cyrus strips the default realm from principals and then appends
// the SASL realm, so alice@KRB.REALM would log in as alice@<sasl realm>,
// the same name as a password user of that realm.
std::string kerberos_check_realm(const std::string &sasl_realm);

}  // namespace vncgate
