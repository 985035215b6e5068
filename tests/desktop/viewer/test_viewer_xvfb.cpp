// The real vncgate-viewer under Xvfb, through a real vncgated (DIGEST-MD5
// from a private sasldb) to a real Xvnc backend:
// - with the documented credential hook and --screenshot, the saved
//   picture has the backend's size and the same pixels as a direct capture;
// - the login dialog, driven with xdotool, logs in; the console's pixels
//   are on the screen; a second viewer for the same console raises the
//   first instead of opening another window; SIGTERM ends it cleanly;
// - refusals (bad link, unknown console, console that cannot be opened,
//   wrong password, a plain VNC server) exit with a clear sentence.
// Screenshots for people: viewer-window.png, viewer-login-dialog.png in
// this test's build directory.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <csignal>

#include "gateway_test.h"
#include "image_compare.h"
#include "link/console_link.h"
#include "link/viewer_instance.h"
#include "pattern_backend.h"
#include "viewer_process.h"
#include "wait.h"
#include "xvfb_display.h"

namespace vncgate::desktop {
namespace {

using namespace std::chrono_literals;

std::string artifact(const std::string &name) {
  return std::string(VNCGATE_TEST_OUTPUT_DIR) + "/" + name;
}

class ViewerXvfbTest : public it::GatewayTest {
 protected:
  void SetUp() override {
    if (!xvfb_available()) GTEST_SKIP() << "Xvfb is not installed";
    std::string error;
    xvfb_ = shared_xvfb(error);
    ASSERT_NE(xvfb_, nullptr) << error;
    runtime_dir_ = dir_.subdir("run");
    chmod(runtime_dir_.c_str(), 0700);
  }

  // Starts the pattern backend as [console:NAME] and the daemon.
  void start_gateway_with_console(const std::string &name) {
    std::string error;
    ASSERT_TRUE(backend_.start(dir_.path(), kConsoleWidth, kConsoleHeight, error)) << error;
    daemon_.config().set("console:" + name, "backend", backend_.address());
    ASSERT_NO_FATAL_FAILURE(start_daemon());
  }

  std::string link_to(const std::string &console) const {
    return "vncgate://localhost:" + std::to_string(daemon_.gateway_port()) + "/console/" + console;
  }

  std::map<std::string, std::string> env(bool with_credentials,
                                         const std::string &password = it::kAlicePassword) const {
    std::map<std::string, std::string> e = {{"DISPLAY", xvfb_->name()},
                                            {"XDG_RUNTIME_DIR", runtime_dir_}};
    if (with_credentials) {
      e["VNCGATE_VIEWER_USERNAME"] = "alice";
      e["VNCGATE_VIEWER_PASSWORD_FILE"] = dir_.write("password-" + password, password + "\n");
    }
    return e;
  }

  // Polls screen captures until the screen shows more than a bare
  // background (a window was mapped and drawn) and stays the same from one
  // capture to the next (drawing has finished).
  bool wait_for_drawn_screen(const std::string &png) {
    std::optional<Image> previous;
    return it::wait_until(
        [&] {
          std::string error;
          if (!xvfb_->capture(png, error)) return false;
          auto img = load_png(png, error);
          if (!img || distinct_colours(*img, 8) < 4) return false;
          const bool stable = previous && count_differences(*previous, *img) == 0;
          previous = std::move(img);
          return stable;
        },
        5000ms, 100ms);
  }

  // xdotool on the Xvfb display.
  it::CommandResult xdo(std::vector<std::string> args) const {
    std::vector<std::string> argv = {"env", "DISPLAY=" + xvfb_->name(),
                                     it::find_program("xdotool")};
    argv.insert(argv.end(), args.begin(), args.end());
    return it::run_command(argv, "", 10s);
  }
  // Focuses the window titled `title` (waiting for it) and types keys.
  void focus(const std::string &title) const {
    auto found = xdo({"search", "--sync", "--onlyvisible", "--name", title});
    ASSERT_EQ(found.exit_code, 0) << title << ": " << found.output;
    const std::string win = found.output.substr(0, found.output.find('\n'));
    ASSERT_EQ(xdo({"windowfocus", "--sync", win}).exit_code, 0) << title;
  }
  void type(const std::string &text) const {
    EXPECT_EQ(xdo({"type", "--delay", "5", text}).exit_code, 0);
  }
  void key(const std::string &keys) const { EXPECT_EQ(xdo({"key", keys}).exit_code, 0); }

