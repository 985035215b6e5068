// LoginThrottle with a hand-driven clock: source lockouts and their
// doubling, the account throttle's spacing, expiry, removal and bounds.
#include "security/login_throttle.h"

#include <gtest/gtest.h>

#include "config.h"
#include "login_limits.h"

namespace vncgate {
namespace {

constexpr int64_t kSec = 1000;
constexpr int64_t kMin = 60 * kSec;

class LoginThrottleTest : public ::testing::Test {
 protected:
  LoginThrottleTest() : throttle_(LoginThrottleSettings{}, [this] { return now_; }) {}

  // `n` failures from `source` on `account`, one second apart.
  LoginThrottle::FailureOutcome fail(int n, const std::string &source,
                                     const std::string &account = "") {
    LoginThrottle::FailureOutcome last;
    for (int i = 0; i < n; ++i) {
      now_ += kSec;
      last = throttle_.record_failure(source, account);
    }
    return last;
  }

  int64_t now_ = 1000 * kMin;
  LoginThrottle throttle_;
};

TEST_F(LoginThrottleTest, SourceKeys) {
  EXPECT_EQ(LoginThrottle::source_key("192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(LoginThrottle::source_key("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::source_key("2001:db8:1:2:ffff::1"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::source_key("[2001:db8:1:2::9]"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::source_key("2001:db8:1:2::/64"), "2001:db8:1:2::/64");
  EXPECT_EQ(LoginThrottle::source_key("::ffff:192.0.2.7"), "192.0.2.7");
  EXPECT_EQ(LoginThrottle::source_key("::1"), "::/64");
  EXPECT_EQ(LoginThrottle::source_key("fe80::1%lo"), "fe80::/64");
  EXPECT_EQ(LoginThrottle::source_key("alice"), "");
  EXPECT_EQ(LoginThrottle::source_key(""), "");
  EXPECT_EQ(LoginThrottle::source_key("192.0.2.7:5900"), "");
}

TEST_F(LoginThrottleTest, SourceRefusedAtThresholdOthersNot) {
  auto out = fail(9, "192.0.2.1");
  EXPECT_FALSE(out.lockout);
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), 0);
  out = fail(1, "192.0.2.1");
  ASSERT_TRUE(out.lockout);
  EXPECT_EQ(out.lockout->source, "192.0.2.1");
  EXPECT_EQ(out.lockout->duration_ms, kMin);
  EXPECT_EQ(out.lockout->until_ms, now_ + kMin);
  EXPECT_EQ(out.lockout->count, 1u);
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), kMin);
  EXPECT_EQ(throttle_.source_wait("192.0.2.2"), 0);
  now_ += kMin - 1;
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), 1);
  now_ += 1;
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), 0);
}

TEST_F(LoginThrottleTest, FailuresOutsideTheWindowDoNotCount) {
  fail(9, "192.0.2.1");
  now_ += 10 * kMin;  // all nine are older than the window now
  EXPECT_FALSE(fail(9, "192.0.2.1").lockout);
  EXPECT_TRUE(fail(1, "192.0.2.1").lockout);
}

TEST_F(LoginThrottleTest, BackoffDoublesUpToTheCap) {
  fail(10, "192.0.2.1");
  std::vector<int64_t> durations = {kMin};
  for (int i = 0; i < 8; ++i) {
    now_ += throttle_.source_wait("192.0.2.1");
    // On probation: one more failure refuses it again.
    auto out = fail(1, "192.0.2.1");
    ASSERT_TRUE(out.lockout) << i;
    durations.push_back(out.lockout->duration_ms);
  }
  EXPECT_EQ(durations, (std::vector<int64_t>{kMin, 2 * kMin, 4 * kMin, 8 * kMin, 16 * kMin,
                                             32 * kMin, 60 * kMin, 60 * kMin, 60 * kMin}));
}

TEST_F(LoginThrottleTest, DoublingIsForgottenAfterAQuietHour) {
  fail(10, "192.0.2.1");
  now_ += kMin;
  EXPECT_EQ(fail(1, "192.0.2.1").lockout->duration_ms, 2 * kMin);
  now_ += 2 * kMin + 60 * kMin;                      // quiet for backoff-max after the lockout
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), 0);  // prunes
  auto out = fail(10, "192.0.2.1");
  ASSERT_TRUE(out.lockout);
  EXPECT_EQ(out.lockout->duration_ms, kMin);
  EXPECT_EQ(out.lockout->count, 1u);
}

TEST_F(LoginThrottleTest, FailuresWhileRefusedDoNotExtendTheLockout) {
  fail(10, "192.0.2.1");
  int64_t until = now_ + kMin;
  EXPECT_FALSE(fail(5, "192.0.2.1").lockout);
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), until - now_);
}

