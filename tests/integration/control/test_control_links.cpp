// Console links minted by the control API, used by gtk-vnc (libgvnc) with
// CONNECT /console/NAME?token=T: one session per one-time link, expiry
// (time to first use), user binding, refusals with their reason in the log,
// revocation ending live sessions within a second, and a crash and restart
// of vncgated that keeps unused tokens and runtime consoles and still
// closes (rmvterm) the vterm it had opened.
#include <csignal>
#include <regex>

#include "control_test.h"
#include "raw_socket.h"
#include "wait.h"

namespace vncgate::it {
namespace {

class ControlLinkTest : public ControlTest {
 protected:
  // "session N: 127.0.0.1:P presented an unusable token for console C: REASON (token ID)"
  static std::string refusal_pattern(const std::string &console, const std::string &reason,
                                     const std::string &token_id) {
    return "presented an unusable token for console " + console + ": " + reason +
           (token_id.empty() ? std::string("$") : " \\(token " + token_id + "\\)$");
  }
};

TEST_F(ControlLinkTest, MintedLinkOpensOneGtkVncSession) {
  XvncBackend &backend = add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint("static1", "alice", 60);
  ASSERT_EQ(link.status, 201) << link.body;
  ASSERT_FALSE(link.token.empty()) << link.url;

  {
    GvncClient client(via_link(link));
    std::string error;
    ASSERT_TRUE(client.open(error)) << error;
    EXPECT_EQ(client.http_status(), 200);
    ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
    EXPECT_EQ(client.desktop_name(), backend.desktop_name());
    ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();

    Json sessions = Json::parse(api("GET", "/v1/sessions").body);
    ASSERT_EQ(sessions.size(), 1u) << sessions.text();
    EXPECT_EQ(sessions.at(0).str("token_id").value_or(""), link.token_id) << sessions.text();
    Json tokens = Json::parse(read_file(state_dir_ + "/tokens.json"));
    ASSERT_EQ(tokens.size(), 1u) << tokens.text();
    EXPECT_EQ(tokens.at(0).boolean("used"), std::optional<bool>(true)) << tokens.text();
    client.close();
  }
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["token"], link.token_id) << to_string(*audit);
  EXPECT_EQ((*audit)["end"], "client closed") << to_string(*audit);
  EXPECT_EQ((*audit)["console"], "static1") << to_string(*audit);

  // The same one-time link again: 404, and the log says why.
  GvncClient again(via_link(link));
  std::string error;
  ASSERT_TRUE(again.send_preamble(error)) << error;
  EXPECT_FALSE(again.start(error));
  EXPECT_EQ(again.http_status(), 404) << again.http_response();
  EXPECT_LOG(daemon_, refusal_pattern("static1", "token already used", link.token_id), 5000ms);
  audit = daemon_.wait_for_audit(5s, 2);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["end"], "token refused: token already used") << to_string(*audit);
  EXPECT_EQ(daemon_.log().find(link.token), std::string::npos) << "the secret was logged";
}

TEST_F(ControlLinkTest, ReusableLinkOpensSeveralSessions) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint("static1", "", 60, false);
  ASSERT_EQ(link.status, 201) << link.body;
  GvncClient first(via_link(link));
  GvncClient second(via_link(link, "bob", kBobPassword));
  std::string error;
  ASSERT_TRUE(first.open(error)) << error;
  ASSERT_TRUE(second.open(error)) << error;
  ASSERT_TRUE(first.wait_initialized(15s)) << first.describe();
  ASSERT_TRUE(second.wait_initialized(15s)) << second.describe();
  Json sessions = Json::parse(api("GET", "/v1/sessions").body);
  ASSERT_EQ(sessions.size(), 2u) << sessions.text();
  for (size_t i = 0; i < 2; ++i)
    EXPECT_EQ(sessions.at(i).str("token_id").value_or(""), link.token_id) << sessions.text();
}

