// Consoles backed by mkvterm (the fake in tests/fake, which starts a real
// Xvnc): opened only for a logged-in, authorized user, once for concurrent
// first sessions, reused by later ones, closed with rmvterm exactly once
// after the idle grace period unless a new session arrives first; mkvterm
// failures are a failed SecurityResult with a fixed reason for the user and
// the tool's stderr for the operator (log and audit).
#include <glib.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <regex>

#include "gateway_test.h"
#include "raw_socket.h"
#include "rfb_test_client.h"
#include "wait.h"

namespace vncgate::it {
namespace {

using vncgate::testing::printable;

class ConsoleLifecycleTest : public GatewayTest {
 protected:
  // Logs in as alice on `console` and expects the login to end with a failed
  // SecurityResult; returns its reason.
  std::string login_refused(const std::string &console) {
    GvncClient client(via_gateway(console));
    std::string error;
    EXPECT_TRUE(client.open(error)) << error;
    EXPECT_EQ(client.http_status(), 200) << printable(client.http_response());
    EXPECT_TRUE(client.wait_settled(20s)) << client.describe();
    EXPECT_TRUE(client.wait_disconnected(10s)) << client.describe();
    EXPECT_FALSE(client.initialized()) << client.describe();
    EXPECT_TRUE(client.auth_failed()) << client.describe();
    return client.auth_failure_reason();
  }

  // An unauthenticated client: CONNECT, read the 200 and the RFB greeting,
  // then hang up.
  void connect_only(const std::string &console) {
    RawSocket s;
    std::string error, received;
    ASSERT_TRUE(s.connect(daemon_.gateway_port(), error)) << error;
    ASSERT_TRUE(s.send("CONNECT /console/" + console + " HTTP/1.1\r\n\r\n", error)) << error;
    ASSERT_TRUE(s.read_until("RFB 003.008\n", received, 5000)) << printable(received);
    EXPECT_TRUE(received.starts_with("HTTP/1.1 200 ")) << printable(received);
  }

  // A full gtk-vnc session on `console` through the gateway port, closed
  // by the client once the first full update arrived.
  void run_session(const std::string &console) {
    GvncClient client(via_gateway(console));
    std::string error;
    ASSERT_TRUE(client.open(error)) << error;
    ASSERT_TRUE(client.wait_full_update(20s)) << client.describe();
    client.close();
    ASSERT_TRUE(client.disconnected());
  }
};

std::string field(const AuditRecord &a, const std::string &key) {
  auto it = a.find(key);
  return it == a.end() ? std::string("<missing>") : it->second;
}

TEST_F(ConsoleLifecycleTest, MkvtermFailureIsASecurityResultAfterLogin) {
  const int lpar = 9;
  fake_.set_mode(lpar, "fail");
  fake_.set_failure_message(lpar, "HSCL9999 partition 9 is not activated (fake)");
  add_lpar_console("broken", lpar);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // CONNECT is answered 200 without running anything; the failure comes
  // after the login, as a reason the user can act on.
  const std::string reason = login_refused("broken");
  EXPECT_EQ(reason, "the console could not be opened");
  // The operator's detail stays on the operator's side.
  EXPECT_EQ(reason.find("HSCL9999"), std::string::npos) << reason;

  EXPECT_LOG(daemon_,
             "console broken: mkvterm --id 9 failed \\(exit 1\\):.*HSCL9999 partition 9 is not "
             "activated",
             5s);
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_TRUE(field(*audit, "end").starts_with("console unavailable")) << to_string(*audit);
  EXPECT_NE(field(*audit, "end").find("HSCL9999"), std::string::npos)
      << "the audit lacks the operator's detail: " << to_string(*audit);
  EXPECT_EQ(field(*audit, "console"), "broken") << to_string(*audit);
  EXPECT_TRUE(std::regex_match(field(*audit, "user"), std::regex("alice(@.*)?")))
      << to_string(*audit);
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1);
  EXPECT_EQ(fake_.rmvterm_calls(lpar), 0);
}

TEST_F(ConsoleLifecycleTest, UnauthenticatedConnectsRunNoMkvterm) {
  const int lpar = 11;
  fake_.set_mode(lpar, "fail");
  add_lpar_console("failing", lpar);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // 20 clients that never log in, and one that logs in with a wrong password.
  for (int i = 0; i < 20; ++i) ASSERT_NO_FATAL_FAILURE(connect_only("failing"));
  GvncClient guesser(via_gateway("failing", "alice", "not-the-password"));
  std::string error;
  ASSERT_TRUE(guesser.open(error)) << error;
  ASSERT_TRUE(guesser.wait_settled(10s)) << guesser.describe();
  ASSERT_TRUE(guesser.wait_disconnected(10s)) << guesser.describe();
  EXPECT_NE(guesser.auth_failure_reason(), "the console could not be opened");

  ASSERT_TRUE(daemon_.wait_for_audit(10s, 21)) << daemon_.log();
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 0) << "mkvterm ran for a client that never logged in";
  EXPECT_EQ(daemon_.count_log(std::regex("console failing: opening with mkvterm.*")), 0);
}

