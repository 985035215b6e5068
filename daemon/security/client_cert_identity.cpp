#include "security/client_cert_identity.h"

#include <glib.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509-ext.h>

#include <string_view>
#include <vector>

namespace vncgate {
namespace {

// Microsoft's User Principal Name otherName (a UTF8String "user@REALM").
constexpr std::string_view kUpnOid = "1.3.6.1.4.1.311.20.2.3";
// anyExtendedKeyUsage (RFC 5280 4.2.1.12): every purpose, client auth too.
constexpr std::string_view kAnyPurposeOid = "2.5.29.37.0";
// Bounds for hostile certificates: the chain is verified, but its content
// is whatever the CA signed.
constexpr unsigned kMaxPurposes = 64;
constexpr unsigned kMaxAltNames = 1024;
constexpr size_t kMaxField = 4096;
constexpr size_t kMaxUserName = 256;

// GnuTLS getters take (buffer, &size) and answer SHORT_MEMORY_BUFFER with
// the size they need: one retry with that size, up to `limit`. On success
// `out` holds exactly the value (without GnuTLS' terminating NUL).
template <class Get>
int fetch(Get get, std::string &out, size_t limit = kMaxField) {
  size_t size = 128;
  out.assign(size, '\0');
  int rc = get(out.data(), &size);
  if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER && size <= limit) {
    out.assign(size, '\0');
    rc = get(out.data(), &size);
  }
  if (rc >= 0) out.resize(std::min(size, out.size()));
  return rc;
}

// Refuses what would be a misleading user name: invalid UTF-8 (or NUL
// bytes), control characters and line or paragraph separators.
bool usable_user_name(const std::string &s) {
  if (s.empty() || s.size() > kMaxUserName) return false;
  if (!g_utf8_validate(s.data(), static_cast<gssize>(s.size()), nullptr)) return false;
  for (const char *p = s.data(); p < s.data() + s.size(); p = g_utf8_next_char(p)) {
    gunichar c = g_utf8_get_char(p);
    GUnicodeType t = g_unichar_type(c);
    if (t == G_UNICODE_CONTROL || t == G_UNICODE_LINE_SEPARATOR ||
        t == G_UNICODE_PARAGRAPH_SEPARATOR)
      return false;
  }
  return true;
}

// Empty when the certificate may be used for client authentication: it has
// no extendedKeyUsage (no restriction), or one that lists clientAuth or
// anyExtendedKeyUsage.
std::string check_purpose(gnutls_x509_crt_t crt) {
  bool has_eku = false;
  for (unsigned i = 0; i < kMaxPurposes; ++i) {
    std::string oid;
    unsigned critical = 0;
    int rc = fetch(
        [&](char *buf, size_t *size) {
          return gnutls_x509_crt_get_key_purpose_oid(crt, i, buf, size, &critical);
        },
        oid);
    if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (rc < 0) return "the extended key usage of the client certificate cannot be read";
    has_eku = true;
    if (oid == GNUTLS_KP_TLS_WWW_CLIENT || oid == kAnyPurposeOid) return {};
  }
  if (!has_eku) return {};
  return "the client certificate is not for client authentication (its extended key usage "
         "lacks TLS client authentication)";
}

ClientCertIdentity refused(std::string why) {
  return {{}, std::move(why)};
}

ClientCertIdentity from_cn(gnutls_x509_crt_t crt) {
  auto cn = [&](unsigned index, std::string &out) {
    return fetch(
        [&](char *buf, size_t *size) {
          return gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, index, 0, buf,
                                               size);
        },
        out);
  };
  std::string first, second;
  int rc = cn(0, first);
  if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return refused("the client certificate's subject has no common name (CN)");
  if (rc < 0) return refused("the common name (CN) of the client certificate cannot be read");
  // Programs differ in which CN they pick (first, last, most specific), so
  // a subject with several of them does not name one user.
  if (cn(1, second) != GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
    return refused("the client certificate's subject has several common names (CN)");
  return {first, {}};
}

// The only subjectAltName of the wanted kind (rfc822Name or UPN).
ClientCertIdentity from_alt_name(gnutls_x509_crt_t crt, CertIdentity rule) {
  const char *what =
      rule == CertIdentity::SanEmail ? "e-mail address (rfc822Name)" : "user principal name (UPN)";
  std::vector<std::string> found;
  for (unsigned seq = 0;; ++seq) {
    if (seq == kMaxAltNames)
      return refused("the client certificate has too many subject alternative names");
    std::string value;
    unsigned critical = 0;
    int type = fetch(
        [&](char *buf, size_t *size) {
          return gnutls_x509_crt_get_subject_alt_name(crt, seq, buf, size, &critical);
        },
        value);
    if (type == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) break;
    if (type < 0)
      return refused("the subject alternative names of the client certificate cannot be read");
    if (rule == CertIdentity::SanEmail && type == GNUTLS_SAN_RFC822NAME) {
      found.push_back(std::move(value));
    } else if (rule == CertIdentity::SanUpn && type == GNUTLS_SAN_OTHERNAME_MSUSERPRINCIPAL) {
      found.push_back(std::move(value));  // GnuTLS knows the UPN and decoded it
    } else if (rule == CertIdentity::SanUpn && type == GNUTLS_SAN_OTHERNAME) {
      std::string oid;
      int rc = fetch(
          [&](char *buf, size_t *size) {
            return gnutls_x509_crt_get_subject_alt_othername_oid(crt, seq, buf, size);
          },
          oid);
      if (rc < 0 || oid != kUpnOid) continue;
      // A GnuTLS that did not decode it returns DER: its UTF8String decoded.
      gnutls_datum_t raw = {reinterpret_cast<unsigned char *>(value.data()),
                            static_cast<unsigned>(value.size())};
      gnutls_datum_t text = {nullptr, 0};
      unsigned virtual_type = 0;
      if (gnutls_x509_othername_to_virtual(oid.c_str(), &raw, &virtual_type, &text) < 0)
        return refused("the user principal name (UPN) of the client certificate cannot be read");
      found.emplace_back(reinterpret_cast<const char *>(text.data), text.size);
      gnutls_free(text.data);
    }
  }
  if (found.empty())
    return refused(std::string("the client certificate has no ") + what +
                   " in its subject alternative names");
  if (found.size() > 1)
    return refused(std::string("the client certificate has several ") + what +
                   " entries in its subject alternative names");
  return {found.front(), {}};
}

}  // namespace

const char *cert_identity_name(CertIdentity identity) {
  switch (identity) {
    case CertIdentity::Cn:
      return "cn";
    case CertIdentity::SanEmail:
      return "san-email";
    case CertIdentity::SanUpn:
      return "san-upn";
  }
  return "cn";
}

ClientCertIdentity client_cert_identity(gnutls_x509_crt_t crt, CertIdentity rule) {
  if (std::string why = check_purpose(crt); !why.empty()) return refused(why);
  ClientCertIdentity id = rule == CertIdentity::Cn ? from_cn(crt) : from_alt_name(crt, rule);
  if (id.refusal.empty() && !usable_user_name(id.user))
    return refused(std::string("the user name in the client certificate (") +
                   cert_identity_name(rule) + ") is empty, too long or not plain text");
  return id;
}

}  // namespace vncgate
