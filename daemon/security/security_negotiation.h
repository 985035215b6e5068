// The RFB security negotiation on the server side (RFC 6143 §7.1.1-2):
//
//   begin: ProtocolVersion ─► ReadVersion ─► security types ─► ReadChoice ─┬─ 19 ─► VeNCryptHandler
//                                                                           └─ 20 ─► SaslHandler
//
// 3.3 clients are refused (they cannot choose SASL). The types offered
// are those that will have a mechanism: a VeNCrypt SASL subtype only when
// its inner SASL would have one, SASL on plain TCP only when asked for
// ([sasl] offer-plain) or nothing else is left. On a TLS-wrapped port the
// whole exchange already runs inside TLS: only SASL is offered.
//
// The web front (noVNC has neither SASL nor TLS of its own) sets one of:
//   secure_channel     the WebSocket is wss (or loopback): VeNCrypt with
//                      the single subtype Plain (256), no TLS inside
//                      (PlainHandler, checked by Cyrus);
//   pre_authenticated  the session presented a valid web link token before
//                      RFB started: security type None (1) only, and that
//                      login at once (RFB 3.8 only: a 3.7 client gets no
//                      SecurityResult after None, the session sends one).
#pragma once

#include <memory>
#include <optional>
#include <vector>

#include "rfb/rfb_server.h"
#include "security/sasl_handler.h"
#include "security/security_handler.h"
#include "security/tls_server.h"

namespace vncgate {

struct NegotiationOptions {
  std::vector<uint32_t> vencrypt_subtypes;  // configured for the console, in order
  std::shared_ptr<TlsCredentials> tls;      // null: no VeNCrypt
  bool wrapped = false;                     // the port is TLS from byte 0
  unsigned wrapped_ssf = 0;                 // its cipher bits
  bool offer_plain_sasl = false;
  SaslHandlerOptions sasl;  // external_ssf / allow_plaintext are set per use
  std::string client;       // the client's address, for the log
  std::string log_prefix;   // "session N: "
  // The web front: the RFB stream already travels in a secure channel (wss
  // or a loopback WebSocket) of this protection (cipher bits).
  bool secure_channel = false;
  unsigned secure_channel_ssf = 0;
  // The web front: the identity a valid link token gave (user,
  // attempted_user, mechanism, ssf); authorization still happens in the
  // session.
  std::optional<Login> pre_authenticated;
};

class SecurityNegotiation : public SecurityHandler {
 public:
  explicit SecurityNegotiation(NegotiationOptions opts) : opts_(std::move(opts)) {}
  HandlerStep begin() override;  // the server's ProtocolVersion
  HandlerStep feed(Bytes &in) override;
  size_t input_cap() const override;
  bool passing_tls_handshake() const override {
    return chosen_ && chosen_->passing_tls_handshake();
  }
  HandshakeFacts facts() const override;

  RfbVersion version() const { return version_; }

 private:
  enum class State { ReadVersion, ReadChoice, Chosen, Done };

  // Each appends what it sends to `out`; a step to return ends the feed.
  std::optional<HandlerStep> on_version(Bytes &in, Bytes &out);
  std::optional<HandlerStep> on_choice(Bytes &in, Bytes &out);
  void compute_offer();
  std::unique_ptr<SaslHandler> make_sasl(unsigned external_ssf, bool allow_plaintext, bool quiet);

  NegotiationOptions opts_;
  State state_ = State::ReadVersion;
  RfbVersion version_;
  std::vector<uint32_t> subtypes_;     // VeNCrypt subtypes offered
  std::unique_ptr<SaslHandler> sasl_;  // plain SASL, when offered
  std::unique_ptr<SecurityHandler> chosen_;
};

}  // namespace vncgate