TEST_F(ConsoleLifecycleTest, UnauthenticatedConnectNeverResetsAForcedConsole) {
  const int lpar = 12;
  fake_.set_mode(lpar, "busy-other");  // someone's console session, opened out of band
  add_lpar_console("forced-idle", lpar);
  console_key("forced-idle", "force", "true");
  console_key("forced-idle", "allowed-users", "bob");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  ASSERT_NO_FATAL_FAILURE(connect_only("forced-idle"));
  // A logged-in user who is not allowed on the console does not reset it either.
  EXPECT_NE(login_refused("forced-idle"), "the console could not be opened");
  ASSERT_TRUE(daemon_.wait_for_audit(10s, 2)) << daemon_.log();
  EXPECT_EQ(fake_.calls(), std::vector<std::string>{})
      << "mkvterm/rmvterm ran for a client that was not authorized";
}

TEST_F(ConsoleLifecycleTest, HangingMkvtermIsKilledAtItsTimeout) {
  const int lpar = 10;
  fake_.set_mode(lpar, "hang");
  add_lpar_console("stuck", lpar);
  daemon_.config().set("gateway", "mkvterm-timeout", "1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  EXPECT_EQ(login_refused("stuck"), "the console could not be opened");
  EXPECT_LOG(daemon_, "console stuck: mkvterm --id 10 failed \\(timed out\\).*", 5s);

  // The hanging mkvterm does not outlive its timeout.
  const std::string pid_text = read_file(fake_.dir() + "/lpar-10.hang-pid");
  ASSERT_FALSE(pid_text.empty());
  const pid_t pid = std::stoi(pid_text);
  EXPECT_TRUE(wait_until([&] { return kill(pid, 0) != 0; }, 5000ms))
      << "mkvterm (pid " << pid << ") still running after mkvterm-timeout";
  if (kill(pid, 0) == 0) kill(pid, SIGKILL);
}

TEST_F(ConsoleLifecycleTest, ChattyMkvtermStillOpensTheConsole) {
  const int lpar = 13;
  fake_.set_noise(lpar, 300 * 1024);  // far more than a pipe holds
  add_lpar_console("chatty", lpar);
  daemon_.config().set("gateway", "mkvterm-timeout", "10");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(run_session("chatty"));
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1);
  EXPECT_LOG(daemon_, "console chatty: vterm open on 127\\.0\\.0\\.1:[0-9]+", 2s);
}

TEST_F(ConsoleLifecycleTest, MkvtermStderrIsLoggedInEveryFailure) {
  // Exit 0 without a port, with a message on stderr.
  fake_.set_mode(14, "no-port");
  fake_.set_failure_message(14, "HSCL4444 no port \xff\xe2\x80\xa8 for you");
  add_lpar_console("noport", 14);
  // A failure with a flood of stderr: logged, bounded, one line.
  fake_.set_mode(15, "fail");
  fake_.set_noise(15, 200 * 1024);
  add_lpar_console("loud", 15);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  EXPECT_EQ(login_refused("noport"), "the console could not be opened");
  // Sanitized: the invalid byte and the line separator are escaped.
  EXPECT_LOG(daemon_,
             "console noport: mkvterm --id 14 failed \\(exit 0\\) but printed no port.*"
             "HSCL4444 no port \\\\xff\\\\u2028 for you.*",
             5s);
  EXPECT_EQ(login_refused("loud"), "the console could not be opened");
  auto line = daemon_.wait_for_log(
      std::regex(".*console loud: mkvterm --id 15 failed \\(exit 1\\): .*HSCL1234.*"), 5s);
  ASSERT_TRUE(line) << daemon_.log();
  EXPECT_LT(line->size(), 2000u) << "stderr not bounded in the log line";
  const std::string log = daemon_.log();
  EXPECT_TRUE(g_utf8_validate(log.data(), static_cast<gssize>(log.size()), nullptr))
      << "the log is not valid UTF-8";
  EXPECT_EQ(log.find("\xe2\x80\xa8"), std::string::npos) << "U+2028 reached the log";
}