TEST_F(LoginThrottleTest, AccountThrottledAfterThresholdFromManySources) {
  // Ten sources, one failure each: no source is refused, the account is.
  LoginThrottle::FailureOutcome out;
  for (int i = 0; i < 10; ++i) {
    EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
    now_ += 100;
    out = throttle_.record_failure("192.0.2." + std::to_string(i), "user:alice");
    EXPECT_FALSE(out.lockout);
  }
  ASSERT_TRUE(out.throttled_until);
  EXPECT_EQ(*out.throttled_until, now_ - 900 + 10 * kMin);
  // The next attempt waits for its slot: 10 s after the last one.
  int64_t wait = throttle_.account_attempt("user:alice");
  EXPECT_EQ(wait, 10 * kSec - 100);
  // Another account is not affected.
  EXPECT_EQ(throttle_.account_attempt("user:bob"), 0);
}

TEST_F(LoginThrottleTest, AtMostSixGuessesAMinuteReachAThrottledAccount) {
  for (int i = 0; i < 10; ++i) {
    throttle_.account_attempt("user:alice");
    throttle_.record_failure("192.0.2." + std::to_string(i), "user:alice");
  }
  // An attacker tries every 100 ms for 10 minutes from many sources.
  std::vector<int64_t> admitted;
  for (int i = 0; i < 6000; ++i) {
    now_ += 100;
    if (throttle_.account_attempt("user:alice") == 0) {
      admitted.push_back(now_);
      throttle_.record_failure("198.51.100." + std::to_string(i % 250), "user:alice");
    }
  }
  ASSERT_GE(admitted.size(), 50u);
  for (size_t i = 6; i < admitted.size(); ++i) EXPECT_GE(admitted[i] - admitted[i - 6], kMin) << i;
}

TEST_F(LoginThrottleTest, ThrottledAccountAdmitsALegitimateLoginWithinTheSpacing) {
  fail(10, "192.0.2.1", "user:alice");
  // No attempt was admitted in the last 10 s: this one goes through...
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
  // ...and the next waits for its slot.
  int64_t wait = throttle_.account_attempt("user:alice");
  ASSERT_GT(wait, 0);
  EXPECT_LE(wait, 10 * kSec);
  now_ += wait;
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
  // Refused attempts do not push the slot further.
  now_ += kSec;
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 9 * kSec);
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 9 * kSec);
}

TEST_F(LoginThrottleTest, AccountThrottleEndsWhenFailuresLeaveTheWindow) {
  fail(10, "192.0.2.1", "user:alice");
  now_ += 10 * kMin;
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
  EXPECT_TRUE(throttle_.list().empty());
}

TEST_F(LoginThrottleTest, ListAndRemove) {
  fail(10, "192.0.2.1", "user:alice");
  fail(10, "2001:db8:1:2::/64");
  auto entries = throttle_.list();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].key, "192.0.2.1");
  EXPECT_EQ(entries[0].kind, LoginThrottle::Kind::Source);
  EXPECT_EQ(entries[0].failures, 10u);
  EXPECT_EQ(entries[0].lockouts, 1u);
  EXPECT_EQ(entries[1].key, "2001:db8:1:2::/64");
  EXPECT_EQ(entries[2].key, "user:alice");
  EXPECT_EQ(entries[2].kind, LoginThrottle::Kind::Account);
  EXPECT_EQ(throttle_.active(), 3u);

  EXPECT_TRUE(throttle_.remove("192.0.2.1"));
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), 0);
  // Any address of the /64 names it.
  EXPECT_TRUE(throttle_.remove("2001:db8:1:2::77"));
  EXPECT_TRUE(throttle_.remove("user:alice"));
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
  EXPECT_FALSE(throttle_.remove("user:alice"));
  EXPECT_FALSE(throttle_.remove("192.0.2.9"));
  EXPECT_TRUE(throttle_.list().empty());
  // Removed means forgotten: the doubling starts again.
  auto out = fail(10, "192.0.2.1");
  ASSERT_TRUE(out.lockout);
  EXPECT_EQ(out.lockout->duration_ms, kMin);
}

TEST_F(LoginThrottleTest, ThresholdZeroTurnsItOff) {
  LoginThrottleSettings s;
  s.threshold = 0;
  throttle_.configure(s);
  EXPECT_FALSE(fail(100, "192.0.2.1", "user:alice").lockout);
  EXPECT_EQ(throttle_.source_wait("192.0.2.1"), 0);
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
  EXPECT_TRUE(throttle_.list().empty());
}

TEST_F(LoginThrottleTest, SmallSettings) {
  LoginThrottleSettings s;
  s.threshold = 2;
  s.window = 5;
  s.backoff = 0.5;
  s.backoff_max = 1;
  s.user_rate = 60;
  throttle_.configure(s);
  auto out = fail(2, "127.0.0.1", "user:alice");
  ASSERT_TRUE(out.lockout);
  EXPECT_EQ(out.lockout->duration_ms, 500);
  now_ += 500;
  EXPECT_EQ(fail(1, "127.0.0.1").lockout->duration_ms, 1000);
  now_ += 1000;
  EXPECT_EQ(fail(1, "127.0.0.1").lockout->duration_ms, 1000);
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 0);
  EXPECT_EQ(throttle_.account_attempt("user:alice"), 1000);
}

