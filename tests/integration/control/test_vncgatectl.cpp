// vncgatectl against a running vncgated: link, consoles, sessions, kill,
// revoke over the control socket (tables by default, --json for scripts),
// the HTTPS API with --url/--auth-user/--password-file/--cacert, and its
// exit statuses (0 done, 1 refused, 2 usage, 3 unreachable).
#include <regex>
#include <sstream>

#include "control_test.h"
#include "raw_socket.h"
#include "wait.h"

namespace vncgate::it {
namespace {

class VncgatectlTest : public ControlTest {
 protected:
  std::vector<std::string> sock(std::vector<std::string> args) const {
    args.insert(args.begin(), {"--socket", socket_});
    return args;
  }
  // The row of a table whose first column is `key`; empty if none.
  static std::vector<std::string> row(const std::string &table, const std::string &key) {
    std::istringstream in(table);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream words(line);
      std::vector<std::string> cols;
      std::string w;
      while (words >> w) cols.push_back(w);
      if (!cols.empty() && cols[0] == key) return cols;
    }
    return {};
  }
};

TEST_F(VncgatectlTest, LinkConsolesSessionsKillRevokeOverTheSocket) {
  XvncBackend &backend = add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // link: the URL on stdout, the token id and expiry on stderr.
  CtlResult r = ctl(sock({"link", "static1", "--user", "alice", "--ttl", "60"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  std::smatch m;
  const std::string url = r.out.substr(0, r.out.find('\n'));
  ASSERT_TRUE(std::regex_match(
      url, m,
      std::regex("vncgate://gw\\.example\\.test:" + std::to_string(daemon_.gateway_port()) +
                 "/console/static1\\?token=([A-Za-z0-9_-]{22,})")))
      << r.describe();
  const std::string token = m[1];
  ASSERT_TRUE(std::regex_search(r.err, m, std::regex("token ([A-Za-z0-9_-]+), valid until (\\S+)")))
      << r.describe();
  const std::string token_id = m[1];
  EXPECT_TRUE(parse_iso8601(m[2])) << r.describe();

  Link link;
  link.console = "static1";
  link.token = token;
  link.token_id = token_id;
  GvncClient client(via_link(link));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
  EXPECT_EQ(client.desktop_name(), backend.desktop_name());

  // consoles: a table, and JSON with --json.
  r = ctl(sock({"consoles"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.out.starts_with("CONSOLE")) << r.out;
  EXPECT_NE(r.out.find("KIND"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("STATE"), std::string::npos) << r.out;
  auto cols = row(r.out, "static1");
  ASSERT_GE(cols.size(), 4u) << r.out;
  EXPECT_EQ(cols[1], "static") << r.out;
  EXPECT_EQ(cols[2], "open") << r.out;
  EXPECT_EQ(cols[3], "1") << r.out;
  r = ctl(sock({"--json", "consoles"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Json consoles = Json::parse(r.out);
  ASSERT_TRUE(consoles.is_array()) << r.out;
  ASSERT_EQ(consoles.size(), 1u) << r.out;
  EXPECT_EQ(consoles.at(0).str("name").value_or(""), "static1");

  // A second session through a reusable link made with --json.
  r = ctl(sock({"--json", "link", "static1", "--reusable", "--ttl=120"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Json minted = Json::parse(r.out);
  ASSERT_TRUE(minted.is_object()) << r.describe();
  Link second_link;
  second_link.token_id = minted.str("token_id").value_or("");
  const std::string second_url = minted.str("url").value_or("");
  second_link.console = "static1";
  second_link.token = second_url.substr(second_url.find("?token=") + 7);
  auto expires = parse_iso8601(minted.str("expires_at").value_or(""));
  ASSERT_TRUE(expires) << r.out;
  EXPECT_NEAR(static_cast<double>(*expires - unix_now()), 120.0, 3.0);
  Json tokens = Json::parse(read_file(state_dir_ + "/tokens.json"));
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (tokens.at(i).str("id") == second_link.token_id) {
      EXPECT_EQ(tokens.at(i).boolean("one_time"), std::optional<bool>(false)) << tokens.text();
    }
  }
  GvncClient second(via_link(second_link, "bob", kBobPassword));
  ASSERT_TRUE(second.open(error)) << error;
  ASSERT_TRUE(second.wait_initialized(15s)) << second.describe();

  // sessions: a table, and JSON with the token ids.
  r = ctl(sock({"sessions"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.out.starts_with("ID")) << r.out;
  r = ctl(sock({"sessions", "--json"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  Json sessions = Json::parse(r.out);
  ASSERT_EQ(sessions.size(), 2u) << r.out;
  std::string alice_id, bob_id;
  for (size_t i = 0; i < sessions.size(); ++i) {
    Json s = sessions.at(i);
    if (s.str("token_id") == token_id) alice_id = s.str("id").value_or("");
    if (s.str("token_id") == second_link.token_id) bob_id = s.str("id").value_or("");
  }
  ASSERT_FALSE(alice_id.empty()) << r.out;
  ASSERT_FALSE(bob_id.empty()) << r.out;
  r = ctl(sock({"sessions"}));
  cols = row(r.out, alice_id);
  ASSERT_GE(cols.size(), 6u) << r.out;
  EXPECT_EQ(cols[2], "static1") << r.out;
  EXPECT_TRUE(std::regex_match(cols[3], std::regex("alice(@VNCGATE\\.TEST)?"))) << r.out;
  EXPECT_EQ(cols[4], "DIGEST-MD5") << r.out;
  EXPECT_EQ(cols[5], "relaying") << r.out;

  // kill ends alice's session.
  r = ctl(sock({"kill", alice_id}));
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_NE(r.out.find("session ended"), std::string::npos) << r.describe();
  EXPECT_TRUE(client.wait_disconnected(5s)) << client.describe();
  EXPECT_TRUE(second.refresh(10s)) << second.describe();

  // revoke ends bob's, which came through the reusable link.
  r = ctl(sock({"revoke", second_link.token_id}));
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  Json revoked = Json::parse(r.out);
  EXPECT_EQ(revoked.integer("sessions_ended").value_or(-1), 1) << r.describe();
  EXPECT_TRUE(second.wait_disconnected(2s)) << second.describe();
  EXPECT_EQ(connect_status("static1?token=" + second_link.token), 404);

  // Refusals: exit 1 with the daemon's reason.
  r = ctl(sock({"kill", alice_id}));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("no such session"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("404"), std::string::npos) << r.describe();
  r = ctl(sock({"kill", "abc"}));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("invalid session id"), std::string::npos) << r.describe();
  r = ctl(sock({"revoke", "no-such-token"}));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("no such token"), std::string::npos) << r.describe();
  r = ctl(sock({"link", "nope"}));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("unknown console nope"), std::string::npos) << r.describe();
  r = ctl(sock({"link", "static1", "--ttl", "0"}));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("ttl"), std::string::npos) << r.describe();
  r = ctl(sock({"--json", "link", "nope"}));
  EXPECT_EQ(r.exit_code, 1) << r.describe();
}

TEST_F(VncgatectlTest, UsageErrorsAndAnUnreachableDaemon) {
  // No daemon at all.
  CtlResult r = ctl({"--socket", dir_.file("nothing-here.sock"), "consoles"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
  EXPECT_NE(r.err.find("cannot reach vncgated"), std::string::npos) << r.describe();
  EXPECT_TRUE(r.out.empty()) << r.describe();
  r = ctl({"--socket", dir_.file("nothing-here.sock"), "link", "static1"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();

  for (const auto &args : std::vector<std::vector<std::string>>{{},
                                                                {"link"},
                                                                {"frobnicate"},
                                                                {"kill"},
                                                                {"kill", "1", "2"},
                                                                {"revoke"},
                                                                {"consoles", "extra"},
                                                                {"link", "static1", "--bogus"},
                                                                {"--socket"},
                                                                {"passwd", "someone"}}) {
    std::string joined;
    for (const auto &a : args) joined += a + " ";
    SCOPED_TRACE(joined);
    r = ctl(args);
    EXPECT_EQ(r.exit_code, 2) << r.describe();
    EXPECT_FALSE(r.err.empty()) << r.describe();
  }
  r = ctl({"--version"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.out.starts_with("vncgatectl ")) << r.describe();
  r = ctl({"--help"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
}

TEST_F(VncgatectlTest, OverHttpsWithBasicAuth) {
  const std::string pki_dir = dir_.subdir("pki");
  TestPki pki = make_test_pki(pki_dir);
  const uint16_t port = free_loopback_port();
  const std::string users = dir_.file("api-users");
  CommandResult set = vncgatectl({"passwd", "webui", "--users-file", users}, "s3cret pass\n");
  ASSERT_EQ(set.exit_code, 0) << set.output;
  daemon_.config()
      .set("control", "listen", "127.0.0.1:" + std::to_string(port))
      .set("control", "cert", pki.server_cert)
      .set("control", "key", pki.server_key)
      .set("control", "users-file", users)
      .set("console:static1", "backend", "127.0.0.1:1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string url = "https://127.0.0.1:" + std::to_string(port);
  const std::string good = dir_.write("good.pw", "s3cret pass\n");
  const std::string bad = dir_.write("bad.pw", "wrong\n");

  CtlResult r = ctl({"--url", url, "--cacert", pki.ca_cert, "--auth-user", "webui",
                     "--password-file", good, "--json", "consoles"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(Json::parse(r.out).size(), 1u) << r.out;
  r = ctl({"--url", url, "--cacert", pki.ca_cert, "--auth-user", "webui", "--password-file", good,
           "link", "static1", "--user", "alice"});
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.out.starts_with("vncgate://gw.example.test:")) << r.describe();

  r = ctl({"--url", url, "--cacert", pki.ca_cert, "--auth-user", "webui", "--password-file", bad,
           "consoles"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("access denied"), std::string::npos) << r.describe();
  r = ctl({"--url", url, "--cacert", pki.ca_cert, "consoles"});
  EXPECT_EQ(r.exit_code, 1) << r.describe();
  EXPECT_NE(r.err.find("access denied"), std::string::npos) << r.describe();
  // The server certificate is verified: another CA is not enough.
  r = ctl({"--url", url, "--cacert", pki.rogue_ca_cert, "--auth-user", "webui", "--password-file",
           good, "consoles"});
  EXPECT_EQ(r.exit_code, 3) << r.describe();
}

}  // namespace
}  // namespace vncgate::it
