#include "security/cert_identity_handler.h"

#include "logging.h"

namespace vncgate {

HandlerStep CertIdentityHandler::begin() {
  auto refuse = [&](EndCode code, std::string client, std::string log) {
    Refusal r;
    r.how = Refusal::How::AuthFailure;
    r.end = EndReason(code);
    r.client_reason = std::move(client);
    r.log_reason = std::move(log);
    r.mechanism = "x509-none";
    r.ssf = cert_.cipher_bits;  // no SASL: the login is the TLS handshake
    return HandlerStep::refused(std::move(r));
  };
  if (!cert_.verified)
    return refuse(EndCode::AuthenticationFailed, "a client certificate is required",
                  "no verified client certificate");
  if (cert_.identity.empty())
    return refuse(EndCode::CertificateRefused, cert_.identity_refusal,
                  cert_.identity_refusal + " (certificate " + log_safe(cert_.subject) + ")");
  Login login;
  login.user = login.attempted_user = cert_.identity;
  login.mechanism = "x509-none";
  login.ssf = login.sasl_ssf = cert_.cipher_bits;
  return HandlerStep::authenticated(std::move(login));
}

}  // namespace vncgate
