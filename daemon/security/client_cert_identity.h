// The user a verified client certificate names, for VeNCrypt X509None:
// the rules that make a certificate a login credential (it is meant for
// client authentication, and names exactly one user) and where the name
// is taken from. Pure: reads the parsed certificate, no I/O.
#pragma once

#include <gnutls/x509.h>

#include <string>

namespace vncgate {

// [tls] identity=: where the user name comes from.
enum class CertIdentity {
  Cn,        // the subject's only commonName
  SanEmail,  // the only rfc822Name subjectAltName
  SanUpn,    // the only Microsoft UPN otherName (1.3.6.1.4.1.311.20.2.3)
};

// "cn", "san-email", "san-upn" (the config spelling).
const char *cert_identity_name(CertIdentity identity);

struct ClientCertIdentity {
  std::string user;     // set when the certificate names a user
  std::string refusal;  // otherwise: why not, for the client and the log (English)
};

// Refuses a certificate whose extendedKeyUsage exists but allows neither
// TLS client authentication nor any purpose, and one that names no user or
// several by the chosen rule. The chain must already be verified.
ClientCertIdentity client_cert_identity(gnutls_x509_crt_t crt, CertIdentity rule);

}  // namespace vncgate
