// Password-guessing limits ([gateway] guess-*) with the real daemon, Cyrus
// sasldb and DIGEST-MD5 from the RFB/SASL test client, each loopback
// address (127.0.0.2, 127.0.0.3, ...) being another source; vncgatectl
// lockouts/unlock over the control socket; HTTPS Basic through curl.
// Thresholds are small and auth-failure-delay is 0 to keep them fast.
#include <gtest/gtest.h>

#include <regex>

#include "control_test.h"
#include "raw_socket.h"
#include "rfb_test_client.h"
#include "wait.h"

namespace vncgate::it {
namespace {

using vncgate::testing::printable;
using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

// What the client saw of one login attempt.
struct Attempt {
  bool ok = false;      // SecurityResult OK
  std::string refusal;  // the security-types refusal's reason (source refused)
  std::string result;   // the failed SecurityResult's reason
  std::string error;    // anything else that went wrong
  std::string describe() const {
    return "ok=" + std::to_string(ok) + " refusal='" + printable(refusal) + "' result='" +
           printable(result) + "' error='" + error + "'";
  }
};

// The reason a client from a refused address is given.
const std::regex kSourceRefused("too many failed logins from your address; try again in [0-9]+ s");

class LoginLimitsTest : public ControlTest {
 protected:
  LoginLimitsTest() {
    add_static_console("static1");
    daemon_.config()
        .set("gateway", "guess-threshold", "3")
        .set("gateway", "guess-window", "60")
        .set("gateway", "guess-backoff", "60")
        .set("gateway", "guess-backoff-max", "120")
        .set("gateway", "guess-user-rate", "60000")
        .set("sasl", "auth-failure-delay", "0");
  }

  // One DIGEST-MD5 login to static1 from `source` (to `target`).
  Attempt login(const std::string &source, const std::string &user, const std::string &password,
                const std::string &target = "127.0.0.1") {
    Attempt a;
    RfbSaslTestClient c(5000);
    c.set_source_address(source);
    if (!c.connect(target, daemon_.gateway_port())) return a.error = c.error(), a;
    if (int code = c.http_connect("/console/static1"); code != 200)
      return a.error = "CONNECT answered " + std::to_string(code) + " " + c.error(), a;
    if (!c.exchange_version(8)) return a.error = c.error(), a;
    auto types = c.read_security_types();
    if (!types) {
      a.refusal = c.refusal_reason();
      if (a.refusal.empty()) a.error = c.error();
      return a;
    }
    if (!c.choose_security_type(20)) return a.error = c.error(), a;
    SaslClientOptions options;
    options.authname = user;
    options.password = password;
    options.min_ssf = 56;
    options.force_mechlist = "DIGEST-MD5";
    auto outcome = c.sasl_authenticate(options);
    if (!outcome.server_complete) return a.error = "SASL: " + outcome.error, a;
    auto result = c.read_security_result();
    if (!result) return a.error = c.error(), a;
    a.ok = result->ok() && outcome.ok;
    a.result = result->reason;
    return a;
  }

  std::string lockouts_json() {
    HttpReply r = api("GET", "/v1/lockouts");
    EXPECT_EQ(r.status, 200) << r.describe();
    return r.body;
  }
};

TEST_F(LoginLimitsTest, SourceRefusedAfterThresholdAnotherSourceLogsIn) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  for (int i = 0; i < 3; ++i) {
    Attempt a = login("127.0.0.1", "alice", "wrong password " + std::to_string(i));
    EXPECT_FALSE(a.ok) << a.describe();
    EXPECT_TRUE(a.refusal.empty()) << "refused before the threshold: " << a.describe();
    EXPECT_NE(a.result.find("authentication failed"), std::string::npos) << a.describe();
  }
  EXPECT_LOG(daemon_,
             ".*login limits: refusing 127\\.0\\.0\\.1 until 20[0-9-]+T[0-9:]+Z \\(60 s, lockout 1 "
             "in a row\\).*as alice on rfb",
             5s);

