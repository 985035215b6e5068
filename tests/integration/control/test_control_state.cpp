// State-dir failures fail closed, and what clients sent comes out clean
// (issue 11, points 6 and 5): a link that cannot be saved is not minted
// (503), a one-time link whose use cannot be saved opens no session (the
// client gets a reason, the operator a log line), a revocation that cannot
// be saved says so; a user name with invalid UTF-8 and U+2028 keeps
// GET /v1/sessions valid UTF-8 JSON, and vncgatectl refuses (exit 4) a
// reply it cannot understand.
//
// "Cannot be saved" is made as root can feel it: tokens.json replaced by a
// directory, so the rename of the freshly written temporary file fails
// (a read-only mode would not stop root, and mounting a full tmpfs needs
// privileges a test does not have). The daemon sees the same failure of
// g_file_set_contents_full() as on a full disk.
#include <glib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <regex>

#include "control_test.h"
#include "hostile_clients.h"
#include "rfb_test_client.h"
#include "wait.h"

namespace vncgate::it {
namespace {

using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

class ControlStateTest : public ControlTest {
 protected:
  // A console nobody can reach: enough where no session opens.
  void add_unreachable_console() {
    daemon_.config().set("console:static1", "backend", "127.0.0.1:1");
  }

  std::string tokens_file() const { return state_dir_ + "/tokens.json"; }
  void break_state() {
    std::filesystem::remove(tokens_file());
    std::filesystem::create_directory(tokens_file());
    std::filesystem::create_directory(tokens_file() + "/keep");  // not removable by rename
  }
  void repair_state() { std::filesystem::remove_all(tokens_file()); }

  // CONNECT with the link, SASL as `user`, and the SecurityResult.
  struct Login {
    int connect_status = 0;
    bool result_read = false;
    bool ok = false;
    std::string reason, error;
  };
  Login login(const Link &link, const std::string &user, const std::string &password) {
    Login out;
    RfbSaslTestClient c(5000);
    if (!c.connect("127.0.0.1", daemon_.gateway_port())) {
      out.error = c.error();
      return out;
    }
    out.connect_status = c.http_connect("/console/" + link.console + "?token=" + link.token);
    if (out.connect_status != 200) return out;
    SaslClientOptions o;
    o.authname = user;
    o.password = password;
    if (!c.exchange_version(8) || !c.read_security_types() || !c.choose_security_type(20)) {
      out.error = c.error();
      return out;
    }
    c.sasl_authenticate(o);
    auto result = c.read_security_result();
    if (!result) {
      out.error = c.error();
      return out;
    }
    out.result_read = true;
    out.ok = result->ok();
    out.reason = result->reason;
    return out;
  }
};

TEST_F(ControlStateTest, MintingAnswers503WhenTheTokenCannotBeSaved) {
  add_unreachable_console();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link first = mint("static1");
  ASSERT_EQ(first.status, 201) << first.body;

  break_state();
  Link refused = mint("static1");
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_TRUE(refused.url.empty()) << refused.body;
  EXPECT_NE(Json::parse(refused.body).str("error").value_or("").find("state directory"),
            std::string::npos)
      << refused.body;
  EXPECT_TRUE(daemon_.wait_for_log(std::regex(".*no link minted for console static1.*"), 5s))
      << daemon_.log();
  CtlResult ctl_r = ctl({"--socket", socket_, "link", "static1"});
  EXPECT_EQ(ctl_r.exit_code, 1) << ctl_r.describe();
  EXPECT_TRUE(ctl_r.out.empty()) << ctl_r.describe();

  // A revocation that cannot be saved holds for now and says so.
  HttpReply r = api("DELETE", "/v1/tokens/" + first.token_id);
  EXPECT_EQ(r.status, 503) << r.describe();
  EXPECT_EQ(connect_status("static1?token=" + first.token), 404) << "revoked for this run";

  repair_state();
  Link again = mint("static1");
  EXPECT_EQ(again.status, 201) << again.body;
  // Saved now: the refused mint left nothing behind, the revocation is kept.
  Json saved = Json::parse(read_file(tokens_file()));
  ASSERT_TRUE(saved.is_array()) << saved.text();
  EXPECT_EQ(saved.size(), 2u) << saved.text();
}

TEST_F(ControlStateTest, OneTimeLinkWhoseUseCannotBeRecordedOpensNoSession) {
  // A real console: the token is used up once the backend answers, just
  // before the SecurityResult.
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint("static1", "alice", 300, true);
  ASSERT_EQ(link.status, 201) << link.body;

  break_state();
  Login l = login(link, "alice", kAlicePassword);
  ASSERT_EQ(l.connect_status, 200) << l.error;
  ASSERT_TRUE(l.result_read) << l.error;
  EXPECT_FALSE(l.ok) << "a session opened with a link whose use was not saved";
  EXPECT_NE(l.reason.find("could not be recorded"), std::string::npos) << l.reason;
  EXPECT_TRUE(daemon_.wait_for_log(
      std::regex(".*token " + link.token_id + " could not be recorded as used.*"), 5s))
      << daemon_.log();
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit) << daemon_.log();
  EXPECT_NE(to_string(*audit).find("token use not recorded"), std::string::npos)
      << to_string(*audit);

