// VeNCrypt x509-none: the client certificate that TLS verified is the
// credential, and the user is the identity it names (client_cert_identity.h).
// The verdict is known as soon as TLS is up, so begin() gives it.
#pragma once

#include "security/security_handler.h"

namespace vncgate {

struct CertificateFacts {
  bool verified = false;
  std::string identity;          // the user the certificate names ("" = none)
  std::string identity_refusal;  // why it names none
  std::string subject;
  unsigned cipher_bits = 0;
};

class CertIdentityHandler : public SecurityHandler {
 public:
  explicit CertIdentityHandler(CertificateFacts cert) : cert_(std::move(cert)) {}
  HandlerStep begin() override;
  HandlerStep feed(Bytes &) override { return HandlerStep::need_more(); }
  size_t input_cap() const override { return 4096; }
  HandshakeFacts facts() const override { return {"x509-none", {}, {}}; }

 private:
  CertificateFacts cert_;
};

}  // namespace vncgate
