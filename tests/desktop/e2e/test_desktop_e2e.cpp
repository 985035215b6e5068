// The desktop end to end, every process real, under Xvfb (no window manager):
//
//   vncgate-launcher LINK ──► vncgate-viewer ──CONNECT──► vncgated ──► Xvnc "alpha"
//   (Qt, xcb)                 (GTK, gtk-vnc)  DIGEST-MD5  (sasldb)  └─► Xvnc "beta"
//
// 1. vncgated serves two static consoles, alpha and beta, each an Xvnc
//    painted with its own two-colour pattern; users come from a private
//    sasldb (DIGEST-MD5, SSF >= 56 on plain TCP).
// 2. The real launcher is given vncgate://127.0.0.1:PORT/console/alpha and
//    finds the real viewer through VNCGATE_VIEWER (launcher/launcher/
//    viewer_plan.h). Credentials: the viewer's documented test hook,
//    VNCGATE_VIEWER_USERNAME and VNCGATE_VIEWER_PASSWORD_FILE (see
//    launcher/viewer/README.md, "Logging in"), put into the launcher's
//    environment, which the launcher hands on to the viewer it spawns.
//    (The login dialog driven with xdotool is covered by viewer-xvfb.)
// 3. The viewer's window, cut out of the screen at its X geometry, contains
//    exactly the pixels of a direct gvnccapture of alpha's Xvnc.
// 4. The launcher again for alpha exits 0 and raises that viewer: the same
//    single viewer process, one window for the console, no new login.
// 5. The launcher for beta starts a second viewer process showing beta's
//    pixels; launched for alpha once more, alpha's window comes back on top.
// 6. Both viewers end on SIGTERM with status 0; vncgated logged two
//    DIGEST-MD5 logins and two audit records (alpha and beta).
//
// The viewers run in their own sessions (the launcher leaves them behind by
// design): ViewerCensus finds them in /proc and ends them even when the test
// fails; the Xvnc backends, vncgated and Xvfb are owned by their fixtures.
// Screenshots for people: e2e-viewer-alpha.png, e2e-viewer-beta.png and
// e2e-screen.png in $VNCGATE_SCREENSHOT_DIR (this test's build directory).
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <regex>
#include <set>

#include "gateway_test.h"
#include "image_compare.h"
#include "link/console_link.h"
#include "link/viewer_instance.h"
#include "pattern_backend.h"
#include "viewer_census.h"
#include "viewer_process.h"
#include "wait.h"
#include "x_windows.h"
#include "xvfb_display.h"

namespace vncgate::desktop {
namespace {

using namespace std::chrono_literals;

constexpr auto kLauncherTimeout = 60s;  // grace (5 s) + socket wait (5 s) + a loaded machine
constexpr auto kConsoleTimeout = 30s;

std::string launcher_path() {
  const char *env = std::getenv("VNCGATE_LAUNCHER");
  return env && *env ? env
                     : std::string(VNCGATE_BUILD_ROOT) + "/launcher/launcher/vncgate-launcher";
}

// One console: its backend, its pixels as seen directly, its link.
struct Console {
  Console(std::string n, std::string fg, std::string bg) : name(std::move(n)) {
    backend.set_colours(std::move(fg), std::move(bg));
  }
  std::string name;
  PatternBackend backend;
  Image direct;
  std::string link;
  std::string viewer_log;  // where the launcher sends this console's viewer output
};

struct LauncherRun {
  int exit_code = -1;  // -1: did not end within the bound (then killed)
  std::string output;
};

class DesktopE2eTest : public it::GatewayTest {
 protected:
  void SetUp() override {
    if (!xvfb_available()) GTEST_SKIP() << "Xvfb is not installed";
    if (!XWindows::available()) GTEST_SKIP() << "xdotool is not installed";
    if (it::find_program("gvnccapture").empty()) GTEST_SKIP() << "gvnccapture is not installed";
    ASSERT_TRUE(ViewerCensus::become_subreaper());
    std::string error;
    xvfb_ = shared_xvfb(error);
    ASSERT_NE(xvfb_, nullptr) << error;
    windows_ = std::make_unique<XWindows>(xvfb_->name());
    runtime_dir_ = dir_.subdir("run");
    chmod(runtime_dir_.c_str(), 0700);
    census_ = std::make_unique<ViewerCensus>(viewer_path(), runtime_dir_);
    const char *out = std::getenv("VNCGATE_SCREENSHOT_DIR");
    screenshot_dir_ = out && *out ? out : dir_.path();
  }

