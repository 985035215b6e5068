// Real noVNC (Debian's, from /usr/share/novnc) in real headless Chromium:
// the page of a web link logs in and its canvas shows the backend's pixels
// (compared with a capture straight from Xvnc), the token leaves the
// address bar, and a second use of the link is refused with a message on
// the page; without a link noVNC asks for a user name and password (VeNCrypt
// Plain inside the WebSocket): a wrong one is refused on the page and
// counted, the right one shows the console; and a page on another origin
// cannot open the console's WebSocket. Chromium is driven through the DevTools protocol over its
// WebSocket (the raw client of ws_client.h); every wait is bounded.
#include <gio/gio.h>

#include <sstream>

#include "subprocess.h"
#include "wait.h"
#include "web_test.h"

namespace vncgate::it {
namespace {

std::string json_string(const std::string &s) {
  g_autoptr(JsonNode) n = json_node_new(JSON_NODE_VALUE);
  json_node_set_string(n, s.c_str());
  g_autofree gchar *text = json_to_string(n, FALSE);
  return text;
}

class Chromium {
 public:
  ~Chromium() { process_.kill_and_reap(); }

  bool start(const TempDir &dir, std::string &error) {
    const std::string bin = find_program("chromium");
    if (bin.empty()) {
      error = "chromium not installed";
      return false;
    }
    port_ = free_loopback_port();
    SpawnOptions o;
    o.argv = {bin,
              "--headless",
              "--no-sandbox",
              "--disable-gpu",
              "--no-first-run",
              "--disable-extensions",
              "--remote-debugging-address=127.0.0.1",
              "--remote-debugging-port=" + std::to_string(port_),
              "--user-data-dir=" + dir.file("chromium-profile"),
              "--window-size=1024,768",
              "about:blank"};
    o.stderr_path = dir.file("chromium.log");
    o.new_process_group = true;
    if (!process_.start(o, error)) return false;
    if (!wait_until([&] { return port_accepts(port_); }, 30000ms, 100ms)) {
      error = "Chromium's DevTools port did not open";
      return false;
    }
    return attach(dir, error);
  }

  // Runs `expression` in the page; its value as a string ("" on failure).
  std::string eval(const std::string &expression) {
    const int id = ++next_id_;
    ws_.send_text("{\"id\":" + std::to_string(id) +
                  ",\"method\":\"Runtime.evaluate\",\"params\":{\"expression\":" +
                  json_string(expression) + ",\"returnByValue\":true}}");
    return reply(id).member("result").member("result").str("value").value_or("");
  }

  bool navigate(const std::string &url) {
    const int id = ++next_id_;
    ws_.send_text("{\"id\":" + std::to_string(id) +
                  ",\"method\":\"Page.navigate\",\"params\":{\"url\":" + json_string(url) + "}}");
    return reply(id).ok();
  }

 private:
  bool attach(const TempDir &dir, std::string &error) {
    Json pages;
    wait_until(
        [&] {
          HttpRequest r;
          r.url = "http://127.0.0.1:" + std::to_string(port_) + "/json/list";
          pages = Json::parse(curl(dir, r).body);
          return pages.ok() && pages.size() > 0;
        },
        15000ms, 100ms);
    std::string ws_url;
    for (size_t i = 0; i < pages.size(); ++i)
      if (pages.at(i).str("type") == "page")
        ws_url = pages.at(i).str("webSocketDebuggerUrl").value_or("");
    const std::string prefix = "ws://127.0.0.1:" + std::to_string(port_);
    if (!ws_url.starts_with(prefix)) {
      error = "no page target: " + pages.text();
      return false;
    }
    if (ws_.open(port_, ws_url.substr(prefix.size()), "", error) != 101) {
      error = "DevTools WebSocket: " + error + ws_.response();
      return false;
    }
    return true;
  }

  Json reply(int id) {
    for (int frames = 0; frames < 1000; ++frames) {
      auto f = ws_.read_frame(15000);
      if (!f) break;
      Json j = Json::parse(f->payload);
      if (j.integer("id") == id) return j;
    }
    return Json::parse("");
  }