  // Refused with a reason, even with the right password, before Cyrus checks it.
  Attempt refused = login("127.0.0.1", "bob", kBobPassword);
  EXPECT_FALSE(refused.ok);
  EXPECT_TRUE(refused.refusal.empty()) << refused.describe();
  EXPECT_TRUE(std::regex_search(refused.result, kSourceRefused)) << refused.describe();
  EXPECT_LOG(daemon_,
             ".*: too many failed logins for 127\\.0\\.0\\.1:[0-9]+ .*: the address is refused "
             "after failed logins \\((60|59) s left\\)",
             5s);
  // gtk-vnc (the viewer) sees a failed login, as for a wrong password: it
  // stops at the SASL step and never reads the SecurityResult's reason.
  GvncClient gvnc(via_gateway("static1", "bob", kBobPassword));
  std::string error;
  ASSERT_TRUE(gvnc.open(error)) << error;
  ASSERT_TRUE(gvnc.wait_disconnected(10s)) << gvnc.describe();
  EXPECT_FALSE(gvnc.initialized()) << gvnc.describe();
  EXPECT_TRUE(gvnc.auth_failed()) << gvnc.describe();

  // Another source is not affected.
  Attempt other = login("127.0.0.2", "bob", kBobPassword);
  EXPECT_TRUE(other.ok) << other.describe();

  // Metrics: three failures, one lockout, active now.
  PromText m = metrics();
  EXPECT_EQ(m.value("vncgate_auth_failures_total", {{"service", "rfb"}}), 3.0);
  EXPECT_EQ(m.value("vncgate_auth_failures_total", {{"service", "control"}}), 0.0);
  EXPECT_EQ(m.value("vncgate_lockouts_total", {{"kind", "source"}}), 1.0);
  EXPECT_EQ(m.value("vncgate_lockouts_total", {{"kind", "account"}}), 1.0);  // alice
  EXPECT_EQ(m.value("vncgate_lockouts_active"), 2.0);
  EXPECT_EQ(daemon_.log().find("wrong password"), std::string::npos) << "a password was logged";
}

TEST_F(LoginLimitsTest, ConnectionsOpenedBeforeTheLockoutGetNoGuessThrough) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  // Opened and past the version exchange while the address is still clean.
  RfbSaslTestClient early(5000);
  early.set_source_address("127.0.0.60");
  ASSERT_TRUE(early.connect("127.0.0.1", daemon_.gateway_port())) << early.error();
  ASSERT_EQ(early.http_connect("/console/static1"), 200) << early.error();
  ASSERT_TRUE(early.exchange_version(8)) << early.error();
  ASSERT_TRUE(early.read_security_types()) << early.error();
  ASSERT_TRUE(early.choose_security_type(20)) << early.error();

  for (int i = 0; i < 3; ++i) EXPECT_FALSE(login("127.0.0.60", "mallory", "guess").ok);
  EXPECT_LOG(daemon_, ".*login limits: refusing 127\\.0\\.0\\.60 until .*", 5s);

  // Even the right password on the early connection is refused now.
  SaslClientOptions options;
  options.authname = "alice";
  options.password = kAlicePassword;
  options.min_ssf = 56;
  options.force_mechlist = "DIGEST-MD5";
  auto outcome = early.sasl_authenticate(options);
  EXPECT_FALSE(outcome.ok);
  ASSERT_TRUE(outcome.server_complete) << outcome.error;
  auto result = early.read_security_result();
  ASSERT_TRUE(result) << early.error();
  EXPECT_FALSE(result->ok());
  EXPECT_NE(result->reason.find("too many failed logins from your address"), std::string::npos)
      << printable(result->reason);
  EXPECT_EQ(daemon_.count_log(std::regex(".*authenticated as alice.*")), 0) << daemon_.log();
}