  void TearDown() override {
    if (HasFailure()) {
      for (const Console *c : {&alpha_, &beta_})
        if (!c->viewer_log.empty())
          std::cerr << "---- viewer log for " << c->name << " ----\n"
                    << it::read_file(c->viewer_log);
      for (const auto &f : launcher_logs_)
        std::cerr << "---- " << f << " ----\n" << it::read_file(f);
    }
    census_.reset();  // ends the viewers before the gateway goes away
    GatewayTest::TearDown();
  }

  // Both backends, the daemon in front of them, and direct captures taken
  // before any viewer connects (gvnccapture asks Xvnc for an exclusive
  // session, which would disconnect the viewer).
  void start_consoles() {
    for (Console *c : {&alpha_, &beta_}) {
      std::string error;
      ASSERT_TRUE(c->backend.start(dir_.subdir(c->name), kConsoleWidth, kConsoleHeight, error))
          << error;
      daemon_.config().set("console:" + c->name, "backend", c->backend.address());
    }
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    for (Console *c : {&alpha_, &beta_}) {
      std::string error;
      const std::string png = dir_.file("direct-" + c->name + ".png");
      ASSERT_TRUE(c->backend.capture_directly(png, error)) << error;
      auto image = load_png(png, error);
      ASSERT_TRUE(image) << error;
      ASSERT_GE(distinct_colours(*image), 2) << c->name << " shows no pattern";
      c->direct = std::move(*image);
      c->link =
          "vncgate://127.0.0.1:" + std::to_string(daemon_.gateway_port()) + "/console/" + c->name;
      c->viewer_log = viewer_log_path(c->link);
    }
    ASSERT_FALSE(find_subimage(alpha_.direct, beta_.direct, kPointerArea))
        << "the two consoles look the same";
  }

  // viewer_instance_files.h: the log sits next to the per-console socket.
  std::string viewer_log_path(const std::string &link) const {
    const char *old = std::getenv("XDG_RUNTIME_DIR");
    const std::string saved = old ? old : "";
    setenv("XDG_RUNTIME_DIR", runtime_dir_.c_str(), 1);
    auto parsed = parse_console_link(link);
    std::string socket = parsed.link ? viewer_socket_path(*parsed.link) : "";
    if (old)
      setenv("XDG_RUNTIME_DIR", saved.c_str(), 1);
    else
      unsetenv("XDG_RUNTIME_DIR");
    const std::string suffix = ".sock";
    if (socket.size() <= suffix.size()) return {};
    return socket.substr(0, socket.size() - suffix.size()) + ".log";
  }

  // A private desktop session for the launcher (and so for its viewers).
  it::SpawnOptions launcher_options(const std::string &link, const std::string &log) const {
    it::SpawnOptions o;
    o.argv = {launcher_path(), link};
    o.env = {{"DISPLAY", xvfb_->name()},
             {"HOME", dir_.path() + "/home"},
             {"XDG_RUNTIME_DIR", runtime_dir_},
             {"XDG_CONFIG_HOME", dir_.path() + "/config"},
             {"XDG_DATA_HOME", dir_.path() + "/data"},
             {"XDG_CACHE_HOME", dir_.path() + "/cache"},
             {"KRB5CCNAME", "FILE:" + dir_.path() + "/no-ccache"},
             {"VNCGATE_VIEWER", viewer_path()},
             {"VNCGATE_VIEWER_USERNAME", "alice"},
             {"VNCGATE_VIEWER_PASSWORD_FILE", password_file_},
             {"NO_AT_BRIDGE", "1"},
             {"GDK_BACKEND", "x11"},
             {"GSETTINGS_BACKEND", "memory"},
             {"LANG", "C.UTF-8"},
             {"LANGUAGE", ""},
             {"LC_ALL", ""}};
    o.unset_env = {"QT_QPA_PLATFORM",        "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS",
                   "XDG_CURRENT_DESKTOP",    "DESKTOP_SESSION", "SESSION_MANAGER",
                   "VNCGATE_LAUNCH_GRACE_MS"};
    o.stdout_path = o.stderr_path = log;
    return o;
  }

