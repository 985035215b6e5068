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

constexpr const char *kThrottledEnd = "too many login attempts";  // the account's
constexpr const char *kRefusedEnd = "too many failed logins";     // the source's

// "IP;PORT" (Cyrus' form) → "IP".
std::string ip_of(const std::string &ip_port) {
  return ip_port.substr(0, ip_port.rfind(';'));
}

}  // namespace

bool Session::refuse_locked_out_source(bool send_complete) {
  unsigned wait = host_.login_limits().source_wait(ip_of(client_ip_port_));
  if (wait == 0) return false;
  if (user_.empty() && sasl_) user_ = sasl_->attempted_user();
  fail_auth("too many failed logins from your address; try again in " + std::to_string(wait) + " s",
            "the address is refused after failed logins (" + std::to_string(wait) + " s left)",
            send_complete, kRefusedEnd);
  return true;
}

bool Session::refuse_limited_login() {
  if (!sasl_) return false;
  // The name the client claimed, the same whether the password was right or
  // wrong (Cyrus' canonical name on success may add a realm): both outcomes
  // must meet the same limit, or a right guess would show by getting in.
  std::string who = sasl_->attempted_user();
  if (who.empty()) who = sasl_->username();
  // A mechanism whose first message carries the password (PLAIN) ends at
  // once, before on_sasl_step could check the source.
  if (refuse_locked_out_source(true)) return true;
  if (!is_password_mechanism(mechanism_)) return false;
  unsigned wait = host_.login_limits().password_attempt(LoginService::Rfb, who, config_->realm);
  if (wait == 0) return false;
  // The same answer for a right and a wrong password: the guess is not revealed.
  user_ = who;
  fail_auth("too many login attempts for this user; try again in " + std::to_string(wait) + " s",
            "password logins of this user are limited after failed logins (" +
                std::to_string(wait) + " s to its next attempt)",
            true, kThrottledEnd);
  return true;
}

void Session::record_login_failure(const std::string &end_reason) {
  // Authorization refusals (not in allowed-users, console removed) are no
  // guesses; neither is an attempt refused by the throttle, whose outcome
  // was never revealed (a user retrying too early is not held against the
  // address).
  if (end_reason != "authentication failed") return;
  host_.login_limits().failed(LoginService::Rfb, ip_of(client_ip_port_), user_, config_->realm,
                              is_password_mechanism(mechanism_));
}

}  // namespace vncgate