TEST_F(LoginLimitsTest, LockoutsListedAndLiftedWithVncgatectl) {
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(login("127.0.0.1", "mallory", "guess").ok);
  ASSERT_TRUE(
      std::regex_search(login("127.0.0.1", "alice", kAlicePassword).result, kSourceRefused));

  CtlResult list = ctl({"--socket", socket_, "lockouts"});
  ASSERT_EQ(list.exit_code, 0) << list.describe();
  EXPECT_TRUE(std::regex_search(list.out, std::regex("^KEY +KIND +FAILURES +LOCKOUTS +UNTIL\n")))
      << list.out;
  EXPECT_TRUE(std::regex_search(
      list.out, std::regex("\n127\\.0\\.0\\.1 +source +3 +1 +20[0-9-]+T[0-9:]+Z\n")))
      << list.out;
  EXPECT_TRUE(std::regex_search(list.out, std::regex("\nuser:mallory +account +3 +0 ")))
      << list.out;

  Json j = Json::parse(lockouts_json());
  ASSERT_TRUE(j.is_array()) << j.text();
  ASSERT_EQ(j.size(), 2u) << j.text();
  EXPECT_EQ(j.at(0).str("key").value_or(""), "127.0.0.1");
  EXPECT_EQ(j.at(0).str("kind").value_or(""), "source");
  EXPECT_EQ(j.at(0).integer("failures").value_or(-1), 3);
  auto until = parse_iso8601(j.at(0).str("until").value_or(""));
  ASSERT_TRUE(until) << j.text();
  EXPECT_NEAR(static_cast<double>(*until - unix_now()), 60.0, 3.0);

  CtlResult unknown = ctl({"--socket", socket_, "unlock", "192.0.2.1"});
  EXPECT_EQ(unknown.exit_code, 1) << unknown.describe();
  EXPECT_NE(unknown.err.find("no such lockout"), std::string::npos) << unknown.describe();

  CtlResult unlock = ctl({"--socket", socket_, "unlock", "127.0.0.1"});
  ASSERT_EQ(unlock.exit_code, 0) << unlock.describe();
  EXPECT_EQ(unlock.out, "unlocked\n");
  EXPECT_LOG(daemon_, ".*login limits: 127\\.0\\.0\\.1 unlocked by an operator", 5s);
  Attempt again = login("127.0.0.1", "alice", kAlicePassword);
  EXPECT_TRUE(again.ok) << again.describe();

  ASSERT_EQ(ctl({"--socket", socket_, "unlock", "user:mallory"}).exit_code, 0);
  EXPECT_EQ(Json::parse(lockouts_json()).size(), 0u);
  EXPECT_EQ(metrics().value("vncgate_lockouts_active"), 0.0);
}

TEST_F(LoginLimitsTest, ThrottledUserIsSlowedNotLockedOut) {
  // 2 attempts a minute: one every 30 s past the threshold.
  daemon_.config().set("gateway", "guess-user-rate", "2");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  // Three sources, one wrong password each: no source is refused, alice is
  // limited.
  for (int i = 0; i < 3; ++i) {
    Attempt a = login("127.0.0." + std::to_string(10 + i), "alice", "guess " + std::to_string(i));
    EXPECT_NE(a.result.find("authentication failed"), std::string::npos) << a.describe();
  }
  EXPECT_LOG(daemon_,
             ".*login limits: 3 failed password logins of user:alice within 60 s; its password "
             "logins are limited to 2 a minute until .*",
             5s);
  EXPECT_EQ(daemon_.count_log(std::regex(".*login limits: refusing .*")), 0);

  // From a fourth source, the right and a wrong password get the same answer
  // at once: the outcome of a guess past the limit is not revealed.
  const std::regex too_many("too many login attempts for this user; try again in (30|29) s");
  Attempt right = login("127.0.0.20", "alice", kAlicePassword);
  EXPECT_FALSE(right.ok) << right.describe();
  EXPECT_TRUE(std::regex_search(right.result, too_many)) << right.describe();
  Attempt wrong = login("127.0.0.21", "alice", "another guess");
  EXPECT_TRUE(std::regex_search(wrong.result, too_many)) << wrong.describe();
  // These refusals count against nobody: the address may still log in.
  EXPECT_TRUE(login("127.0.0.20", "bob", kBobPassword).ok);

  // The limit is per user: bob from an address that guessed for alice.
  EXPECT_TRUE(login("127.0.0.10", "bob", kBobPassword).ok);

  Json j = Json::parse(lockouts_json());
  ASSERT_EQ(j.size(), 1u) << j.text();
  EXPECT_EQ(j.at(0).str("key").value_or(""), "user:alice");
  EXPECT_EQ(j.at(0).str("kind").value_or(""), "account");
}

