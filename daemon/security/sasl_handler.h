// RFB security type 20 (SASL), on its own or inside VeNCrypt's TLS
// (docs/rfb-sasl.md §2):
//
//   begin: mechanism list ─► ReadStart ─► Work (sasl_server_start) ─┬─► Authenticated
//                            ReadStep ◄─ continue ◄─────────────────┤
//                            ReadStep ─► Work (sasl_server_step) ───┘   or Refused
//
// The Cyrus calls are handed out as Work so that the session can run them
// on the SASL worker pool; the conversation is shared with that job.
#pragma once

#include <memory>

#include "security/sasl_server.h"
#include "security/security_handler.h"

namespace vncgate {

struct SaslHandlerOptions {
  SaslServerOptions sasl;  // external_ssf: the TLS cipher bits when inside TLS
  size_t max_field = 64 * 1024;
  bool strip_realm = false;  // "alice@REALM" → "alice" for the configured realm
  SourceGate source_gate;    // may be empty
};

class SaslHandler : public SecurityHandler {
 public:
  // Null with `error` when no mechanism is usable with these settings.
  static std::unique_ptr<SaslHandler> create(SaslHandlerOptions opts, std::string &error);

  const std::string &mechlist() const { return sasl_->mechlist(); }
  HandlerStep begin() override;
  HandlerStep feed(Bytes &in) override;
  size_t input_cap() const override;
  HandshakeFacts facts() const override { return {mechanism_, {}, {}}; }

 private:
  enum class State { ReadStart, ReadStep, Working, Done };
  using Call = std::function<SaslServerSession::Step(SaslServerSession &)>;

  explicit SaslHandler(SaslHandlerOptions opts) : opts_(std::move(opts)) {}
  HandlerStep run(Call call);
  HandlerStep on_result(const SaslServerSession::Step &st, Bytes &out);
  Refusal failure(std::string log_reason, bool outcome_known) const;

  SaslHandlerOptions opts_;
  std::shared_ptr<SaslServerSession> sasl_;
  State state_ = State::ReadStart;
  std::string mechanism_;
  // The result slot of the running Cyrus call, shared with its job.
  std::shared_ptr<std::optional<SaslServerSession::Step>> pending_;
};

}  // namespace vncgate