TEST_F(ControlLinkTest, ExpiredLinkIsRefusedButASessionOutlivesItsTtl) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link early = mint("static1", "alice", 3);
  Link late = mint("static1", "alice", 1);
  ASSERT_EQ(early.status, 201) << early.body;
  ASSERT_EQ(late.status, 201) << late.body;
  auto early_expiry = parse_iso8601(early.expires_at);
  auto late_expiry = parse_iso8601(late.expires_at);
  ASSERT_TRUE(early_expiry && late_expiry);

  // Used within its ttl: the ttl is time to first use, the session goes on.
  GvncClient client(via_link(early));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();

  // Bounded wait for the wall clock to pass both expiries (at most ~3 s).
  ASSERT_TRUE(
      wait_until([&] { return unix_now() >= std::max(*early_expiry, *late_expiry); }, 6000ms));
  EXPECT_EQ(connect_status("static1?token=" + late.token), 404);
  EXPECT_LOG(daemon_, refusal_pattern("static1", "expired token", late.token_id), 5000ms);
  EXPECT_TRUE(client.refresh(10s))
      << "the session ended with its link's ttl: " << client.describe();
  Json sessions = Json::parse(api("GET", "/v1/sessions").body);
  EXPECT_EQ(sessions.size(), 1u) << sessions.text();
}

TEST_F(ControlLinkTest, LinkBoundToAliceIsRefusedToBob) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint("static1", "alice", 60);
  ASSERT_EQ(link.status, 201) << link.body;

  GvncClient bob(via_link(link, "bob", kBobPassword));
  std::string error;
  ASSERT_TRUE(bob.open(error)) << error;
  EXPECT_EQ(bob.http_status(), 200) << "the user is known only after SASL";
  ASSERT_TRUE(bob.wait_settled(15s)) << bob.describe();
  EXPECT_FALSE(bob.initialized()) << bob.describe();
  EXPECT_TRUE(bob.auth_failed()) << bob.describe();
  EXPECT_EQ(bob.auth_failure_reason(), "this console link belongs to another user")
      << bob.describe();
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_TRUE(std::regex_match((*audit)["user"], std::regex("bob(@VNCGATE\\.TEST)?")))
      << to_string(*audit);
  EXPECT_EQ((*audit)["end"], "token bound to another user") << to_string(*audit);
  EXPECT_EQ((*audit)["token"], link.token_id) << to_string(*audit);
  EXPECT_EQ(Json::parse(api("GET", "/v1/sessions").body).size(), 0u);

  // Alice with a link bound to her (as "alice"; the realm is hers).
  Link own = mint("static1", "alice", 60);
  GvncClient alice(via_link(own));
  ASSERT_TRUE(alice.open(error)) << error;
  ASSERT_TRUE(alice.wait_initialized(15s)) << alice.describe();
  // And one bound with the realm spelled out.
  Link qualified = mint("static1", "alice@VNCGATE.TEST", 60);
  ASSERT_EQ(qualified.status, 201) << qualified.body;
  GvncClient alice2(via_link(qualified));
  ASSERT_TRUE(alice2.open(error)) << error;
  ASSERT_TRUE(alice2.wait_initialized(15s)) << alice2.describe();
}

