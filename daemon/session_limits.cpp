// Session: the password-guessing limits at the two points of the handshake
// where they apply (see login_limits.h): a refused source is turned away
// right after the version exchange with an RFB refusal a client can show;
// a throttled account's password attempt is refused, whatever its outcome,
// with the time to wait; every failed login is counted.
#include "control/metrics.h"
#include "logging.h"
#include "session.h"

namespace vncgate {
namespace {

constexpr const char *kThrottledEnd = "too many login attempts";

// "IP;PORT" (Cyrus' form) → "IP".
std::string ip_of(const std::string &ip_port) { return ip_port.substr(0, ip_port.rfind(';')); }

}  // namespace

bool Session::refuse_locked_out_source() {
  unsigned wait = host_.login_limits().source_wait(ip_of(client_ip_port_));
  if (wait == 0) return false;
  log_info("session " + std::to_string(id_) + ": refused " + client_addr_ +
           ": too many failed logins from this address, " + std::to_string(wait) + " s left");
  std::string reason = "too many failed logins from your address; try again in " +
                       std::to_string(wait) + " s";
  if (version_.minor < 7) {
    send(encode_v33_refusal(reason));
  } else {
    Bytes refusal{0};  // no security types: a reason follows
    put_u32(refusal, static_cast<uint32_t>(reason.size()));
    put_string(refusal, reason);
    send(refusal);
  }
  close_after_flush("too many failed logins");
  return true;
}

bool Session::refuse_throttled_password(const SaslServerSession::Step &st) {
  if (!sasl_ || !is_password_mechanism(mechanism_)) return false;
  std::string who = st.outcome == SaslServerSession::Outcome::Complete ? sasl_->username()
                                                                       : sasl_->attempted_user();
  unsigned wait = host_.login_limits().password_attempt(LoginService::Rfb, who, config_->realm);
  if (wait == 0) return false;
  // The same answer for a right and a wrong password: the guess is not revealed.
  user_ = who;
  fail_auth("too many login attempts for this user; try again in " + std::to_string(wait) +
                " s",
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
