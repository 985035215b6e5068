#include "security/password_check.h"

#include <sasl/sasl.h>

#include <vector>

#include "rfb/vencrypt.h"

namespace vncgate {
namespace {

// Owns one sasl_conn_t.
struct SaslConn {
  sasl_conn_t *conn = nullptr;
  SaslConn() = default;
  SaslConn(const SaslConn &) = delete;
  SaslConn &operator=(const SaslConn &) = delete;
  ~SaslConn() {
    if (conn) sasl_dispose(&conn);
  }
};

// Cyrus' sasldb check compares the password with strcmp() whatever length
// it is given: it needs a NUL after it. Wiped when done.
struct TerminatedSecret {
  std::vector<uint8_t> bytes;
  explicit TerminatedSecret(ByteSpan s) : bytes(s.begin(), s.end()) { bytes.push_back(0); }
  TerminatedSecret(const TerminatedSecret &) = delete;
  TerminatedSecret &operator=(const TerminatedSecret &) = delete;
  ~TerminatedSecret() { wipe_bytes(bytes.data(), bytes.size()); }
  const char *c_str() const { return reinterpret_cast<const char *>(bytes.data()); }
  unsigned size() const { return static_cast<unsigned>(bytes.size() - 1); }
};

}  // namespace

PasswordCheckResult check_password(const SaslServerOptions &opts, const std::string &user,
                                   ByteSpan password) {
  PasswordCheckResult r;
  SaslConn c;
  // No per-connection callbacks: Cyrus falls back to the global ones that
  // sasl_server_global_init() registered (its log and getopt).
  int rc = sasl_server_new(
      opts.service.c_str(), nullptr, opts.realm.empty() ? nullptr : opts.realm.c_str(),
      opts.local_address.empty() ? nullptr : opts.local_address.c_str(),
      opts.remote_address.empty() ? nullptr : opts.remote_address.c_str(), nullptr, 0, &c.conn);
  if (rc != SASL_OK) {
    r.error = std::string("sasl_server_new: ") + sasl_errstring(rc, nullptr, nullptr);
    return r;
  }
  // Cyrus canonicalises the name the way PLAIN does (the connection's realm
  // appended to a bare name) and asks the configured pwcheck_method.
  const TerminatedSecret secret(password);
  rc = sasl_checkpass(c.conn, user.c_str(), static_cast<unsigned>(user.size()), secret.c_str(),
                      secret.size());
  if (rc != SASL_OK) {
    r.error = sasl_errdetail(c.conn);
    return r;
  }
  const void *val = nullptr;
  if (sasl_getprop(c.conn, SASL_USERNAME, &val) != SASL_OK || !val ||
      !*static_cast<const char *>(val)) {
    r.error = "no user name after the password check";
    return r;
  }
  r.user = static_cast<const char *>(val);
  r.ok = true;
  return r;
}

}  // namespace vncgate