  LauncherRun run_launcher(const std::string &link, const std::string &tag) {
    const std::string log = dir_.file("launcher-" + tag + ".log");
    launcher_logs_.push_back(log);
    it::Subprocess p;
    LauncherRun r;
    std::string error;
    if (!p.start(launcher_options(link, log), error)) {
      r.output = error;
      return r;
    }
    auto status = p.wait(kLauncherTimeout);
    if (!status)
      p.kill_and_reap();
    else if (WIFEXITED(*status))
      r.exit_code = WEXITSTATUS(*status);
    r.output = it::read_file(log);
    return r;
  }

  // Waits until `text` appears `count` times in the console's viewer log.
  bool wait_for_viewer_log(const Console &c, const std::string &text, int count,
                           std::chrono::milliseconds timeout) const {
    return it::wait_until(
        [&] {
          const std::string all = it::read_file(c.viewer_log);
          int n = 0;
          for (size_t at = all.find(text); at != std::string::npos; at = all.find(text, at + 1))
            ++n;
          return n >= count;
        },
        timeout, 100ms);
  }

  // The one visible window of `pid`, cut out of the screen into `png`,
  // contains the console's direct capture (bounded wait for drawing).
  ::testing::AssertionResult window_shows(pid_t pid, const Console &c, const std::string &png) {
    std::string why = "no visible window of pid " + std::to_string(pid);
    const bool ok = it::wait_until(
        [&] {
          const auto wins = windows_->visible_of_pid(pid);
          if (wins.size() != 1) {
            why = std::to_string(wins.size()) + " visible windows of pid " + std::to_string(pid);
            return false;
          }
          auto g = windows_->geometry(wins.front());
          if (!g) return false;
          std::string error;
          if (!xvfb_->capture_area(png, g->x, g->y, g->w, g->h, error)) {
            why = error;
            return false;
          }
          auto shot = load_png(png, error);
          if (!shot) return false;
          why = "window " + wins.front() + " (" + std::to_string(g->w) + "x" +
                std::to_string(g->h) + "+" + std::to_string(g->x) + "+" + std::to_string(g->y) +
                ") does not show " + c.name + "'s pixels; see " + png;
          return find_subimage(*shot, c.direct, kPointerArea).has_value();
        },
        kConsoleTimeout, 200ms);
    if (ok) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << why;
  }

  std::string shot(const std::string &name) const { return screenshot_dir_ + "/" + name; }

