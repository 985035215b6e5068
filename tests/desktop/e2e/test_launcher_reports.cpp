// The launcher tells the truth, quickly, and hands the viewer no secret on
// its command line (issue 16, points 2-4). Every process real, under Xvfb:
//
//   vncgate-launcher --no-gui LINK ──► vncgate-viewer ──CONNECT──► vncgated ──► Xvnc "alpha"
//        exit 0 / 1 + reason     ◄── log: "vncgate-viewer-state: ..."
//
// Links are minted through the control API (ControlTest), as a web UI
// would, and opened with the viewer's credentials hook (alice). Cases:
//   - a fresh one-time link: exit 0 as soon as the viewer is connected (no
//     fixed grace period); the viewer's /proc/PID/cmdline holds no token;
//   - the same link again (used), a revoked link: exit 1, "already been
//     used or has expired";
//   - a link bound to bob, opened as alice: exit 1, "belongs to another
//     user" (not a login or Kerberos problem);
//   - a console alice is not in allowed-users of: exit 1, "not allowed";
//   - a gateway that is down: exit 1, "Could not connect".
// A viewer that failed keeps its own dialog open (the user may close it);
// ViewerCensus ends every viewer this test left behind.
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>

#include "control_test.h"
#include "viewer_census.h"
#include "viewer_process.h"
#include "wait.h"
#include "xvfb_display.h"

namespace vncgate::desktop {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kLauncherTimeout = 90s;  // far above any answer the launcher should need

std::string launcher_path() {
  const char *env = std::getenv("VNCGATE_LAUNCHER");
  return env && *env ? env
                     : std::string(VNCGATE_BUILD_ROOT) + "/launcher/launcher/vncgate-launcher";
}

std::string proc_cmdline(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cmdline", std::ios::binary);
  std::string s{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  for (char &c : s)
    if (c == '\0') c = ' ';
  return s;
}

// A loopback port nobody listens on: bound, then closed again.
uint16_t closed_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  uint16_t port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) == 0 &&
      ::getsockname(fd, reinterpret_cast<sockaddr *>(&a), &len) == 0)
    port = ntohs(a.sin_port);
  ::close(fd);
  return port;
}

struct LauncherRun {
  int exit_code = -1;  // -1: did not end within the bound (then killed)
  std::string output;
  std::chrono::milliseconds took{0};
};

class LauncherReportTest : public it::ControlTest {
 protected:
  void SetUp() override {
    if (!xvfb_available()) GTEST_SKIP() << "Xvfb is not installed";
    ASSERT_TRUE(ViewerCensus::become_subreaper());
    std::string error;
    xvfb_ = shared_xvfb(error);
    ASSERT_NE(xvfb_, nullptr) << error;
    runtime_dir_ = dir_.subdir("run");
    chmod(runtime_dir_.c_str(), 0700);
    census_ = std::make_unique<ViewerCensus>(viewer_path(), runtime_dir_);
  }

  void TearDown() override {
    if (HasFailure())
      for (const auto &f : logs_) std::cerr << "---- " << f << " ----\n" << it::read_file(f);
    census_.reset();  // ends the viewers before the gateway goes away
    ControlTest::TearDown();
  }

  std::string link_for(const it::Link &minted) const {
    return "vncgate://127.0.0.1:" + std::to_string(daemon_.gateway_port()) + "/console/" +
           minted.console + "?token=" + minted.token;
  }

  LauncherRun run_launcher(const std::string &link, const std::string &tag) {
    const std::string log = dir_.file("launcher-" + tag + ".log");
    logs_.push_back(log);
    it::SpawnOptions o;
    o.argv = {launcher_path(), "--no-gui", "--", link};
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
    o.unset_env = {"QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS",
                   "VNCGATE_LAUNCH_GRACE_MS"};
    o.stdout_path = o.stderr_path = log;
    LauncherRun r;
    it::Subprocess p;
    std::string error;
    const auto t0 = Clock::now();
    if (!p.start(o, error)) {
      r.output = error;
      return r;
    }
    auto status = p.wait(kLauncherTimeout);
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    if (!status)
      p.kill_and_reap();
    else if (WIFEXITED(*status))
      r.exit_code = WEXITSTATUS(*status);
    r.output = it::read_file(log);
    return r;
  }

