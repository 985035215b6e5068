// Web links (kind "web") through the WebSocket front, spoken byte by byte:
// the link opens one RFB session whose identity is the link's user, the
// pixels are the backend's, a second use is refused with a reason for the
// page, a wrong Origin is refused before any upgrade, and the page and
// noVNC are served with the headers that keep the token private.
#include <regex>

#include "wait.h"
#include "web_test.h"

namespace vncgate::it {
namespace {

class WebLinkTest : public WebTest {};

TEST_F(WebLinkTest, WebLinkOpensOneSessionWithTheBackendsPixels) {
  XvncBackend &backend = add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint_web("static1");
  ASSERT_EQ(link.status, 201) << link.body;
  EXPECT_EQ(link.url.find("http://" + std::string(kPublicHost) + ":" + std::to_string(web_port_) +
                          "/console/static1#token="),
            0u)
      << link.url;
  ASSERT_FALSE(link.token.empty()) << link.url;

  // The reference: the pixel straight from Xvnc.
  RawSocket direct;
  std::string error;
  ASSERT_TRUE(direct.connect(backend.port(), error)) << error;
  TcpStream direct_stream(direct);
  auto direct_rfb = rfb_none_handshake(direct_stream, error);
  ASSERT_TRUE(direct_rfb) << error;
  auto expected = rfb_read_pixel(direct_stream, *direct_rfb, 10, 10, error);
  ASSERT_TRUE(expected) << error;

  {
    WsClient ws;
    ASSERT_NO_FATAL_FAILURE(open_ws(ws, "static1"));
    ASSERT_TRUE(ws.send_text(link.token));
    WsStream stream(ws);
    auto rfb = rfb_none_handshake(stream, error);
    ASSERT_TRUE(rfb) << error;
    EXPECT_EQ(rfb->desktop_name, backend.desktop_name());
    EXPECT_EQ(rfb->width, backend.width());
    auto pixel = rfb_read_pixel(stream, *rfb, 10, 10, error);
    ASSERT_TRUE(pixel) << error;
    EXPECT_EQ(*pixel, *expected);

    Json sessions = Json::parse(api("GET", "/v1/sessions").body);
    ASSERT_EQ(sessions.size(), 1u) << sessions.text();
    EXPECT_EQ(sessions.at(0).str("user").value_or(""), "alice") << sessions.text();
    EXPECT_EQ(sessions.at(0).str("token_id").value_or(""), link.token_id) << sessions.text();
    ws.send_frame(kWsClose, std::string("\x03\xe8", 2));
  }
  auto audit = daemon_.wait_for_audit(5s);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["user"], "alice") << to_string(*audit);
  EXPECT_EQ((*audit)["mechanism"], "web-token") << to_string(*audit);
  EXPECT_EQ((*audit)["token"], link.token_id) << to_string(*audit);
  EXPECT_TRUE((*audit)["client"].starts_with("127.0.0.1:")) << to_string(*audit);

  // The same one-time link again: refused, with a reason the page shows.
  WsClient again;
  ASSERT_NO_FATAL_FAILURE(open_ws(again, "static1"));
  ASSERT_TRUE(again.send_text(link.token));
  auto close = again.read_close(10000);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 4403);
  EXPECT_NE(close->close_reason().find("already used"), std::string::npos) << close->close_reason();
  EXPECT_LOG(daemon_, ".*presented an unusable token for console static1: token already used.*",
             5000ms);
  EXPECT_EQ(daemon_.log().find(link.token), std::string::npos) << "the secret was logged";
}

TEST_F(WebLinkTest, WrongOrNoOriginIsRefusedBeforeTheUpgrade) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  std::string error;
  {
    WsClient ws;
    EXPECT_EQ(ws.open(web_port_, "/ws/console/static1", "https://evil.example", error), 403)
        << error << ws.response();
  }
  EXPECT_LOG(daemon_, ".*refused a WebSocket from 127.0.0.1 with Origin 'https://evil.example'.*",
             5000ms);
  {
    WsClient ws;
    EXPECT_EQ(ws.open(web_port_, "/ws/console/static1", "", error), 403) << ws.response();
  }
  {
    WsClient ws;  // the right origin, an unknown console
    EXPECT_EQ(ws.open(web_port_, "/ws/console/nope", origin(), error), 404) << ws.response();
  }
}

TEST_F(WebLinkTest, AllowedOriginsAddOtherSites) {
  add_static_console("static1");
  daemon_.config().set("web", "allowed-origins", "https://portal.example");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  std::string error;
  WsClient ws;
  EXPECT_EQ(ws.open(web_port_, "/ws/console/static1", "https://portal.example", error), 101)
      << error << ws.response();
  WsClient other;
  EXPECT_EQ(other.open(web_port_, "/ws/console/static1", "https://other.example", error), 403)
      << other.response();
}