  XvfbDisplay *xvfb_ = nullptr;
  std::unique_ptr<XWindows> windows_;
  std::string runtime_dir_;
  std::string screenshot_dir_;
  std::unique_ptr<ViewerCensus> census_;
  std::string password_file_ = dir_.write("alice-password", std::string(it::kAlicePassword) + "\n");
  std::vector<std::string> launcher_logs_;
  Console alpha_{"alpha", "#1f6fb2", "#f2c14e"};
  Console beta_{"beta", "#8e2b5c", "#b8e0a1"};
};

TEST_F(DesktopE2eTest, LauncherStartsRaisesAndSeparatesRealViewers) {
  ASSERT_NO_FATAL_FAILURE(start_consoles());

  // 2-3. The first click: a real viewer logs in and shows alpha.
  auto first = run_launcher(alpha_.link, "alpha-1");
  ASSERT_EQ(first.exit_code, 0) << first.output;
  const auto started = census_->pids();
  ASSERT_EQ(started.size(), 1u) << "viewer processes after the first launch";
  const pid_t viewer_a = started.front();
  ASSERT_TRUE(wait_for_viewer_log(alpha_, "first full screen update received", 1, kConsoleTimeout));
  const std::string log_a = it::read_file(alpha_.viewer_log);
  EXPECT_NE(log_a.find("credentials taken from VNCGATE_VIEWER_USERNAME"), std::string::npos)
      << log_a;
  EXPECT_NE(log_a.find("security: SASL"), std::string::npos) << log_a;
  ASSERT_TRUE(window_shows(viewer_a, alpha_, shot("e2e-viewer-alpha.png")));

  // 4. The same console again: the launcher raises the viewer and leaves.
  auto again = run_launcher(alpha_.link, "alpha-2");
  EXPECT_EQ(again.exit_code, 0) << again.output;
  EXPECT_TRUE(wait_for_viewer_log(alpha_, "asked to raise the window", 1, 10s));
  EXPECT_EQ(census_->pids(), std::vector<pid_t>{viewer_a}) << "a second viewer is running";
  // No second viewer even for a moment: the launcher would have started it
  // with a fresh log (it truncates the console's log when it spawns), and a
  // second viewer would only have raised the first through its own socket.
  const std::string raised_log = it::read_file(alpha_.viewer_log);
  EXPECT_EQ(raised_log.substr(0, log_a.size()), log_a) << "the launcher started another viewer";
  EXPECT_EQ(raised_log.find("already open"), std::string::npos) << raised_log;
  const auto named_a = windows_->visible_named("^alpha — vncgate$");
  ASSERT_EQ(named_a.size(), 1u) << "windows for console alpha";
  EXPECT_EQ(windows_->pid_of(named_a.front()), viewer_a);
  EXPECT_EQ(windows_->visible_of_pid(viewer_a).size(), 1u);

  // 5. Another console: a second viewer process with beta's pixels.
  auto other = run_launcher(beta_.link, "beta-1");
  ASSERT_EQ(other.exit_code, 0) << other.output;
  const auto both = census_->pids();
  ASSERT_EQ(both.size(), 2u) << "viewer processes after launching beta";
  const pid_t viewer_b = both.front() == viewer_a ? both.back() : both.front();
  EXPECT_NE(viewer_b, viewer_a);
  EXPECT_TRUE(std::count(both.begin(), both.end(), viewer_a)) << "alpha's viewer is gone";
  ASSERT_TRUE(wait_for_viewer_log(beta_, "first full screen update received", 1, kConsoleTimeout));
  ASSERT_TRUE(window_shows(viewer_b, beta_, shot("e2e-viewer-beta.png")));
  const auto named_b = windows_->visible_named("^beta — vncgate$");
  ASSERT_EQ(named_b.size(), 1u) << "windows for console beta";
  EXPECT_EQ(windows_->pid_of(named_b.front()), viewer_b);

  // Raising is visible: without a window manager both windows open at the
  // same place, beta's on top; a click on alpha's link brings alpha back.
  auto geometry_a = windows_->geometry(named_a.front());
  auto geometry_b = windows_->geometry(named_b.front());
  ASSERT_TRUE(geometry_a && geometry_b);
  EXPECT_TRUE(geometry_a->x == geometry_b->x && geometry_a->y == geometry_b->y)
      << "the windows do not overlap; raising alpha would not be visible";
  auto back = run_launcher(alpha_.link, "alpha-3");
  EXPECT_EQ(back.exit_code, 0) << back.output;
  EXPECT_TRUE(wait_for_viewer_log(alpha_, "asked to raise the window", 2, 10s));
  EXPECT_EQ(census_->pids(), both);
  EXPECT_TRUE(window_shows(viewer_a, alpha_, shot("e2e-viewer-alpha-raised.png")));
  std::string error;
  EXPECT_TRUE(xvfb_->capture(shot("e2e-screen.png"), error)) << error;

  // 6. Both viewers end cleanly; the gateway saw one login per viewer
  // (raising opened no new session) and audits both sessions.
  EXPECT_EQ(census_->terminate(viewer_a, 10s), 0) << it::read_file(alpha_.viewer_log);
  EXPECT_EQ(census_->terminate(viewer_b, 10s), 0) << it::read_file(beta_.viewer_log);
  EXPECT_TRUE(census_->pids().empty());
  ASSERT_TRUE(daemon_.wait_for_audit(15s, 2));
  // Cyrus qualifies the sasldb user with its realm.
  const std::string user = std::string("alice@") + sasl_.realm();
  EXPECT_EQ(daemon_.count_log(std::regex("authenticated as " + user + " with DIGEST-MD5")), 2)
      << daemon_.log();
  std::multiset<std::string> consoles;
  for (const auto &audit : daemon_.audits()) {
    consoles.insert(audit.count("console") ? audit.at("console") : "");
    EXPECT_EQ(audit.count("user") ? audit.at("user") : "", user) << it::to_string(audit);
    EXPECT_EQ(audit.count("mechanism") ? audit.at("mechanism") : "", "DIGEST-MD5")
        << it::to_string(audit);
  }
  EXPECT_EQ(consoles, (std::multiset<std::string>{"alpha", "beta"}));
}

}  // namespace
}  // namespace vncgate::desktop