  Subprocess process_;
  uint16_t port_ = 0;
  WsClient ws_;
  int next_id_ = 0;
};

constexpr const char *kCanvasPixel =
    "(() => { const c = document.querySelector('#screen canvas');"
    " if (!c || !c.width) return '';"
    " const d = c.getContext('2d').getImageData(10, 10, 1, 1).data;"
    " return ((d[0] << 16) | (d[1] << 8) | d[2]).toString(16); })()";
constexpr const char *kStatus =
    "document.getElementById('status').dataset.state + ':' +"
    " document.getElementById('status').textContent";

class WebBrowserTest : public WebTest {};

TEST_F(WebBrowserTest, NoVncLogsInWithAWebLinkAndShowsTheConsole) {
  XvncBackend &backend = add_static_console("static1", 640, 480);
  // A colour no empty screen has, painted on the backend's root window.
  auto painted = run_command(
      {"xsetroot", "-display", ":" + std::to_string(backend.display()), "-solid", "#3366cc"}, "",
      10000ms);
  ASSERT_EQ(painted.exit_code, 0) << painted.output;
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  std::string error;
  RawSocket direct;
  ASSERT_TRUE(direct.connect(backend.port(), error)) << error;
  TcpStream direct_stream(direct);
  auto direct_rfb = rfb_none_handshake(direct_stream, error);
  ASSERT_TRUE(direct_rfb) << error;
  auto expected = rfb_read_pixel(direct_stream, *direct_rfb, 10, 10, error);
  ASSERT_TRUE(expected) << error;
  EXPECT_EQ(*expected, 0x3366ccu);
  std::ostringstream hex;
  hex << std::hex << *expected;

  Link link = mint_web("static1");
  ASSERT_EQ(link.status, 201) << link.body;
  // The link names the public host; the browser here reaches it on loopback.
  const std::string url = origin() + "/console/static1#token=" + link.token;

  Chromium browser;
  ASSERT_TRUE(browser.start(dir_, error)) << error;
  ASSERT_TRUE(browser.navigate(url));
  std::string status;
  EXPECT_TRUE(wait_until(
      [&] {
        status = browser.eval(kStatus);
        return status.starts_with("connected:") || status.starts_with("failed:");
      },
      30000ms, 100ms))
      << status;
  EXPECT_EQ(status, "connected:Connected to static1");
  std::string pixel;
  EXPECT_TRUE(wait_until(
      [&] {
        pixel = browser.eval(kCanvasPixel);
        return pixel == hex.str();
      },
      15000ms, 100ms))
      << "canvas " << pixel << ", backend " << hex.str();
  EXPECT_EQ(browser.eval("location.href"), origin() + "/console/static1")
      << "the token stayed in the address bar";

  // The same link in a fresh page: refused, and the page says why.
  ASSERT_TRUE(browser.navigate("about:blank"));
  ASSERT_TRUE(browser.navigate(url));
  EXPECT_TRUE(wait_until(
      [&] {
        status = browser.eval(kStatus);
        return status.starts_with("failed:");
      },
      30000ms, 100ms))
      << status;
  EXPECT_NE(status.find("already used"), std::string::npos) << status;
  EXPECT_EQ(daemon_.log().find(link.token), std::string::npos) << "the secret was logged";
}

// Fills the page's login form and submits it (noVNC asked for credentials).
std::string submit_login(const std::string &user, const std::string &password) {
  return "(() => { document.getElementById('user').value = " + json_string(user) +
         "; document.getElementById('password').value = " + json_string(password) +
         "; document.getElementById('login').requestSubmit(); return 'sent'; })()";
}

TEST_F(WebBrowserTest, NoVncPasswordLoginIsCheckedAndCountedAndAForeignOriginIsRefused) {
  XvncBackend &backend = add_static_console("static1", 640, 480);
  console_key("static1", "allowed-users", "alice");
  daemon_.config().set("sasl", "auth-failure-delay", "0");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  std::string error;
  Chromium browser;
  ASSERT_TRUE(browser.start(dir_, error)) << error;
  const std::string page = origin() + "/console/static1";
  std::string status;
  auto wait_status = [&](const std::string &prefix) {
    return wait_until(
        [&] {
          status = browser.eval(kStatus);
          return status.starts_with(prefix) || status.starts_with("failed:");
        },
        30000ms, 100ms);
  };

  // No link: noVNC gets VeNCrypt Plain and the page shows the login form.
  ASSERT_TRUE(browser.navigate(page));
  ASSERT_TRUE(wait_status("login:")) << status;
  ASSERT_EQ(status, "login:Log in to static1");
  EXPECT_EQ(browser.eval(submit_login("alice", "wrong-guess")), "sent");
  ASSERT_TRUE(wait_status("failed:")) << status;
  EXPECT_TRUE(status.starts_with("failed:Login refused")) << status;
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["mechanism"], "plain") << to_string(*audit);
  EXPECT_EQ((*audit)["end"], "authentication failed") << to_string(*audit);
  EXPECT_EQ(metrics().value("vncgate_auth_failures_total", {{"service", "rfb"}}), 1.0);

