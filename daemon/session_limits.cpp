// Session: the password-guessing limits at the two points of the handshake
// where they apply (see login_limits.h): a refused source is turned away
// right after the version exchange with an RFB refusal a client can show;
// when a SASL exchange ends, a refused source or a throttled account's
// password attempt gets a failed SecurityResult, whatever the outcome, with
// the time to wait; every failed login is counted.
#include "control/metrics.h"
#include "logging.h"
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

bool Session::refuse_locked_out_source() {
  unsigned wait = host_.login_limits().source_wait(ip_of(client_ip_port_));
  if (wait == 0) return false;
  log_info("session " + std::to_string(id_) + ": refused " + client_addr_ +
           ": too many failed logins from this address, " + std::to_string(wait) + " s left");
  std::string reason =
      "too many failed logins from your address; try again in " + std::to_string(wait) + " s";
  if (version_.minor < 7) {
    send(encode_v33_refusal(reason));
  } else {
    Bytes refusal{0};  // no security types: a reason follows
    put_u32(refusal, static_cast<uint32_t>(reason.size()));
    put_string(refusal, reason);
    send(refusal);
  }
  close_after_flush(kRefusedEnd);
  return true;
}

bool Session::refuse_limited_login() {
  if (!sasl_) return false;
  // The name the client claimed, the same whether the password was right or
  // wrong (Cyrus' canonical name on success may add a realm): both outcomes
  // must meet the same limit, or a right guess would show by getting in.
  std::string who = sasl_->attempted_user();
  if (who.empty()) who = sasl_->username();
  LoginLimits &limits = host_.login_limits();
  // Checked again now that the outcome is known: connections opened before
  // their source was refused (many in parallel) get no guess through either.
  if (unsigned wait = limits.source_wait(ip_of(client_ip_port_)); wait > 0) {
    user_ = who;
    fail_auth(
        "too many failed logins from your address; try again in " + std::to_string(wait) + " s",
        "the address is refused after failed logins (" + std::to_string(wait) + " s left)", true,
        kRefusedEnd);
    return true;
  }
  if (!is_password_mechanism(mechanism_)) return false;
  unsigned wait = limits.password_attempt(LoginService::Rfb, who, config_->realm);
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
