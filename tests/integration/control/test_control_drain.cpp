// Drain (issue 14 point 3): PUT/DELETE /v1/drain and vncgatectl drain /
// undrain. A drained gateway keeps its running sessions flowing, refuses
// every new client in the client's protocol with "gateway draining" (503 to
// the CONNECT, an RFB refusal on a console's own port) without spending its
// link, says "draining" with 503 on /v1/health (also on the plain-HTTP
// [control] health-listen a load balancer checks), shows it in /metrics,
// and stays drained across a reload.
#include <csignal>
#include <regex>

#include "control_test.h"
#include "raw_socket.h"

namespace vncgate::it {
namespace {

class DrainTest : public ControlTest {
 protected:
  DrainTest() {
    health_port_ = free_loopback_port();
    daemon_.config().set("control", "health-listen", "127.0.0.1:" + std::to_string(health_port_));
  }

  // GET /v1/health on the health listener: plain HTTP, no credentials.
  HttpReply health(const std::string &method = "GET", const std::string &path = "/v1/health") {
    HttpRequest r;
    r.method = method;
    r.url = "http://127.0.0.1:" + std::to_string(health_port_) + path;
    return curl(dir_, r);
  }

  // A raw RFB 3.8 client on a console's own port: what the server sent
  // until it closed.
  static std::string rfb_refusal(uint16_t port) {
    RawSocket s;
    std::string error, got;
    EXPECT_TRUE(s.connect(port, error)) << error;
    EXPECT_TRUE(s.read_exact(12, got, 5000)) << got;
    EXPECT_TRUE(s.send("RFB 003.008\n", error)) << error;
    EXPECT_EQ(s.read_until_closed(got, 5000), RawSocket::End::Eof) << got;
    return got;
  }

  uint16_t health_port_ = 0;
};

TEST_F(DrainTest, RunningSessionsFlowNewClientsAreRefusedHealthSaysDraining) {
  add_static_console("static1");
  const uint16_t console_port = free_loopback_port();
  console_key("static1", "port", std::to_string(console_port));
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // Not drained: health is "ok" on both listeners; the anonymous one tells
  // the status alone.
  HttpReply h = health();
  ASSERT_EQ(h.status, 200) << h.describe();
  EXPECT_EQ(Json::parse(h.body).str("status").value_or(""), "ok") << h.body;
  EXPECT_FALSE(Json::parse(h.body).has("version")) << h.body;
  EXPECT_FALSE(Json::parse(h.body).has("sessions")) << h.body;
  EXPECT_EQ(health("GET", "/v1/sessions").status, 404) << "health-listen serves health only";
  EXPECT_EQ(health("PUT", "/v1/drain").status, 404) << "health-listen serves health only";
  EXPECT_EQ(metrics().value("vncgate_draining"), 0.0);

  GvncClient running(via_gateway("static1"));
  std::string error;
  ASSERT_TRUE(running.open(error)) << error;
  ASSERT_TRUE(running.wait_full_update(15s)) << running.describe();
  const Link unused = mint("static1", "alice");
  ASSERT_EQ(unused.status, 201) << unused.body;

  HttpReply d = api("PUT", "/v1/drain");
  ASSERT_EQ(d.status, 200) << d.describe();
  EXPECT_EQ(Json::parse(d.body).boolean("draining"), true) << d.body;
  EXPECT_EQ(Json::parse(d.body).integer("sessions"), 1) << d.body;
  EXPECT_LOG(daemon_, ".*draining: new clients are refused, 1 running sessions continue.*", 5000ms);

  h = health();
  EXPECT_EQ(h.status, 503) << h.describe();
  EXPECT_EQ(Json::parse(h.body).str("status").value_or(""), "draining") << h.body;
  h = api("GET", "/v1/health");
  EXPECT_EQ(h.status, 503) << h.describe();
  EXPECT_EQ(Json::parse(h.body).str("status").value_or(""), "draining") << h.body;
  EXPECT_EQ(Json::parse(h.body).integer("sessions"), 1) << h.body;
  EXPECT_EQ(metrics().value("vncgate_draining"), 1.0);

  // The running session still gets its screen.
  EXPECT_TRUE(running.refresh(10s)) << running.describe();

  // A new client on the gateway port: 503 with the reason, a log line, an
  // audit record; its link is not spent.
  GvncOptions late = via_link(unused);
  GvncClient refused(late);
  EXPECT_FALSE(refused.open(error));
  EXPECT_EQ(refused.http_status(), 503) << refused.describe();
  EXPECT_EQ(refused.http_status_line(), "HTTP/1.1 503 Gateway Draining") << refused.describe();
  EXPECT_LOG(
      daemon_,
      ".*session [0-9]+: refused 127\\.0\\.0\\.1:[0-9]+ for console static1: gateway draining",
      5000ms);
  // On the console's own port: the RFB refusal in place of the security
  // types (u8 0, u32 length, reason).
  const std::string got = rfb_refusal(console_port);
  const std::string reason = "gateway draining";
  const std::string want = std::string("RFB 003.008\n") + '\0' + std::string("\0\0\0", 3) +
                           static_cast<char>(reason.size()) + reason;
  EXPECT_EQ(got, want);
  bool seen_draining = false;
  for (const auto &a : daemon_.audits())
    seen_draining |= a.at("end") == "refused: gateway draining";
  EXPECT_TRUE(seen_draining);
  EXPECT_GE(metrics().value("vncgate_handshakes_total", {{"result", "draining"}}).value_or(0), 2.0);

  // Drained across a reload.
  ASSERT_TRUE(daemon_.send_signal(SIGHUP));
  EXPECT_LOG(daemon_, ".*configuration reloaded.*", 5000ms);
  EXPECT_EQ(health().status, 503);
  EXPECT_TRUE(running.refresh(10s)) << running.describe();

  // Undrained: the link refused while draining still opens the console.
  d = api("DELETE", "/v1/drain");
  ASSERT_EQ(d.status, 200) << d.describe();
  EXPECT_EQ(Json::parse(d.body).boolean("draining"), false) << d.body;
  EXPECT_EQ(health().status, 200);
  EXPECT_EQ(metrics().value("vncgate_draining"), 0.0);
  GvncClient after(via_link(unused));
  ASSERT_TRUE(after.open(error)) << error;
  EXPECT_TRUE(after.wait_full_update(15s)) << after.describe();
}

TEST_F(DrainTest, VncgatectlDrainAndUndrain) {
  daemon_.config().set("console:static1", "backend", "127.0.0.1:1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::vector<std::string> sock = {"--socket", socket_};
  auto with = [&](std::vector<std::string> args) {
    args.insert(args.begin(), sock.begin(), sock.end());
    return args;
  };

  CtlResult r = ctl(with({"drain"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(r.out, "draining: new clients are refused, 0 sessions still running\n") << r.describe();
  EXPECT_EQ(health().status, 503);
  EXPECT_EQ(connect_status("static1"), 503);
  r = ctl(with({"drain"}));  // idempotent
  EXPECT_EQ(r.exit_code, 0) << r.describe();

  r = ctl(with({"--json", "undrain"}));
  ASSERT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_EQ(Json::parse(r.out).boolean("draining"), false) << r.out;
  EXPECT_EQ(health().status, 200);
  r = ctl(with({"undrain", "extra"}));
  EXPECT_EQ(r.exit_code, 2) << r.describe();

  // A restart ends a drain.
  ASSERT_EQ(ctl(with({"drain"})).exit_code, 0);
  ASSERT_TRUE(daemon_.terminate().has_value());
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_EQ(health().status, 200);
}

}  // namespace
}  // namespace vncgate::it