TEST_F(ControlLinkTest, UnusableTokensAre404WithTheReasonInTheLog) {
  add_static_console("static1");
  add_static_console("static2");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  EXPECT_EQ(connect_status("static1?token=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"), 404);
  EXPECT_LOG(daemon_, refusal_pattern("static1", "unknown token", ""), 5000ms);
  EXPECT_EQ(connect_status("static1?token="), 404);

  // A token for another console is refused there and not spent.
  Link for2 = mint("static2", "", 60);
  ASSERT_EQ(for2.status, 201) << for2.body;
  EXPECT_EQ(connect_status("static1?token=" + for2.token), 404);
  EXPECT_LOG(daemon_, refusal_pattern("static1", "token for another console", for2.token_id),
             5000ms);
  GvncClient right(via_link(for2));
  std::string error;
  ASSERT_TRUE(right.open(error)) << error;
  ASSERT_TRUE(right.wait_initialized(15s)) << right.describe();
  right.close();

  // Revoked before its first use.
  Link revoked = mint("static1", "", 60);
  HttpReply r = api("DELETE", "/v1/tokens/" + revoked.token_id);
  ASSERT_EQ(r.status, 200) << r.describe();
  Json j = Json::parse(r.body);
  EXPECT_EQ(j.str("revoked").value_or(""), revoked.token_id) << r.body;
  EXPECT_EQ(j.integer("sessions_ended").value_or(-1), 0) << r.body;
  EXPECT_EQ(connect_status("static1?token=" + revoked.token), 404);
  EXPECT_LOG(daemon_, refusal_pattern("static1", "revoked token", revoked.token_id), 5000ms);

  // The unknown console wins over the token (no token check, no spending).
  Link kept = mint("static1", "", 60);
  EXPECT_EQ(connect_status("nope?token=" + kept.token), 404);
  GvncClient still(via_link(kept));
  ASSERT_TRUE(still.open(error)) << error;
  ASSERT_TRUE(still.wait_initialized(15s)) << still.describe();
}

TEST_F(ControlLinkTest, RevokingATokenEndsItsLiveSessionWithinASecond) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint("static1", "alice", 60);
  ASSERT_EQ(link.status, 201) << link.body;
  GvncClient client(via_link(link));
  GvncClient bystander(via_gateway("static1", "bob", kBobPassword));  // no token
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(bystander.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  ASSERT_TRUE(bystander.wait_full_update(15s)) << bystander.describe();

  const auto t0 = Clock::now();
  HttpReply r = api("DELETE", "/v1/tokens/" + link.token_id);
  ASSERT_EQ(r.status, 200) << r.describe();
  const auto left = std::chrono::duration_cast<milliseconds>(1000ms - (Clock::now() - t0));
  EXPECT_TRUE(client.wait_disconnected(std::max(left, 1ms)))
      << "the session was still open " << elapsed_ms(t0)
      << " ms after the revocation: " << client.describe();
  EXPECT_LE(elapsed_ms(t0), 1000.0);
  Json j = Json::parse(r.body);
  EXPECT_EQ(j.str("revoked").value_or(""), link.token_id) << r.body;
  EXPECT_EQ(j.integer("sessions_ended").value_or(-1), 1) << r.body;

  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["end"], "token revoked") << to_string(*audit);
  EXPECT_EQ((*audit)["token"], link.token_id) << to_string(*audit);
  // The other session is untouched.
  EXPECT_TRUE(bystander.refresh(10s)) << bystander.describe();
  Json sessions = Json::parse(api("GET", "/v1/sessions").body);
  ASSERT_EQ(sessions.size(), 1u) << sessions.text();
  EXPECT_EQ(sessions.at(0).str("token_id").value_or("?"), "") << sessions.text();
  Json tokens = Json::parse(read_file(state_dir_ + "/tokens.json"));
  ASSERT_EQ(tokens.size(), 1u) << tokens.text();
  EXPECT_EQ(tokens.at(0).boolean("revoked"), std::optional<bool>(true)) << tokens.text();
}

