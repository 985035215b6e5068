// Session: the password-guessing limits in the handshake (see
// login_limits.h). A refused source, and a throttled account's password
// attempt, get a failed SecurityResult whose reason says how long to wait.
// Why there and not as a refusal with no security types right after the
// version exchange: gtk-vnc (the viewer) misreads that refusal as a
// SecurityResult and goes on to parse the reason as ServerInit, while a
// failed SecurityResult is an ordinary failed login to every client (the
// reason is shown by those that read it; gtk-vnc does after x509-none, not
// after a failed SASL step). A refused source's SASL exchange ends at its
// first step, before Cyrus checks anything, and its x509-none login once
// the certificate is verified; a throttled account's attempt ends when its
// outcome is known, which is never revealed. Every failed login is counted.
#include "session.h"

namespace vncgate {
namespace {

// "IP;PORT" (Cyrus' form) → "IP".
std::string ip_of(const std::string &ip_port) {
  return ip_port.substr(0, ip_port.rfind(';'));
}

}  // namespace

std::optional<Refusal> Session::source_refusal(bool send_complete) {
  unsigned wait = host_.login_limits().source_wait(ip_of(client_ip_port_));
  if (wait == 0) return std::nullopt;
  Refusal r;
  r.how = Refusal::How::AuthFailure;
  r.end = EndReason(EndCode::TooManyFailedLogins);
  r.client_reason =
      "too many failed logins from your address; try again in " + std::to_string(wait) + " s";
  r.log_reason = "the address is refused after failed logins (" + std::to_string(wait) + " s left)";
  r.send_complete = send_complete;
  return r;
}

bool Session::refuse_locked_out_source(bool send_complete, const std::string &claimed) {
  auto r = source_refusal(send_complete);
  if (!r) return false;
  if (user_.empty()) user_ = claimed;
  fail_auth(r->end, r->log_reason, r->send_complete, r->client_reason);
  return true;
}

// `who`: the name the client claimed, the same whether the password was
// right or wrong (Cyrus' canonical name on success may add a realm): both
// outcomes must meet the same limit, or a right guess would show by
// getting in.
// `send_complete`: the login was a SASL exchange, whose completion reply
// goes before the failed SecurityResult (not after VeNCrypt Plain).
bool Session::refuse_limited_login(const std::string &who, const std::string &mechanism,
                                   bool send_complete) {
  // A mechanism whose first message carries the password (PLAIN) ends at
  // once, before the handler's source gate could check the address.
  if (refuse_locked_out_source(send_complete, who)) return true;
  if (!is_password_mechanism(mechanism)) return false;
  unsigned wait = host_.login_limits().password_attempt(LoginService::Rfb, who, config_->realm);
  if (wait == 0) return false;
  // The same answer for a right and a wrong password: the guess is not revealed.
  user_ = who;
  fail_auth(EndReason(EndCode::TooManyLoginAttempts),
            "password logins of this user are limited after failed logins (" +
                std::to_string(wait) + " s to its next attempt)",
            send_complete,
            "too many login attempts for this user; try again in " + std::to_string(wait) + " s");
  return true;
}

void Session::record_login_failure(const EndReason &end) {
  // Authorization refusals (not in allowed-users, console removed) are no
  // guesses; neither is an attempt refused by the throttle, whose outcome
  // was never revealed (a user retrying too early is not held against the
  // address).
  if (!end.is_failed_guess()) return;
  host_.login_limits().failed(LoginService::Rfb, ip_of(client_ip_port_), user_, config_->realm,
                              is_password_mechanism(facts().mechanism));
}

}  // namespace vncgate