  // The right password in a fresh page: the console.
  ASSERT_TRUE(browser.navigate("about:blank"));
  ASSERT_TRUE(browser.navigate(page));
  ASSERT_TRUE(wait_status("login:")) << status;
  EXPECT_EQ(browser.eval(submit_login("alice", kAlicePassword)), "sent");
  ASSERT_TRUE(wait_status("connected:")) << status;
  EXPECT_EQ(status, "connected:Connected to static1");
  EXPECT_EQ(daemon_.log().find("wrong-guess"), std::string::npos) << "password in the log";
  EXPECT_EQ(daemon_.log().find(kAlicePassword), std::string::npos) << "password in the log";

  // A page on another site (any web server on another port) opening the
  // console's WebSocket, as a cross-site page would: refused before the
  // upgrade, so the browser's socket never opens.
  Subprocess other_site;
  const uint16_t other_port = free_loopback_port();
  SpawnOptions o;
  o.argv = {"python3",     "-m",        "http.server",
            "--bind",      "127.0.0.1", std::to_string(other_port),
            "--directory", dir_.path()};
  o.stderr_path = dir_.file("other-site.log");
  ASSERT_TRUE(other_site.start(o, error)) << error;
  ASSERT_TRUE(wait_until([&] { return port_accepts(other_port); }, 15000ms, 100ms));
  ASSERT_TRUE(browser.navigate("http://127.0.0.1:" + std::to_string(other_port) + "/"));
  ASSERT_TRUE(wait_until([&] { return browser.eval("document.readyState") == "complete"; }, 15000ms,
                         100ms));
  EXPECT_EQ(browser.eval("(() => { window.hijack = 'pending';"
                         " const ws = new WebSocket('ws://127.0.0.1:" +
                         std::to_string(web_port_) +
                         "/ws/console/static1');"
                         " ws.onopen = () => { window.hijack = 'open'; };"
                         " ws.onclose = (e) => { if (window.hijack === 'pending')"
                         " window.hijack = 'closed:' + e.code; };"
                         " return 'started'; })()"),
            "started");
  std::string hijack;
  EXPECT_TRUE(wait_until(
      [&] {
        hijack = browser.eval("window.hijack");
        return hijack != "pending";
      },
      15000ms, 100ms))
      << hijack;
  EXPECT_EQ(hijack, "closed:1006");
  other_site.kill_and_reap();
  EXPECT_LOG(daemon_,
             ".*refused a WebSocket from 127\\.0\\.0\\.1 with Origin 'http://127\\.0\\.0\\.1:" +
                 std::to_string(other_port) + "'.*",
             5000ms);
  (void)backend;
}

}  // namespace
}  // namespace vncgate::it
