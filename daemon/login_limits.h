// The daemon's side of the password-guessing limits: a LoginThrottle on the
// monotonic clock, shared by the RFB handshake and the control API's Basic
// auth (one source that guesses on both is counted once), with the log lines
// an operator reads, the /metrics counters, and the listing and removal the
// control API offers (GET/DELETE /v1/lockouts).
//
// [cluster]: every failure is also published to the other nodes (Redis
// pub/sub), and theirs are counted here as if they had happened here, so a
// guesser rotating between nodes meets the same limits as on one node and a
// lockout holds on every node. While Redis is down each node counts its own
// failures only; an operator's DELETE /v1/lockouts applies to one node.
//
// Keys: a source is its address ("192.0.2.7") or IPv6 /64
// ("2001:db8:1:2::/64"); an account is "user:NAME" for RFB logins (NAME
// without "@<[sasl] realm>", so both spellings share one limit) and
// "control:NAME" for control API users.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "security/login_throttle.h"

namespace vncgate {

enum class LoginService { Rfb, Control };

// SASL mechanisms that check a password (everything but Kerberos and
// EXTERNAL); only these are guesses an account is throttled against.
bool is_password_mechanism(const std::string &mechanism);

class LoginLimits {
 public:
  LoginLimits();

  void configure(const LoginThrottleSettings &settings);

  // Whole seconds (rounded up) the client at `ip` (an address, no port)
  // must wait before logging in; 0 when it may now.
  unsigned source_wait(const std::string &ip);

  // Asked when a password attempt's outcome is known but not yet revealed:
  // 0 admits it, else the seconds to wait; the attempt must then be refused
  // whatever the outcome (see LoginThrottle::account_attempt).
  unsigned password_attempt(LoginService service, const std::string &user,
                            const std::string &realm);

  // A failed login from `ip`. `user` may be empty; it counts against the
  // account only when `password_guess`. Logs lockouts and throttles.
  void failed(LoginService service, const std::string &ip, const std::string &user,
              const std::string &realm, bool password_guess);

  // [cluster]: called with each failure's source key and account key ("" for none).
  using ShareFn = std::function<void(const std::string &source, const std::string &account)>;
  void share_with(ShareFn share) { share_ = std::move(share); }
  // A failure another node published (see shared_failure_message()).
  void remote_failure(const std::string &message, const std::string &own_node);

  struct Item {
    std::string key;
    std::string kind;  // "source" or "account"
    unsigned failures = 0;
    unsigned lockouts = 0;  // sources: lockouts in a row
    int64_t until = 0;      // unix seconds
  };
  std::vector<Item> list();
  // The key as listed; for a source any address of it. Logs the removal.
  bool remove(const std::string &key);
  size_t active() const { return throttle_.active(); }

  static std::string account_key(LoginService service, const std::string &user,
                                 const std::string &realm);

 private:
  int64_t to_unix(int64_t clock_ms) const;
  void log_outcome(const LoginThrottle::FailureOutcome &out, const std::string &account,
                   const std::string &source_last, const std::string &account_last);

  LoginThrottle throttle_;
  ShareFn share_;
};

// The pub/sub message of one failure: "NODE\nSOURCE\nACCOUNT" (the account,
// last, may be empty or hold anything). Pure, unit tested.
struct SharedFailure {
  std::string node, source, account;
};
std::string shared_failure_message(const SharedFailure &f);
std::optional<SharedFailure> parse_shared_failure(const std::string &message);

}  // namespace vncgate