TEST_F(WebLinkTest, WebLinksMustNameAUser) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link anonymous = mint_json("static1", R"({"kind": "web"})");
  EXPECT_EQ(anonymous.status, 400) << anonymous.body;
  EXPECT_NE(anonymous.body.find("must name a 'user'"), std::string::npos) << anonymous.body;
  Link odd = mint_json("static1", R"({"kind": "telnet", "user": "alice"})");
  EXPECT_EQ(odd.status, 400) << odd.body;

  CtlResult r = ctl({"--socket", socket_, "link", "static1", "--web", "--user", "alice"});
  EXPECT_EQ(r.exit_code, 0) << r.describe();
  EXPECT_TRUE(r.out.starts_with("http://" + std::string(kPublicHost) + ":" +
                                std::to_string(web_port_) + "/console/static1#token="))
      << r.describe();
}

// Without a link: VeNCrypt Plain inside the WebSocket, checked by Cyrus
// against the sasldb, under the password-guessing limits.
TEST_F(WebLinkTest, PasswordLoginWithoutALinkIsCheckedAndCounted) {
  XvncBackend &backend = add_static_console("static1");
  console_key("static1", "allowed-users", "alice");
  daemon_.config().set("gateway", "guess-threshold", "3").set("sasl", "auth-failure-delay", "0");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  auto login = [&](const std::string &password, RfbSession *rfb = nullptr) {
    WsClient ws;
    open_ws(ws, "static1");
    ws.send_text("");
    WsStream stream(ws);
    return rfb_plain_login(stream, "alice", password, rfb);
  };
  RfbSession rfb;
  EXPECT_EQ(login(kAlicePassword, &rfb), "OK");
  EXPECT_EQ(rfb.desktop_name, backend.desktop_name());
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_TRUE((*audit)["user"].starts_with("alice")) << to_string(*audit);
  EXPECT_EQ((*audit)["mechanism"], "plain") << to_string(*audit);

  for (int i = 0; i < 3; ++i) EXPECT_EQ(login("guess"), "authentication failed");
  EXPECT_LOG(daemon_, ".*login limits: refusing 127\\.0\\.0\\.1 until .*", 5s);
  // Locked out: even the right password is refused before Cyrus is asked.
  std::string r = login(kAlicePassword);
  EXPECT_NE(r.find("too many failed logins from your address"), std::string::npos) << r;
  EXPECT_EQ(daemon_.log().find("guess"), std::string::npos) << "password in the log";
}

TEST_F(WebLinkTest, TextAfterTheTokenIsRefused) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  Link link = mint_web("static1");
  ASSERT_EQ(link.status, 201) << link.body;
  WsClient ws;
  ASSERT_NO_FATAL_FAILURE(open_ws(ws, "static1"));
  ASSERT_TRUE(ws.send_text(link.token));
  std::string version;
  ASSERT_TRUE(ws.read_binary(12, version, 10000));
  ASSERT_TRUE(ws.send_text("not RFB"));
  auto close = ws.read_close(10000);
  ASSERT_TRUE(close);
  EXPECT_EQ(close->close_code(), 1003);
  EXPECT_LOG(daemon_, ".*sent a text message after its token; closing.*", 5000ms);
}

TEST_F(WebLinkTest, PageAndNoVncAreServedWithoutLeakingTheToken) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string base = "http://127.0.0.1:" + std::to_string(web_port_);
  HttpRequest page;
  page.url = base + "/console/static1";
  HttpReply r = curl(dir_, page);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.body.find("/static/console.js"), std::string::npos) << r.body;
  EXPECT_EQ(r.header("Referrer-Policy"), "no-referrer");
  EXPECT_EQ(r.header("Cache-Control"), "no-store");
  EXPECT_NE(r.header("Content-Security-Policy").find("default-src 'self'"), std::string::npos);

  HttpRequest script;
  script.url = base + "/static/console.js";
  r = curl(dir_, script);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_NE(r.body.find("/novnc/core/rfb.js"), std::string::npos);

  HttpRequest novnc;
  novnc.url = base + "/novnc/core/rfb.js";
  r = curl(dir_, novnc);
  ASSERT_EQ(r.status, 200) << r.describe();
  EXPECT_EQ(r.header("Content-Type"), "text/javascript");

  for (const std::string path : {"/console/nope", "/novnc/../../../etc/passwd",
                                 "/novnc/%2e%2e/%2e%2e/etc/passwd", "/novnc/.hidden.js", "/"}) {
    HttpRequest bad;
    bad.url = base + path;
    bad.curl_args = {"--path-as-is"};
    EXPECT_EQ(curl(dir_, bad).status, 404) << path;
  }
}

}  // namespace
}  // namespace vncgate::it