  // Used up in this run all the same.
  repair_state();
  EXPECT_EQ(connect_status("static1?token=" + link.token), 404);
}

TEST_F(ControlStateTest, InvalidUtf8UserNamesKeepTheSessionListValidJson) {
  add_unreachable_console();
  daemon_.config().set("sasl", "auth-failure-delay", "3");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  // A failed login as a user named with a stray byte, an overlong '/', a
  // U+2028 and an escape sequence; listed during the failure delay.
  const std::string hostile =
      "ev\xff"
      "il\xc0\xaf\xe2\x80\xa8x\x1b[2J";
  std::thread attacker([&] {
    RfbSaslTestClient c(8000);
    if (!c.connect("127.0.0.1", daemon_.gateway_port())) return;
    if (c.http_connect("/console/static1") != 200) return;
    if (!c.exchange_version(8) || !c.read_security_types() || !c.choose_security_type(20)) return;
    SaslClientOptions o;
    o.authname = hostile;
    o.password = "wrong";
    c.sasl_authenticate(o);
    c.read_security_result();
  });
  HttpReply r;
  std::string user;
  bool seen = wait_until(
      [&] {
        r = api("GET", "/v1/sessions");
        Json j = Json::parse(r.body);
        for (size_t i = 0; j.is_array() && i < j.size(); ++i) {
          user = j.at(i).str("user").value_or("");
          if (!user.empty()) return true;
        }
        return false;
      },
      6s, 50ms);
  attacker.join();
  ASSERT_TRUE(seen) << r.describe() << "\n" << daemon_.log();
  EXPECT_TRUE(g_utf8_validate(r.body.data(), static_cast<gssize>(r.body.size()), nullptr))
      << r.describe();
  EXPECT_EQ(r.body.find("\xe2\x80\xa8"), std::string::npos) << "U+2028 unescaped: " << r.body;
  EXPECT_NE(r.body.find("\\u2028"), std::string::npos) << r.body;
  // Stray bytes are the text \xNN; U+2028 is the same character again.
  EXPECT_EQ(user, "ev\\xffil\\xc0\\xaf\xe2\x80\xa8x\x1b[2J") << r.body;
}

TEST_F(ControlStateTest, VncgatectlRefusesAReplyItCannotUnderstand) {
  const std::string fake_socket = dir_.file("fake.sock");
  struct Case {
    std::vector<std::string> command;
    std::string body;
  };
  const std::vector<Case> cases = {
      {{"sessions"}, "this is not JSON"},
      {{"sessions"}, R"({"not": "a list"})"},
      {{"consoles"}, "[1, 2, 3]"},
      {{"--json", "sessions"}, "[{\"user\": \"a\xff\"}]"},  // not UTF-8
      {{"link", "static1"}, R"({"token_id": "x"})"},        // no URL
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.body);
    const std::string body_file = dir_.write("body", c.body);
    Subprocess server;
    std::string error;
    SpawnOptions so;
    so.argv = {"python3",   http_clients_script(), "serve",  "--unix",
               fake_socket, "--body-file",         body_file};
    ASSERT_TRUE(server.start(so, error)) << error;
    ASSERT_TRUE(wait_until([&] { return access(fake_socket.c_str(), F_OK) == 0; }, 10s));
    std::vector<std::string> args = {"--socket", fake_socket};
    args.insert(args.end(), c.command.begin(), c.command.end());
    CtlResult r = ctl(args);
    EXPECT_EQ(r.exit_code, 4) << r.describe();
    EXPECT_NE(r.err.find("cannot understand the reply"), std::string::npos) << r.describe();
    EXPECT_TRUE(r.out.empty()) << r.describe();
    server.kill_and_reap();
    unlink(fake_socket.c_str());
  }
}

}  // namespace
}  // namespace vncgate::it
