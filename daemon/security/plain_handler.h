// The VeNCrypt Plain subtypes (256 Plain inside a channel that is already
// secure, 259 TLSPlain and 262 X509Plain inside VeNCrypt's TLS): the
// client sends a user name and a password, Cyrus checks them
// (sasl_checkpass, security/password_check.h) with the same password store
// and realm as SASL PLAIN.
//
//   ReadCredentials ─► (source gate) ─► Work (check_password) ─┬─► Authenticated
//                                                               └─► Refused (AuthFailure)
//
// A failed check is a failed password login to the session's limits,
// exactly like a failed SASL PLAIN: outcome known, the claimed user named.
// The password lives in the running check's state only, and is wiped as
// soon as Cyrus has seen it.
#pragma once

#include <memory>

#include "rfb/vencrypt.h"
#include "security/password_check.h"
#include "security/security_handler.h"

namespace vncgate {

struct PlainHandlerOptions {
  SaslServerOptions sasl;    // service, realm, addresses for Cyrus
  bool strip_realm = false;  // "alice@REALM" → "alice" for the configured realm
  SourceGate source_gate;    // may be empty
  std::string mechanism;     // the subtype's name: "x509-plain", "tls-plain" or "plain"
  unsigned ssf = 0;          // the channel's protection (TLS cipher bits)
};

class PlainHandler : public SecurityHandler {
 public:
  explicit PlainHandler(PlainHandlerOptions opts) : opts_(std::move(opts)) {}
  HandlerStep feed(Bytes &in) override;
  size_t input_cap() const override { return 8 + 2 * kMaxPlainField; }
  HandshakeFacts facts() const override { return {opts_.mechanism, {}, {}}; }

 private:
  enum class State { ReadCredentials, Working, Done };
  // What the check job owns: the credentials (wiped after use) and its result.
  struct Check {
    PlainCredentials credentials;
    std::optional<PasswordCheckResult> result;
  };

  HandlerStep on_credentials(Bytes &in);
  HandlerStep on_result(const PasswordCheckResult &r);
  Refusal failure(std::string log_reason, bool outcome_known) const;

  PlainHandlerOptions opts_;
  State state_ = State::ReadCredentials;
  std::string claimed_user_;
  std::shared_ptr<Check> check_;
};

}  // namespace vncgate