TEST_F(LoginLimitsTest, ThrottledUserLogsInOnceItsSlotComes) {
  daemon_.config().set("gateway", "guess-user-rate", "30");  // one every 2 s
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  for (int i = 0; i < 3; ++i)
    EXPECT_FALSE(login("127.0.0." + std::to_string(30 + i), "alice", "guess").ok);
  Attempt early = login("127.0.0.40", "alice", kAlicePassword);
  EXPECT_NE(early.result.find("too many login attempts"), std::string::npos) << early.describe();
  // Delayed, not refused: within a few seconds the right password works.
  Attempt last;
  EXPECT_TRUE(wait_until(
      [&] {
        last = login("127.0.0.40", "alice", kAlicePassword);
        return last.ok;
      },
      10s, 250ms))
      << last.describe();
}

TEST_F(LoginLimitsTest, RefusedSourceStaysRefusedForTheBackoffThenDoubles) {
  daemon_.config().set("gateway", "guess-backoff", "1").set("gateway", "guess-backoff-max", "60");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  for (int i = 0; i < 3; ++i) login("127.0.0.50", "mallory", "guess");
  EXPECT_LOG(daemon_, ".*refusing 127\\.0\\.0\\.50 until .* \\(1 s, lockout 1 in a row\\).*", 5s);
  EXPECT_TRUE(std::regex_search(login("127.0.0.50", "bob", kBobPassword).result, kSourceRefused));
  // After the backoff the address may log in again...
  Attempt back;
  EXPECT_TRUE(wait_until(
      [&] {
        back = login("127.0.0.50", "bob", kBobPassword);
        return back.ok;
      },
      5s, 100ms))
      << back.describe();
  // ...but one more failure refuses it again, for twice as long.
  EXPECT_FALSE(login("127.0.0.50", "mallory", "guess").ok);
  EXPECT_LOG(daemon_, ".*refusing 127\\.0\\.0\\.50 until .* \\(2 s, lockout 2 in a row\\).*", 5s);
}

TEST_F(LoginLimitsTest, Ipv6SourceIsItsSlash64) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
  const std::string port = std::to_string(daemon_.gateway_port());
  daemon_.config().set("gateway", "listen", "127.0.0.1:" + port + ";[::1]:" + port);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(login("::1", "mallory", "guess", "::1").ok);
  EXPECT_LOG(daemon_, ".*login limits: refusing ::/64 until .*", 5s);
  EXPECT_TRUE(std::regex_search(login("::1", "bob", kBobPassword, "::1").result, kSourceRefused));
  EXPECT_TRUE(login("127.0.0.1", "bob", kBobPassword).ok);

  CtlResult list = ctl({"--socket", socket_, "lockouts"});
  EXPECT_TRUE(std::regex_search(list.out, std::regex("\n::/64 +source +3 "))) << list.describe();
  // The key holds a '/': vncgatectl percent-encodes it.
  CtlResult unlock = ctl({"--socket", socket_, "unlock", "::/64"});
  ASSERT_EQ(unlock.exit_code, 0) << unlock.describe();
  Attempt again = login("::1", "bob", kBobPassword, "::1");
  EXPECT_TRUE(again.ok) << again.describe();
}

// ---- HTTPS Basic auth ---------------------------------------------------------

class BasicAuthLimitsTest : public ControlTest {
 protected:
  static void SetUpTestSuite() {
    pki_dir_ = new TempDir();
    pki_ = new TestPki(make_test_pki(pki_dir_->path()));
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete pki_dir_;
    pki_ = nullptr;
    pki_dir_ = nullptr;
  }

  BasicAuthLimitsTest() {
    port_ = free_loopback_port();
    daemon_.config()
        .set("control", "listen", "127.0.0.1:" + std::to_string(port_))
        .set("control", "cert", pki_->server_cert)
        .set("control", "key", pki_->server_key)
        .set("gateway", "guess-threshold", "3")
        .set("gateway", "guess-window", "60")
        .set("gateway", "guess-backoff", "60")
        .set("gateway", "guess-backoff-max", "60")
        .set("gateway", "guess-user-rate", "60000");
  }

  HttpReply https(const std::string &user_password) {
    HttpRequest r;
    r.url = "https://127.0.0.1:" + std::to_string(port_) + "/v1/health";
    r.curl_args = {"--cacert", pki_->ca_cert, "-u", user_password};
    return curl(dir_, r);
  }

