#include "security/plain_handler.h"

namespace vncgate {

Refusal PlainHandler::failure(std::string log_reason, bool outcome_known) const {
  Refusal r;
  r.how = Refusal::How::AuthFailure;
  r.end = EndReason(EndCode::AuthenticationFailed);
  r.client_reason = r.end.client_text();
  r.log_reason = std::move(log_reason);
  r.outcome_known = outcome_known;
  r.user = claimed_user_;
  r.mechanism = opts_.mechanism;
  r.ssf = opts_.ssf;
  return r;
}

HandlerStep PlainHandler::feed(Bytes &in) {
  switch (state_) {
    case State::ReadCredentials:
      return on_credentials(in);
    case State::Working: {
      if (!check_ || !check_->result) return HandlerStep::need_more();
      PasswordCheckResult r = std::move(*check_->result);
      check_.reset();
      return on_result(r);
    }
    case State::Done:
      break;
  }
  return HandlerStep::need_more();
}

HandlerStep PlainHandler::on_credentials(Bytes &in) {
  auto p = parse_vencrypt_plain(in);
  if (p.status == ParseStatus::NeedMore) return HandlerStep::need_more();
  if (p.status == ParseStatus::Error) {
    state_ = State::Done;
    return HandlerStep::refused(failure("protocol error: " + p.error, false));
  }
  // The session's copy of the input is the handler's to clear: no
  // password stays behind in it.
  wipe_bytes(in.data(), p.consumed);
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(p.consumed));
  claimed_user_ = p.value.user;
  // A locked-out address ends here, before Cyrus checks anything.
  if (opts_.source_gate) {
    if (auto refusal = opts_.source_gate()) {
      state_ = State::Done;
      refusal->send_complete = false;  // no SASL exchange to complete
      refusal->user = claimed_user_;
      refusal->mechanism = opts_.mechanism;
      refusal->ssf = opts_.ssf;
      return HandlerStep::refused(std::move(*refusal));
    }
  }
  auto check = std::make_shared<Check>();
  check->credentials = std::move(p.value);
  check_ = check;
  state_ = State::Working;
  HandlerStep s;
  s.status = HandlerStep::Status::Work;
  s.work = [check, sasl = opts_.sasl] {
    PasswordCheckResult r =
        check_password(sasl, check->credentials.user, check->credentials.password);
    check->credentials.wipe();
    check->result = std::move(r);
  };
  return s;
}

HandlerStep PlainHandler::on_result(const PasswordCheckResult &r) {
  state_ = State::Done;
  if (!r.ok) return HandlerStep::refused(failure(r.error, true));
  Login login;
  login.user = r.user;
  const std::string &realm = opts_.sasl.realm;
  if (opts_.strip_realm && login.user.size() > realm.size() + 1 &&
      login.user.ends_with("@" + realm))
    login.user.resize(login.user.size() - realm.size() - 1);
  login.attempted_user = claimed_user_;
  login.mechanism = opts_.mechanism;
  // No SASL layer: the channel (TLS or wss) is the protection.
  login.ssf = login.sasl_ssf = opts_.ssf;
  login.password = true;
  return HandlerStep::authenticated(std::move(login));
}

}  // namespace vncgate
