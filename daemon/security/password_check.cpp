#include "security/password_check.h"

#include <sasl/sasl.h>

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
  rc = sasl_checkpass(c.conn, user.data(), static_cast<unsigned>(user.size()),
                      reinterpret_cast<const char *>(password.data()),
                      static_cast<unsigned>(password.size()));
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
