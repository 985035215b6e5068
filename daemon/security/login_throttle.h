// Password-guessing limits: failed logins counted per source (an IPv4
// address or an IPv6 /64) and per account, with a pure state machine and an
// injected clock so the unit tests drive time.
//
//   source:  `threshold` failures within `window` ─► refused for `backoff`;
//            after that it is on probation: each further failure refuses
//            it again for twice as long (capped at `backoff_max`), until it
//            has been quiet (no failure, no lockout) for
//            max(window, backoff_max); then it starts afresh.
//   account: `threshold` failures within `window` ─► throttled: password
//            attempts on it are spaced 60 s / `user_rate` apart, from any
//            number of sources; an attempt too early is refused with the
//            time to wait. The account is never locked: a Kerberos or client
//            certificate login (not a password guess) is not throttled, and
//            a legitimate password login is admitted within 60/user_rate s.
//
// Why refuse instead of making the excess attempt wait: Cyrus checks the
// password in the same call that reveals the user name, so a waiting attempt
// would hold a connection (and its buffers) for up to handshake-timeout per
// guess, and attackers would fill the queue ahead of the real user anyway.
// A refusal with "try again in N s" costs nothing and tells a person what
// to do. The outcome of a refused attempt is never revealed (a right
// password is refused the same way), so it is not a guess that reached the
// account.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vncgate {

struct LoginThrottleSettings {
  unsigned threshold = 10;      // failures within `window` that trigger the limits; 0 = off
  double window = 600;          // seconds
  double backoff = 60;          // first refusal of a source, seconds
  double backoff_max = 3600;    // cap of the doubling, seconds
  unsigned user_rate = 6;       // password attempts a minute on a throttled account
  size_t max_entries = 100000;  // per kind; the oldest idle entries go first
  bool operator==(const LoginThrottleSettings &) const = default;
};

class LoginThrottle {
 public:
  using Clock = std::function<int64_t()>;  // monotonic milliseconds

  enum class Kind { Source, Account };

  // A source just refused (the caller logs it).
  struct Lockout {
    std::string source;
    int64_t until_ms = 0;  // clock time
    int64_t duration_ms = 0;
    unsigned count = 0;  // lockouts of this source in a row, 1 for the first
  };

  struct FailureOutcome {
    std::optional<Lockout> lockout;          // the source is refused from now on
    std::optional<int64_t> throttled_until;  // the account became throttled (clock ms)
  };

  // An active lockout or throttled account, for listing.
  struct Entry {
    std::string key;
    Kind kind = Kind::Source;
    unsigned failures = 0;  // within the window (at most `threshold` are kept)
    int64_t until_ms = 0;   // source: refused until; account: throttled until
    unsigned lockouts = 0;  // source: lockouts in a row
  };

  LoginThrottle(LoginThrottleSettings settings, Clock clock);

  // New limits apply from the next event; counts are kept.
  void configure(const LoginThrottleSettings &settings);
  const LoginThrottleSettings &settings() const { return settings_; }

  // The key of a client address: IPv4 as is, IPv6 as its /64
  // ("2001:db8:1:2::/64"), IPv4-mapped IPv6 as the IPv4 address. Empty when
  // `address` is not an IP address.
  static std::string source_key(const std::string &address);

  // Milliseconds until `source` (a key) may log in again; 0 when it may now.
  int64_t source_wait(const std::string &source);

  // A password attempt on `account`, asked once its outcome is known but
  // before it is revealed: 0 admits it (taking the account's next slot),
  // else the milliseconds to wait, and the attempt must be refused.
  int64_t account_attempt(const std::string &account);

  // A failed login from `source`; `account` empty when it was no password
  // guess on a named account (a protocol error, Kerberos, no certificate).
  FailureOutcome record_failure(const std::string &source, const std::string &account);

  // Active lockouts and throttled accounts, sources first, each sorted by key.
  std::vector<Entry> list();
  size_t active() const;

  // Forgets a source (any address of a /64 names it) or an account: its
  // failures, lockout and doubling. False when nothing was known of it.
  bool remove(const std::string &key);

 private:
  struct SourceState {
    std::deque<int64_t> failures;  // the newest `threshold`, oldest first
    int64_t last_failure = 0;
    int64_t locked_until = 0;
    unsigned lockouts = 0;
  };
  struct AccountState {
    std::deque<int64_t> failures;
    int64_t next_slot = 0;
  };

  int64_t ms(double seconds) const { return static_cast<int64_t>(seconds * 1000.0); }
  // How long a source's lockouts are remembered once it is quiet.
  int64_t memory() const { return std::max(ms(settings_.window), ms(settings_.backoff_max)); }
  void add_failure(std::deque<int64_t> &failures, int64_t now) const;
  void expire(std::deque<int64_t> &failures, int64_t now) const;
  bool throttled(const AccountState &a, int64_t now) const;
  int64_t throttled_until(const AccountState &a) const;
  void prune(int64_t now, bool force);

  LoginThrottleSettings settings_;
  Clock clock_;
  std::map<std::string, SourceState> sources_;
  std::map<std::string, AccountState> accounts_;
  int64_t last_prune_ = 0;
};

}  // namespace vncgate