  XvfbDisplay *xvfb_ = nullptr;
  PatternBackend backend_;
  std::string runtime_dir_;
};

TEST_F(ViewerXvfbTest, ScreenshotThroughGatewayMatchesBackend) {
  ASSERT_NO_FATAL_FAILURE(start_gateway_with_console("pattern"));
  const std::string shot = dir_.file("viewer-shot.png");
  auto r = run_viewer({"--screenshot", shot, link_to("pattern")}, env(true),
                      dir_.file("viewer-shot.stderr"), 30s);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("security: SASL"), std::string::npos) << r.stderr_text;

  std::string error;
  auto viewer = load_png(shot, error);
  ASSERT_TRUE(viewer) << error;
  EXPECT_EQ(viewer->width, backend_.width());
  EXPECT_EQ(viewer->height, backend_.height());

  const std::string direct_png = dir_.file("direct.png");
  ASSERT_TRUE(backend_.capture_directly(direct_png, error)) << error;
  auto direct = load_png(direct_png, error);
  ASSERT_TRUE(direct) << error;
  EXPECT_GE(distinct_colours(*direct), 2) << "the backend shows no pattern";
  EXPECT_EQ(count_differences(*viewer, *direct, kPointerArea), 0)
      << describe_differences(*viewer, *direct, kPointerArea);

  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ((*audit)["mechanism"], "DIGEST-MD5") << it::to_string(*audit);
}

TEST_F(ViewerXvfbTest, VvFileAndPlainVncLink) {
  ASSERT_NO_FATAL_FAILURE(start_gateway_with_console("vv"));
  // A virt-viewer file naming the console; it asks to be deleted once read.
  const std::string vv = dir_.write(
      "console.vv",
      "[virt-viewer]\ntype=vnc\nhost=localhost\nport=" + std::to_string(daemon_.gateway_port()) +
          "\ntitle=From a vv file\nvncgate-console=vv\ndelete-this-file=1\n");
  const std::string shot = dir_.file("vv.png");
  auto r = run_viewer({"--screenshot", shot, vv}, env(true), dir_.file("vv.stderr"), 30s);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  struct stat st;
  EXPECT_NE(stat(vv.c_str(), &st), 0) << "delete-this-file=1 was not honoured";
  std::string error;
  auto image = load_png(shot, error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->width, kConsoleWidth);

  // RFC 7869 vnc:// straight to a VNC server: no CONNECT, no login.
  const std::string plain = dir_.file("plain.png");
  auto p = run_viewer({"--screenshot", plain, "vnc://127.0.0.1:" + std::to_string(backend_.port())},
                      env(false), dir_.file("plain.stderr"), 30s);
  ASSERT_EQ(p.exit_code, 0) << p.stderr_text;
  EXPECT_NE(p.stderr_text.find("security: None (not encrypted; no login)"), std::string::npos)
      << p.stderr_text;
  auto a = load_png(shot, error), b = load_png(plain, error);
  ASSERT_TRUE(a && b) << error;
  EXPECT_EQ(count_differences(*a, *b), 0) << describe_differences(*a, *b);
}

TEST_F(ViewerXvfbTest, LoginDialogWindowAndOneViewerPerConsole) {
  if (it::find_program("xdotool").empty()) GTEST_SKIP() << "xdotool is not installed";
  ASSERT_NO_FATAL_FAILURE(start_gateway_with_console("dialog"));
  // Captured before the viewer connects: gvnccapture asks Xvnc for an
  // exclusive session, which disconnects everyone else.
  std::string error;
  const std::string direct_png = dir_.file("direct.png");
  ASSERT_TRUE(backend_.capture_directly(direct_png, error)) << error;
  auto direct = load_png(direct_png, error);
  ASSERT_TRUE(direct) << error;

  const std::string link = link_to("dialog");
  ViewerProcess viewer(dir_.file("viewer-dialog.stderr"), env(false));
  ASSERT_TRUE(viewer.start({link}, error)) << error;
  ASSERT_TRUE(viewer.wait_for_stderr("asking for credentials", 20s)) << viewer.stderr_text();

  // The dialog, for people to look at; then type the credentials into it.
  ASSERT_NO_FATAL_FAILURE(focus("Log in to the console"));
  EXPECT_TRUE(wait_for_drawn_screen(artifact("viewer-login-dialog.png")));
  type("alice");
  key("Tab");
  type(it::kAlicePassword);
  key("Return");
  ASSERT_TRUE(viewer.wait_for_stderr("first full screen update received", 20s))
      << viewer.stderr_text();

  // The viewer's window shows the console's pixels.
  const std::string window_png = artifact("viewer-window.png");
  bool shown = it::wait_until(
      [&] {
        std::string e;
        if (!xvfb_->capture(window_png, e)) return false;
        auto screen = load_png(window_png, e);
        return screen && find_subimage(*screen, *direct, kPointerArea).has_value();
      },
      5000ms, 200ms);
  EXPECT_TRUE(shown) << "the console's pixels are not on the screen; see " << window_png;

  // F11 reaches the viewer while the console has the keyboard (Xvfb has no
  // window manager to carry out full screen, so only the request is seen).
  ASSERT_NO_FATAL_FAILURE(focus("^dialog "));
  key("F11");
  EXPECT_TRUE(viewer.wait_for_stderr("entering full screen", 5s)) << viewer.stderr_text();

  // One viewer per console: a second one raises the first and exits 0.
  auto second = run_viewer({link}, env(true), dir_.file("viewer-second.stderr"), 15s);
  EXPECT_EQ(second.exit_code, 0) << second.stderr_text;
  EXPECT_NE(second.stderr_text.find("already open"), std::string::npos) << second.stderr_text;
  EXPECT_TRUE(viewer.wait_for_stderr("asked to raise the window", 5s)) << viewer.stderr_text();
  EXPECT_TRUE(viewer.running());

  // The per-console socket is where the launcher will look for it.
  auto parsed = parse_console_link(link);
  ASSERT_TRUE(parsed.link);
  setenv("XDG_RUNTIME_DIR", runtime_dir_.c_str(), 1);
  const std::string socket_path = viewer_socket_path(*parsed.link);
  unsetenv("XDG_RUNTIME_DIR");
  struct stat st;
  EXPECT_EQ(stat(socket_path.c_str(), &st), 0) << socket_path;

  // SIGTERM: a normal end, the socket removed.
  ASSERT_TRUE(viewer.send_signal(SIGTERM));
  EXPECT_EQ(viewer.wait_exit(10s), 0) << viewer.stderr_text();
  EXPECT_NE(stat(socket_path.c_str(), &st), 0) << socket_path << " was left behind";
}

TEST_F(ViewerXvfbTest, FailedLoginOffersRetryAndDropOffersReconnect) {
  if (it::find_program("xdotool").empty()) GTEST_SKIP() << "xdotool is not installed";
  ASSERT_NO_FATAL_FAILURE(start_gateway_with_console("again"));
  ViewerProcess viewer(dir_.file("viewer-again.stderr"), env(false));
  std::string error;
  ASSERT_TRUE(viewer.start({link_to("again")}, error)) << error;

  // A wrong password: the viewer says so and offers to try again.
  ASSERT_TRUE(viewer.wait_for_stderr("asking for credentials", 20s)) << viewer.stderr_text();
  ASSERT_NO_FATAL_FAILURE(focus("Log in to the console"));
  type("alice");
  key("Tab");
  type("not-the-password");
  key("Return");
  ASSERT_TRUE(viewer.wait_for_stderr("Login failed", 20s)) << viewer.stderr_text();
  ASSERT_NO_FATAL_FAILURE(focus("Could not open the console"));
  EXPECT_TRUE(wait_for_drawn_screen(artifact("viewer-login-failed.png")));
  key("Return");  // "Try Again" is the default

  // The dialog again, the user name kept: only the password is typed.
  ASSERT_TRUE(viewer.wait_for_stderr("asking for credentials", 20s, 2)) << viewer.stderr_text();
  ASSERT_NO_FATAL_FAILURE(focus("Log in to the console"));
  type(it::kAlicePassword);
  key("Return");
  ASSERT_TRUE(viewer.wait_for_stderr("first full screen update received", 20s))
      << viewer.stderr_text();

  // The console goes away: the viewer stays, says so, and reconnects on request.
  backend_.stop();
  ASSERT_TRUE(viewer.wait_for_stderr("The connection to the console was closed", 20s))
      << viewer.stderr_text();
  EXPECT_TRUE(viewer.running());
  ASSERT_TRUE(backend_.restart(error)) << error;
  ASSERT_NO_FATAL_FAILURE(focus("^again "));
  EXPECT_TRUE(wait_for_drawn_screen(artifact("viewer-connection-lost.png")));
  key("alt+r");  // the info bar's "Reconnect" button
  ASSERT_TRUE(viewer.wait_for_stderr("asking for credentials", 20s, 3)) << viewer.stderr_text();
  ASSERT_NO_FATAL_FAILURE(focus("Log in to the console"));
  type(it::kAlicePassword);
  key("Return");
  EXPECT_TRUE(viewer.wait_for_stderr("first full screen update received", 20s, 2))
      << viewer.stderr_text();

  ASSERT_TRUE(viewer.send_signal(SIGTERM));
  EXPECT_EQ(viewer.wait_exit(10s), 0) << viewer.stderr_text();
  // Failed login, dropped session, reconnected session.
  auto last = daemon_.wait_for_audit(10s, 3);
  ASSERT_TRUE(last);
  EXPECT_EQ((*last)["end"], "client closed") << it::to_string(*last);
}

TEST_F(ViewerXvfbTest, BadLinksExitTwoWithAClearMessage) {
  struct Case {
    std::vector<std::string> args;
    std::string says;
  };
  const Case cases[] = {
      {{"vncgate://-evil/console/x"}, "The console link is not valid. (invalid host in link)"},
      {{"vncgate://gw/console/../../etc"}, "The console link is not valid."},
      {{"https://example.com/"}, "unsupported link type 'https'"},
      {{"--host", "gw", "--console", "a;rm -rf"}, "invalid console name"},
      {{}, "Invalid command line."},
      {{"--bogus-option"}, "Invalid command line."},
  };
  int i = 0;
  for (const auto &c : cases) {
    auto r =
        run_viewer(c.args, env(false), dir_.file("bad-" + std::to_string(i++) + ".stderr"), 10s);
    EXPECT_EQ(r.exit_code, 2) << r.stderr_text;
    EXPECT_NE(r.stderr_text.find(c.says), std::string::npos) << r.stderr_text;
  }
}

TEST_F(ViewerXvfbTest, RefusalsExitOneWithAClearMessage) {
  ASSERT_NO_FATAL_FAILURE(start_gateway_with_console("good"));
  fake_.set_mode(9, "fail");
  add_lpar_console("broken", 9);
  // The daemon reads its config at start: restart it with the lpar console.
  ASSERT_EQ(daemon_.terminate(), std::optional<int>(0));
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  struct Case {
    std::string link;
    std::string password;
    std::string says;
  };
  const std::string plain_vnc =
      "vncgate://127.0.0.1:" + std::to_string(backend_.port()) + "/console/good";
  const Case cases[] = {
      {link_to("nosuch"), it::kAlicePassword, "This console link is not valid or has expired."},
      // The console is opened after the login: its failure is not a login failure.
      {link_to("broken"), it::kAlicePassword,
       "You are logged in, but the console could not be opened on the host. Try again later. "
       "(the console could not be opened)"},
      {link_to("good"), "wrong-password", "Login failed"},
      {plain_vnc, it::kAlicePassword, "plain VNC server"},
  };
  int i = 0;
  for (const auto &c : cases) {
    auto r = run_viewer({"--non-interactive", c.link}, env(true, c.password),
                        dir_.file("refused-" + std::to_string(i++) + ".stderr"), 30s);
    EXPECT_EQ(r.exit_code, 1) << c.link << "\n" << r.stderr_text;
    EXPECT_NE(r.stderr_text.find(c.says), std::string::npos) << c.link << "\n" << r.stderr_text;
  }
}

}  // namespace
}  // namespace vncgate::desktop
