// RFB security type 19 (VeNCrypt, docs/rfb-sasl.md §5): a stack of TLS
// and an inner handler.
//
//   begin: version 0.2 ─► ReadVersion ─► subtypes ─► ReadSubtype ─► ack ─►
//   TlsHandshake ─► Upgrade (the session now passes every byte through TLS) ─►
//   Inner: x509-sasl / tls-sasl   ─► SaslHandler (external SSF = cipher bits)
//          x509-plain / tls-plain ─► PlainHandler (SSF = cipher bits)
//          x509-none              ─► CertIdentityHandler
//
// Plain (256) has no TLS of its own and no ack: it is offered only on a
// channel that is already secure (the web front's wss), where ReadSubtype
// goes straight to Inner: PlainHandler (SSF = the channel's).
#pragma once

#include <memory>
#include <vector>

#include "security/cert_identity_handler.h"
#include "security/plain_handler.h"
#include "security/sasl_handler.h"
#include "security/security_handler.h"
#include "security/tls_server.h"

namespace vncgate {

struct VeNCryptOptions {
  std::vector<uint32_t> subtypes;       // offered, in order
  std::shared_ptr<TlsCredentials> tls;  // null only when Plain (256) alone is offered
  SaslHandlerOptions sasl;              // for a SASL or Plain subtype; external_ssf
                                        // and allow_plaintext are set here
  unsigned channel_ssf = 0;             // Plain (256): the secure channel's protection
  std::string client;                   // the client's address, for the log
  std::string log_prefix;               // "session N: "
};

class VeNCryptHandler : public SecurityHandler {
 public:
  explicit VeNCryptHandler(VeNCryptOptions opts) : opts_(std::move(opts)) {}
  HandlerStep begin() override;
  HandlerStep feed(Bytes &in) override;
  size_t input_cap() const override;
  bool passing_tls_handshake() const override { return state_ == State::TlsHandshake; }
  HandshakeFacts facts() const override;

 private:
  enum class State { ReadVersion, ReadSubtype, TlsHandshake, Inner };

  HandlerStep on_subtype(Bytes &in, Bytes &out);
  HandlerStep on_tls_input(Bytes &in, Bytes &out);
  HandlerStep start_inner();
  std::unique_ptr<SecurityHandler> make_plain(unsigned ssf) const;

  VeNCryptOptions opts_;
  State state_ = State::ReadVersion;
  uint32_t subtype_ = 0;
  std::unique_ptr<TlsServerSession> tls_;  // until handed to the session
  CertificateFacts cert_;
  std::string tls_desc_;
  std::unique_ptr<SecurityHandler> inner_;
};

}  // namespace vncgate
