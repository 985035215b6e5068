#include "security/sasl_handler.h"

#include "rfb/sasl_messages.h"

namespace vncgate {

std::unique_ptr<SaslHandler> SaslHandler::create(SaslHandlerOptions opts, std::string &error) {
  std::unique_ptr<SaslHandler> h(new SaslHandler(std::move(opts)));
  h->sasl_ = SaslServerSession::create(h->opts_.sasl, error);
  if (!h->sasl_) return nullptr;
  return h;
}

HandlerStep SaslHandler::begin() {
  return HandlerStep::need_more(encode_sasl_mechlist(sasl_->mechlist()));
}

size_t SaslHandler::input_cap() const {
  return opts_.max_field + kMaxSaslMechName + 16;
}

Refusal SaslHandler::failure(std::string log_reason, bool outcome_known) const {
  Refusal r;
  r.how = Refusal::How::AuthFailure;
  r.end = EndReason(EndCode::AuthenticationFailed);
  r.client_reason = r.end.client_text();
  r.log_reason = std::move(log_reason);
  r.send_complete = true;
  r.outcome_known = outcome_known;
  r.user = sasl_->attempted_user();
  r.mechanism = mechanism_;
  return r;
}

HandlerStep SaslHandler::run(Call call) {
  auto slot = std::make_shared<std::optional<SaslServerSession::Step>>();
  pending_ = slot;
  state_ = State::Working;
  HandlerStep s;
  s.status = HandlerStep::Status::Work;
  // Only what the job owns: the conversation and its result slot.
  s.work = [sasl = sasl_, slot, call = std::move(call)] { *slot = call(*sasl); };
  return s;
}

HandlerStep SaslHandler::feed(Bytes &in) {
  Bytes out;
  for (;;) {
    switch (state_) {
      case State::Done:
        return HandlerStep::need_more(std::move(out));
      case State::Working: {
        if (!pending_ || !*pending_) return HandlerStep::need_more(std::move(out));
        SaslServerSession::Step st = std::move(**pending_);
        pending_.reset();
        HandlerStep r = on_result(st, out);
        if (r.status != HandlerStep::Status::NeedMore) return r;
        break;
      }
      case State::ReadStart: {
        auto p = parse_sasl_start(in, opts_.max_field);
        if (p.status == ParseStatus::NeedMore) return HandlerStep::need_more(std::move(out));
        if (p.status == ParseStatus::Error)
          return HandlerStep::refused(failure("protocol error: " + p.error, false), std::move(out));
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(p.consumed));
        mechanism_ = p.value.mechanism;
        HandlerStep w = run([mech = std::move(p.value.mechanism), data = std::move(p.value.data)](
                                SaslServerSession &s) { return s.start(mech, data); });
        w.out = std::move(out);
        return w;
      }
      case State::ReadStep: {
        auto p = parse_sasl_step(in, opts_.max_field);
        if (p.status == ParseStatus::NeedMore) return HandlerStep::need_more(std::move(out));
        if (p.status == ParseStatus::Error)
          return HandlerStep::refused(failure("protocol error: " + p.error, false), std::move(out));
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(p.consumed));
        // A locked-out address ends here, before Cyrus checks anything.
        if (opts_.source_gate) {
          if (auto refusal = opts_.source_gate()) {
            state_ = State::Done;
            refusal->user = sasl_->attempted_user();
            refusal->mechanism = mechanism_;
            return HandlerStep::refused(std::move(*refusal), std::move(out));
          }
        }
        HandlerStep w =
            run([data = std::move(p.value.data)](SaslServerSession &s) { return s.step(data); });
        w.out = std::move(out);
        return w;
      }
    }
  }
}

HandlerStep SaslHandler::on_result(const SaslServerSession::Step &st, Bytes &out) {
  const Bytes *data = st.serverout ? &*st.serverout : nullptr;
  auto reply = [&](bool complete) {
    return encode_sasl_reply(data ? reinterpret_cast<const char *>(data->data()) : nullptr,
                             data ? static_cast<unsigned>(data->size()) : 0, complete);
  };
  switch (st.outcome) {
    case SaslServerSession::Outcome::Continue: {
      Bytes r = reply(false);
      out.insert(out.end(), r.begin(), r.end());
      state_ = State::ReadStep;
      return HandlerStep::need_more();
    }
    case SaslServerSession::Outcome::Complete: {
      state_ = State::Done;
      Login login;
      login.user = sasl_->username();
      const std::string &realm = opts_.sasl.realm;
      if (opts_.strip_realm && login.user.size() > realm.size() + 1 &&
          login.user.ends_with("@" + realm))
        login.user.resize(login.user.size() - realm.size() - 1);
      login.attempted_user = sasl_->attempted_user();
      if (login.attempted_user.empty()) login.attempted_user = sasl_->username();
      login.mechanism = mechanism_;
      login.sasl_ssf = sasl_->ssf();
      // Inside TLS the cipher is the security layer (SASL's SSF_EXTERNAL).
      login.ssf = opts_.sasl.external_ssf ? opts_.sasl.external_ssf : login.sasl_ssf;
      login.sasl = true;
      login.reply = reply(true);
      if (sasl_->has_layer()) login.relay_layer = sasl_;
      return HandlerStep::authenticated(std::move(login), std::move(out));
    }
    case SaslServerSession::Outcome::Failed:
      break;
  }
  state_ = State::Done;
  return HandlerStep::refused(failure(st.error, true), std::move(out));
}

}  // namespace vncgate