  // Launches `link`, expects exit 1 with `sentence` on stderr, then ends the
  // viewer that is left showing its error dialog.
  void expect_failure(const std::string &link, const std::string &tag,
                      const std::string &sentence) {
    const LauncherRun r = run_launcher(link, tag);
    std::cout << "launcher (" << tag << "): exit " << r.exit_code << " in " << r.took.count()
              << " ms" << std::endl;
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find(sentence), std::string::npos) << r.output;
    EXPECT_NE(r.output.find("The viewer could not open the console."), std::string::npos)
        << r.output;
    census_->terminate_all();
  }

  XvfbDisplay *xvfb_ = nullptr;
  std::string runtime_dir_;
  std::unique_ptr<ViewerCensus> census_;
  std::string password_file_ = dir_.write("alice-password", std::string(it::kAlicePassword) + "\n");
  std::vector<std::string> logs_;
};

TEST_F(LauncherReportTest, ExitReflectsWhatTheViewerSaw) {
  add_static_console("alpha");
  add_static_console("beta");
  console_key("beta", "allowed-users", "bob");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  // A fresh link: the launcher returns once the viewer is connected.
  const it::Link link = mint("alpha", "alice", 300, true);
  ASSERT_EQ(link.status, 201) << link.body;
  ASSERT_FALSE(link.token.empty()) << link.body;
  const LauncherRun ok = run_launcher(link_for(link), "fresh");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  // Well below the 60 s the launcher would wait for a viewer that says
  // nothing (the time includes starting GTK and the login on a loaded
  // machine).
  EXPECT_LT(ok.took, 30s);
  std::cout << "launcher: started to connected in " << ok.took.count() << " ms" << std::endl;
  const auto pids = census_->pids();
  ASSERT_EQ(pids.size(), 1u);
  const std::string cmdline = proc_cmdline(pids.front());
  EXPECT_NE(cmdline.find("--link-stdin"), std::string::npos) << cmdline;
  EXPECT_EQ(cmdline.find(link.token), std::string::npos) << cmdline;
  EXPECT_EQ(cmdline.find("vncgate://"), std::string::npos) << cmdline;
  EXPECT_EQ(census_->terminate(pids.front(), 10s), 0);

  // The same one-time link again: used.
  expect_failure(link_for(link), "used", "already been used or has expired");

  // A revoked link.
  const it::Link revoked = mint("alpha", "alice", 300, true);
  ASSERT_EQ(revoked.status, 201) << revoked.body;
  ASSERT_EQ(api("DELETE", "/v1/tokens/" + revoked.token_id).status, 200);
  expect_failure(link_for(revoked), "revoked", "already been used or has expired");

  // A link bound to bob, opened by alice: its own sentence, no Kerberos.
  const it::Link bobs = mint("alpha", "bob", 300, true);
  ASSERT_EQ(bobs.status, 201) << bobs.body;
  {
    const LauncherRun r = run_launcher(link_for(bobs), "other-user");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_NE(r.output.find("This console link belongs to another user."), std::string::npos)
        << r.output;
    EXPECT_EQ(r.output.find("Kerberos"), std::string::npos) << r.output;
    census_->terminate_all();
  }

  // A console alice may not open (allowed-users=bob), no token: its own
  // sentence, not a failed login.
  expect_failure("vncgate://127.0.0.1:" + std::to_string(daemon_.gateway_port()) + "/console/beta",
                 "not-authorized", "You are not allowed to open this console.");

  // The gateway is not there.
  const uint16_t down = closed_port();
  ASSERT_NE(down, 0);
  expect_failure("vncgate://127.0.0.1:" + std::to_string(down) + "/console/alpha", "down",
                 "Could not connect to");
}

}  // namespace
}  // namespace vncgate::desktop