TEST_F(ControlLinkTest, CrashAndRestartKeepUnusedTokensAndCloseTheOpenedVterm) {
  const int lpar = 5, runtime_lpar = 6;
  add_lpar_console("lpar5", lpar);
  daemon_.config().set("gateway", "idle-close", "2");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // A console added at run time, an unused link for it, a link used now.
  HttpReply r =
      api("PUT", "/v1/consoles/rt6", "{\"lpar_id\": " + std::to_string(runtime_lpar) + "}");
  ASSERT_EQ(r.status, 201) << r.describe();
  Link unused = mint("rt6", "alice", 300);
  Link used = mint("lpar5", "alice", 300);
  ASSERT_EQ(unused.status, 201) << unused.body;
  ASSERT_EQ(used.status, 201) << used.body;
  {
    GvncClient client(via_link(used));
    std::string error;
    ASSERT_TRUE(client.open(error)) << error;
    ASSERT_TRUE(client.wait_initialized(20s)) << client.describe();
    ASSERT_EQ(fake_.mkvterm_calls(lpar), 1);
    Json vterms = Json::parse(read_file(state_dir_ + "/vterms.json"));
    ASSERT_EQ(vterms.size(), 1u) << vterms.text();
    EXPECT_EQ(vterms.at(0).str("console").value_or(""), "lpar5") << vterms.text();
    EXPECT_EQ(vterms.at(0).integer("lpar_id").value_or(-1), lpar) << vterms.text();

    // The daemon dies without cleaning up.
    ASSERT_TRUE(daemon_.send_signal(SIGKILL));
    ASSERT_TRUE(daemon_.wait_exit(5s));
    EXPECT_TRUE(client.wait_disconnected(5s)) << client.describe();
  }
  EXPECT_TRUE(fake_.vterm_open(lpar)) << "the vterm stays open while no daemon runs";
  EXPECT_EQ(fake_.rmvterm_calls(lpar), 0);
  const std::string before_log = daemon_.log();

  const auto restarted = Clock::now();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_LOG(daemon_, "console lpar5: a previous run left lpar 5 open", 5000ms);
  Json consoles = Json::parse(api("GET", "/v1/consoles").body);
  bool saw_rt6 = false;
  for (size_t i = 0; i < consoles.size(); ++i) {
    Json c = consoles.at(i);
    if (c.str("name") == "lpar5") {
      EXPECT_FALSE(c.is_null("idle_deadline"))
          << "no idle deadline for the adopted vterm: " << consoles.text();
    } else if (c.str("name") == "rt6") {
      saw_rt6 = true;
      EXPECT_EQ(c.boolean("runtime"), std::optional<bool>(true)) << consoles.text();
      EXPECT_EQ(c.str("kind").value_or(""), "mkvterm") << consoles.text();
    }
  }
  EXPECT_TRUE(saw_rt6) << "the runtime console was lost in the restart: " << consoles.text();

  // rmvterm after the idle grace (2 s), not before, and once.
  ASSERT_TRUE(wait_until([&] { return fake_.rmvterm_calls(lpar) >= 1; }, 8000ms))
      << "no rmvterm for the vterm opened before the crash\n---- log before the crash ----\n"
      << before_log;
  EXPECT_GE(elapsed_ms(restarted), 1800.0) << "closed before the idle grace";
  EXPECT_TRUE(wait_until([&] { return !fake_.vterm_open(lpar); }, 5000ms));
  EXPECT_TRUE(wait_until(
      [&] { return Json::parse(read_file(state_dir_ + "/vterms.json")).size() == 0; }, 5000ms))
      << read_file(state_dir_ + "/vterms.json");

  // The used link stays used; the unused one opens its (runtime) console.
  EXPECT_EQ(connect_status("lpar5?token=" + used.token), 404);
  EXPECT_LOG(daemon_, refusal_pattern("lpar5", "token already used", used.token_id), 5000ms);
  {
    GvncClient client(via_link(unused));
    std::string error;
    ASSERT_TRUE(client.open(error)) << error;
    ASSERT_TRUE(client.wait_initialized(20s)) << client.describe();
    EXPECT_EQ(fake_.mkvterm_calls(runtime_lpar), 1);
    client.close();
  }
  EXPECT_EQ(fake_.rmvterm_calls(lpar), 1);
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1) << "the adopted vterm was opened again";
}

TEST_F(ControlLinkTest, CleanRestartKeepsAnUnusedToken) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint("static1", "alice", 300);
  ASSERT_EQ(link.status, 201) << link.body;
  auto status = daemon_.terminate(10s);
  ASSERT_TRUE(status) << "vncgated did not stop on SIGTERM";
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  GvncClient client(via_link(link));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
}

}  // namespace
}  // namespace vncgate::it