TEST_F(LoginThrottleTest, EntriesAreBounded) {
  LoginThrottleSettings s;
  s.max_entries = 1000;
  throttle_.configure(s);
  fail(10, "192.0.2.1");  // locked: the newest activity, kept
  for (int i = 0; i < 5000; ++i) {
    now_ += 1;
    throttle_.record_failure("10.0." + std::to_string(i / 250) + "." + std::to_string(i % 250),
                             "user:u" + std::to_string(i));
  }
  EXPECT_GT(throttle_.source_wait("192.0.2.1"), 0) << "an active lockout was evicted first";
  // Internal sizes are not visible; the list of active ones stays within bounds.
  EXPECT_LE(throttle_.list().size(), 1001u);
}

// The [gateway] guess-* keys that fill LoginThrottleSettings.
TEST(GuessLimitsConfig, DefaultsAndKeys) {
  Config c;
  std::string error;
  ASSERT_TRUE(parse_config("", "t.conf", c, error)) << error;
  EXPECT_EQ(c.guess, LoginThrottleSettings{});
  EXPECT_EQ(c.guess.threshold, 10u);
  EXPECT_EQ(c.guess.window, 600);
  EXPECT_EQ(c.guess.backoff, 60);
  EXPECT_EQ(c.guess.backoff_max, 3600);
  EXPECT_EQ(c.guess.user_rate, 6u);
  ASSERT_TRUE(
      parse_config("[gateway]\nguess-threshold=3\nguess-window=1.5\nguess-backoff=0.5\n"
                   "guess-backoff-max=2\nguess-user-rate=60\n",
                   "t.conf", c, error))
      << error;
  EXPECT_EQ(c.guess.threshold, 3u);
  EXPECT_EQ(c.guess.window, 1.5);
  EXPECT_EQ(c.guess.backoff, 0.5);
  EXPECT_EQ(c.guess.backoff_max, 2);
  EXPECT_EQ(c.guess.user_rate, 60u);
  Config off;
  ASSERT_TRUE(parse_config("[gateway]\nguess-threshold=0\n", "t.conf", off, error)) << error;
  EXPECT_EQ(off.guess.threshold, 0u);
}

TEST(GuessLimitsConfig, Refusals) {
  for (const auto &[text, key] : std::vector<std::pair<std::string, std::string>>{
           {"guess-threshold=-1", "guess-threshold"},
           {"guess-threshold=ten", "guess-threshold"},
           {"guess-window=0", "guess-window"},
           {"guess-window=10m", "guess-window"},
           {"guess-backoff=0", "guess-backoff"},
           {"guess-backoff-max=nan", "guess-backoff-max"},
           {"guess-backoff=120\nguess-backoff-max=60", "guess-backoff-max"},
           {"guess-user-rate=0", "guess-user-rate"},
           {"guess-user-rate=60001", "guess-user-rate"},
           {"guess-limit=3", "guess-limit"}}) {
    Config c;
    std::string error;
    EXPECT_FALSE(parse_config("[gateway]\n" + text + "\n", "t.conf", c, error)) << text;
    EXPECT_NE(error.find("t.conf: [gateway] " + key), std::string::npos) << text << ": " << error;
  }
}

// Only password mechanisms are guesses an account is throttled against.
TEST(LoginLimits, PasswordMechanisms) {
  for (const char *m :
       {"DIGEST-MD5", "SCRAM-SHA-256", "SCRAM-SHA-1", "PLAIN", "CRAM-MD5", "digest-md5"})
    EXPECT_TRUE(is_password_mechanism(m)) << m;
  for (const char *m :
       {"GSSAPI", "gssapi", "GS2-KRB5", "GSS-SPNEGO", "EXTERNAL", "ANONYMOUS", "x509-none", ""})
    EXPECT_FALSE(is_password_mechanism(m)) << m;
}

// "alice" and "alice@<[sasl] realm>" are one account; other realms are not.
TEST(LoginLimits, AccountKeys) {
  EXPECT_EQ(LoginLimits::account_key(LoginService::Rfb, "alice", "EX.COM"), "user:alice");
  EXPECT_EQ(LoginLimits::account_key(LoginService::Rfb, "alice@EX.COM", "EX.COM"), "user:alice");
  EXPECT_EQ(LoginLimits::account_key(LoginService::Rfb, "alice@OTHER", "EX.COM"),
            "user:alice@OTHER");
  EXPECT_EQ(LoginLimits::account_key(LoginService::Rfb, "alice@EX.COM", ""), "user:alice@EX.COM");
  EXPECT_EQ(LoginLimits::account_key(LoginService::Control, "webui@EX.COM", "EX.COM"),
            "control:webui@EX.COM");
}

}  // namespace
}  // namespace vncgate