TEST_F(ConsoleLifecycleTest, IdleCloseRunsRmvtermOnceAfterTheGrace) {
  const int lpar = 21;
  add_lpar_console("idle1", lpar);
  daemon_.config().set("gateway", "idle-close", "1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  ASSERT_NO_FATAL_FAILURE(run_session("idle1"));
  const auto ended = Clock::now();
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1);

  ASSERT_TRUE(wait_until([&] { return fake_.rmvterm_calls(lpar) >= 1; }, 6000ms))
      << "no rmvterm within 6 s of the last session (idle-close=1)";
  const double after = elapsed_ms(ended);
  // GLib's second-granularity timers may fire up to 250 ms early.
  EXPECT_GE(after, 700) << "rmvterm ran before the 1 s grace period";
  EXPECT_LE(after, 4000);
  EXPECT_LOG(daemon_, "console idle1: idle, closing with rmvterm", 2s);
  EXPECT_TRUE(wait_until([&] { return !fake_.vterm_open(lpar); }, 3000ms));

  // Exactly once: nothing more after another two grace periods.
  EXPECT_FALSE(wait_until([&] { return fake_.rmvterm_calls(lpar) > 1; }, 2000ms))
      << "rmvterm ran again";
  EXPECT_EQ(fake_.rmvterm_calls(lpar), 1);

  // The next session opens the console again.
  ASSERT_NO_FATAL_FAILURE(run_session("idle1"));
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 2);
}

TEST_F(ConsoleLifecycleTest, NewSessionInsideTheGraceCancelsTheClose) {
  const int lpar = 22;
  add_lpar_console("idle2", lpar);
  daemon_.config().set("gateway", "idle-close", "2");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  ASSERT_NO_FATAL_FAILURE(run_session("idle2"));
  // A second session right away, well inside the 2 s grace period...
  GvncClient second(via_gateway("idle2"));
  std::string error;
  ASSERT_TRUE(second.open(error)) << error;
  ASSERT_TRUE(second.wait_full_update(10s)) << second.describe();
  // ...keeps the console open past the end of the grace period.
  EXPECT_FALSE(wait_until([&] { return fake_.rmvterm_calls(lpar) > 0; }, 3000ms))
      << "rmvterm ran although a session was open";
  EXPECT_TRUE(second.refresh(10s))
      << "session broken after the grace period: " << second.describe();
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1) << "the second session did not reuse the vterm";
  EXPECT_TRUE(fake_.vterm_open(lpar));

  // When it ends, the close comes after a full grace period, once.
  second.close();
  const auto ended = Clock::now();
  ASSERT_TRUE(wait_until([&] { return fake_.rmvterm_calls(lpar) >= 1; }, 8000ms));
  EXPECT_GE(elapsed_ms(ended), 1700) << "rmvterm ran before the 2 s grace period";
  EXPECT_FALSE(wait_until([&] { return fake_.rmvterm_calls(lpar) > 1; }, 1000ms));
  EXPECT_EQ(daemon_.count_log(std::regex("console idle2: idle, closing with rmvterm")), 1);
}

TEST_F(ConsoleLifecycleTest, ConcurrentFirstConnectionsOpenMkvtermOnce) {
  const int lpar = 23;
  fake_.set_delay(lpar, 1.0);  // all CONNECTs arrive while mkvterm works
  add_lpar_console("busy", lpar);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  std::vector<std::unique_ptr<GvncClient>> clients;
  std::string error;
  for (int i = 0; i < 4; ++i) {
    clients.push_back(std::make_unique<GvncClient>(via_gateway("busy")));
    ASSERT_TRUE(clients.back()->send_preamble(error)) << error;
  }
  for (auto &c : clients) ASSERT_TRUE(c->start(error)) << error;
  for (auto &c : clients) EXPECT_TRUE(c->wait_full_update(20s)) << c->describe();
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1);
  EXPECT_EQ(daemon_.count_log(std::regex("console busy: opening with mkvterm")), 1);
}

TEST_F(ConsoleLifecycleTest, VtermAlreadyOpenAsVncIsUsed) {
  const int lpar = 24;
  fake_.set_mode(lpar, "busy-vnc");  // exit 3, port on stdout
  add_lpar_console("open", lpar);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_NO_FATAL_FAILURE(run_session("open"));
  EXPECT_EQ(fake_.mkvterm_calls(lpar), 1);
}

TEST_F(ConsoleLifecycleTest, VtermOpenOutOfBandFailsWithoutForce) {
  const int lpar = 25;
  fake_.set_mode(lpar, "busy-other");  // exit 3, no port
  add_lpar_console("taken", lpar);
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  EXPECT_EQ(login_refused("taken"), "the console could not be opened");
  EXPECT_LOG(daemon_, "console taken: mkvterm --id 25.*set force=true to reset it", 5s);
  EXPECT_EQ(fake_.rmvterm_calls(lpar), 0) << "reset a vterm without force=true";
}

TEST_F(ConsoleLifecycleTest, VtermOpenOutOfBandIsResetWithForce) {
  const int lpar = 26;
  fake_.set_mode(lpar, "busy-other");
  add_lpar_console("forced", lpar);
  console_key("forced", "force", "true");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  ASSERT_NO_FATAL_FAILURE(run_session("forced"));
  const std::vector<std::string> expected = {"mkvterm --id 26 --vnc --local", "rmvterm --id 26",
                                             "mkvterm --id 26 --vnc --local"};
  EXPECT_EQ(fake_.calls(), expected);
}

}  // namespace
}  // namespace vncgate::it
