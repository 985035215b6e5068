// Session: driving the security negotiation (security/security_negotiation.h)
// and acting on its verdict: login limits, admission and max-sessions,
// authorization, the delayed answer to a failed login. The connection
// plumbing, backend and relay hand-over live in session.cpp.
#include "control/metrics.h"
#include "logging.h"
#include "rfb/sasl_messages.h"
#include "session.h"

namespace vncgate {

void Session::begin_rfb() {
  state_ = State::Negotiating;
  NegotiationOptions o;
  if (tls_creds_) o.vencrypt_subtypes = config_->subtypes_for(*console_);
  o.tls = tls_creds_;
  o.wrapped = client_->layer() != nullptr;  // [tls] wrap
  o.wrapped_ssf = wrap_ssf_;
  o.offer_plain_sasl = config_->offer_plain_sasl;
  o.sasl.sasl.realm = config_->realm;
  o.sasl.sasl.local_address = local_ip_port_;
  o.sasl.sasl.remote_address = client_ip_port_;
  o.sasl.sasl.min_ssf = config_->min_ssf;
  o.sasl.sasl.auth_hint = auth_hint_;
  o.sasl.max_field = config_->sasl_max_field;
  o.sasl.strip_realm = config_->strip_realm;
  o.sasl.source_gate = [this] { return source_refusal(true); };
  o.client = client_addr_;
  o.log_prefix = log_prefix();
  if (web_) {
    // Inside wss (or a loopback WebSocket): a link token checked in
    // start_web is the login; without one, VeNCrypt Plain checked by Cyrus.
    o.secure_channel = true;
    o.secure_channel_ssf = web_->channel_ssf;
    if (!token_id_.empty()) {
      Login login;
      login.user = login.attempted_user = token_user_;
      login.mechanism = "web-token";
      login.ssf = web_->channel_ssf;
      o.pre_authenticated = std::move(login);
    }
  }
  negotiation_ = std::make_unique<SecurityNegotiation>(std::move(o));
  send(negotiation_->begin().out);
}

HandshakeFacts Session::facts() const {
  HandshakeFacts f = negotiation_ ? negotiation_->facts() : facts_;
  if (!tls_desc_.empty()) {  // the wrapping TLS
    f.tls = tls_desc_;
    f.cert_subject = cert_subject_;
  }
  return f;
}

RfbVersion Session::version() const {
  return negotiation_ ? negotiation_->version() : version_;
}

void Session::drive_security() {
  while (state_ == State::Negotiating && !closing_) {
    // The handlers parse a Bytes buffer; the transport keeps what they leave.
    const ByteSpan pending = client_->input();
    Bytes in(pending.begin(), pending.end());
    HandlerStep st = negotiation_->feed(in);
    client_->consume(pending.size() - in.size());
    send(st.out);
    if (state_ == State::Closed) return;
    switch (st.status) {
      case HandlerStep::Status::NeedMore:
        return;
      case HandlerStep::Status::Upgrade:
        // From here every byte both ways passes through TLS (`out` went
        // before it); the plaintext of the client's last flight comes first.
        client_->install_layer(std::move(st.layer));
        client_->unread(st.plaintext);
        break;
      case HandlerStep::Status::Work:
        run_work(std::move(st.work));
        break;
      case HandlerStep::Status::Authenticated:
        return accept_login(std::move(*st.login));
      case HandlerStep::Status::Refused:
        return refuse(std::move(*st.refusal));
    }
  }
}

// A Cyrus call (PBKDF2, GSSAPI accept, a sasldb or saslauthd lookup) runs
// on the SASL worker pool when there is one, so that a storm of logins
// does not stall the relays on the main loop. The job owns what it
// touches (the conversation, shared with the handler, and its result
// slot); the session waits in SaslWorking, reading nothing, and picks the
// result up from the main loop.
void Session::run_work(std::function<void()> work) {
  WorkerPool *pool = host_.sasl_workers();
  if (!pool) return work();
  state_ = State::SaslWorking;
  update_reading();
  work_ticket_ = pool->submit(std::move(work), [this] {
    work_ticket_.reset();
    if (state_ != State::SaslWorking) return;
    state_ = State::Negotiating;
    drive_security();
    after_step();
  });
}

void Session::accept_login(Login login) {
  if (login.sasl || login.password) {
    if (refuse_limited_login(login.attempted_user, login.mechanism, login.sasl)) return;
  } else {
    user_ = login.user;
    ssf_ = sasl_ssf_ = login.ssf;
    if (refuse_locked_out_source(false, login.attempted_user)) return;
  }
  user_ = login.user;
  sasl_ssf_ = login.sasl_ssf;
  ssf_ = login.ssf;
  relay_layer_ = std::move(login.relay_layer);
  send(login.reply);
  // The negotiation is done: keep what the audit needs, free the rest.
  facts_ = negotiation_->facts();
  version_ = negotiation_->version();
  negotiation_.reset();
  on_authenticated();
}

void Session::refuse(Refusal r) {
  switch (r.how) {
    case Refusal::How::Abort:
      return end(r.end);
    case Refusal::How::Close:
      if (!r.log_reason.empty()) log_info(log_prefix() + r.log_reason);
      return close_after_flush(r.end);
    case Refusal::How::AuthFailure:
      break;
  }
  if (r.ssf) ssf_ = sasl_ssf_ = r.ssf;
  if (r.outcome_known && refuse_limited_login(r.user, r.mechanism, r.send_complete)) return;
  if (user_.empty()) user_ = r.user;
  fail_auth(r.end, r.log_reason, r.send_complete, r.client_reason);
}

void Session::on_authenticated() {
  if (!leave_admission()) return;
  log_info(log_prefix() + client_addr_ + " authenticated as " + log_safe(user_) + " with " +
           facts().mechanism + ", SSF " + std::to_string(sasl_ssf_));
  auto it = config_->consoles.find(*console_);
  // Authorization follows the newest configuration (a reload may have changed it).
  auto current = host_.config();
  auto cit = current->consoles.find(*console_);
  if (it == config_->consoles.end() || cit == current->consoles.end()) {
    fail_auth(EndReason(EndCode::ConsoleRemoved), "console " + *console_ + " was removed", false);
    return;
  }
  if (!token_user_.empty() && !user_allowed({token_user_}, user_, current->realm)) {
    fail_auth(EndReason(EndCode::TokenOtherUser),
              "user " + log_safe(user_) + " used token " + token_id_ + " bound to " +
                  log_safe(token_user_),
              false);
    return;
  }
  if (!user_allowed(cit->second.allowed_users, user_, current->realm)) {
    fail_auth(EndReason(EndCode::NotAuthorized),
              "user " + log_safe(user_) + " is not in allowed-users of console " + *console_,
              false);
    return;
  }
  // A one-time token stays reserved until the relay starts
  // (Session::on_backend): a console that cannot be opened frees it again,
  // so the user can retry the same link.
  // From here the time is bounded by mkvterm-timeout and backend-timeout,
  // each of which ends with a reason for the user; the handshake timer
  // would cut the user off without one.
  handshake_timer_.cancel();
  open_console();
}

void Session::recheck_authorization(const Config &current) {
  // Before login the check at on_authenticated uses the new configuration.
  if (closing_ || (state_ != State::WaitBackend && state_ != State::Relay)) return;
  auto cit = current.consoles.find(*console_);
  std::string why;
  if (cit == current.consoles.end()) {
    why = "console " + *console_ + " was removed from the configuration";
  } else if (!user_allowed(cit->second.allowed_users, user_, current.realm)) {
    why = "user " + log_safe(user_) + " is no longer in allowed-users of console " + *console_;
  } else {
    return;
  }
  log_info(log_prefix() + client_addr_ + ": " + why + "; ending the session");
  if (state_ == State::WaitBackend)
    return refuse_with_result(EndReason(EndCode::AuthorizationWithdrawn));
  end(EndReason(EndCode::AuthorizationWithdrawn));
}

void Session::fail_auth(const EndReason &end, const std::string &log_reason, bool send_complete,
                        const std::string &client_reason) {
  const std::string mechanism = facts().mechanism;
  log_info(log_prefix() + end.audit_text() + " for " + client_addr_ + " (user " +
           (user_.empty() ? "-" : log_safe(user_)) + ", mechanism " +
           (mechanism.empty() ? "-" : log_safe(mechanism)) + "): " + log_safe(log_reason, 400));
  record_login_failure(end);
  state_ = State::AuthFailing;
  update_reading();
  Bytes msg;
  if (send_complete) msg = encode_sasl_reply(nullptr, 0, true);
  Bytes result = encode_security_result(
      false, client_reason.empty() ? end.client_text() : client_reason, version());
  msg.insert(msg.end(), result.begin(), result.end());
  // A short delay slows password guessing; the session still ends in bounded time.
  fail_timer_.once(static_cast<unsigned>(config_->auth_failure_delay * 1000),
                   [this, msg = std::move(msg), end] {
                     send(msg);
                     close_after_flush(end);
                   });
}

}  // namespace vncgate