  static TempDir *pki_dir_;
  static TestPki *pki_;
  uint16_t port_ = 0;
};

TempDir *BasicAuthLimitsTest::pki_dir_ = nullptr;
TestPki *BasicAuthLimitsTest::pki_ = nullptr;

TEST_F(BasicAuthLimitsTest, FailuresLoggedAndLimited) {
  const std::string users = dir_.file("api-users");
  CommandResult set = vncgatectl({"passwd", "webui", "--users-file", users}, "web pass 1\n");
  ASSERT_EQ(set.exit_code, 0) << set.output;
  daemon_.config().set("control", "users-file", users);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  for (int i = 0; i < 3; ++i) {
    HttpReply r = https("webui:not the password " + std::to_string(i));
    EXPECT_EQ(r.status, 401) << r.describe();
  }
  // Each failure is logged with the address and the user, never the password.
  EXPECT_EQ(daemon_.count_log(std::regex(
                ".*control: authentication failed for 127\\.0\\.0\\.1 \\(user webui\\).*")),
            3)
      << daemon_.log();
  EXPECT_LOG(daemon_, ".*login limits: refusing 127\\.0\\.0\\.1 until .* as webui on control", 5s);
  EXPECT_EQ(daemon_.log().find("not the password"), std::string::npos) << "a password was logged";

  // Refused now, even with the right password: 429 with Retry-After.
  HttpReply refused = https("webui:web pass 1");
  EXPECT_EQ(refused.status, 429) << refused.describe();
  EXPECT_TRUE(std::regex_match(refused.header("Retry-After"), std::regex("60|59")))
      << refused.headers;
  EXPECT_NE(Json::parse(refused.body).str("error").value_or("").find("too many failed logins"),
            std::string::npos)
      << refused.body;

  // The Unix socket is not limited; it lists and lifts the lockout.
  Json j = Json::parse(api("GET", "/v1/lockouts").body);
  ASSERT_EQ(j.size(), 2u) << j.text();
  EXPECT_EQ(j.at(0).str("key").value_or(""), "127.0.0.1");
  EXPECT_EQ(j.at(1).str("key").value_or(""), "control:webui");
  PromText m = metrics();
  EXPECT_EQ(m.value("vncgate_auth_failures_total", {{"service", "control"}}), 3.0);
  EXPECT_EQ(m.value("vncgate_lockouts_total", {{"kind", "source"}}), 1.0);

  HttpReply del = api("DELETE", "/v1/lockouts/127.0.0.1");
  EXPECT_EQ(del.status, 204) << del.describe();
  EXPECT_EQ(api("DELETE", "/v1/lockouts/127.0.0.1").status, 404);
  HttpReply ok = https("webui:web pass 1");
  EXPECT_EQ(ok.status, 200) << ok.describe();
}

TEST_F(BasicAuthLimitsTest, ThrottledControlUserCostsNoHashing) {
  const std::string users = dir_.file("api-users");
  ASSERT_EQ(vncgatectl({"passwd", "webui", "--users-file", users}, "web pass 1\n").exit_code, 0);
  daemon_.config().set("control", "users-file", users).set("gateway", "guess-user-rate", "1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  for (int i = 0; i < 3; ++i) EXPECT_EQ(https("webui:guess").status, 401);
  ASSERT_EQ(api("DELETE", "/v1/lockouts/127.0.0.1").status, 204);
  // The source may try again, but webui's password logins wait for their slot.
  HttpReply r = https("webui:web pass 1");
  EXPECT_EQ(r.status, 429) << r.describe();
  EXPECT_NE(
      Json::parse(r.body).str("error").value_or("").find("too many login attempts for this user"),
      std::string::npos)
      << r.body;
  EXPECT_LOG(daemon_,
             ".*control: refused Basic auth from 127\\.0\\.0\\.1 \\(user webui\\): "
             "password logins of this user are limited.*",
             5s);
  // Another control user is not affected; the percent-encoded key lifts it.
  HttpReply del = api("DELETE", "/v1/lockouts/control%3Awebui");
  EXPECT_EQ(del.status, 204) << del.describe();
  EXPECT_EQ(https("webui:web pass 1").status, 200);
}

}  // namespace
}  // namespace vncgate::it
