// Kerberos and password users through the launcher (issue 16, points 1
// and 2): the real launcher starts the real viewer for a gateway offering
// GSSAPI and DIGEST-MD5. A user with an empty ticket cache is no longer
// stuck in a failed single sign-on: the viewer asks the gateway for password
// mechanisms, logs in with the password (its test hook stands for the
// dialog), and the launcher exits 0 as soon as the viewer is connected. When
// the gateway refuses a ticket, the viewer falls back to the password too.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <regex>

#include "krb_test.h"
#include "viewer_census.h"
#include "viewer_process.h"
#include "wait.h"
#include "xvfb_display.h"

namespace vncgate::it {
namespace {

using Clock = std::chrono::steady_clock;

std::string launcher_path() {
  const char *env = std::getenv("VNCGATE_LAUNCHER");
  return env && *env ? env
                     : std::string(VNCGATE_BUILD_ROOT) + "/launcher/launcher/vncgate-launcher";
}

class LauncherSsoTest : public KrbGatewayTest {
 protected:
  void SetUp() override {
    KrbGatewayTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!desktop::xvfb_available()) GTEST_SKIP() << "Xvfb is not installed";
    ASSERT_TRUE(desktop::ViewerCensus::become_subreaper());
    std::string error;
    xvfb_ = desktop::shared_xvfb(error);
    ASSERT_NE(xvfb_, nullptr) << error;
    runtime_dir_ = dir_.subdir("run");
    chmod(runtime_dir_.c_str(), 0700);
    census_ = std::make_unique<desktop::ViewerCensus>(desktop::viewer_path(), runtime_dir_);
  }

  void TearDown() override {
    census_.reset();  // the viewer still shows its dialog: end it first
    KrbGatewayTest::TearDown();
  }

  desktop::XvfbDisplay *xvfb_ = nullptr;
  std::string runtime_dir_;
  std::unique_ptr<desktop::ViewerCensus> census_;
};

struct LauncherRun {
  int exit_code = -1;
  std::string output;
  std::chrono::milliseconds took{};
};

class LauncherMixedUsersTest : public LauncherSsoTest {
 protected:
  // The launcher (--no-gui) for `console` with ticket cache `ccache`; the
  // viewer's password hook answers as alice.
  LauncherRun launch(const std::string &console, const std::string &ccache) {
    const std::string log = dir_.file("launcher-" + console + ".log");
    SpawnOptions o;
    o.argv = {
        launcher_path(), "--no-gui",
        "vncgate://localhost:" + std::to_string(daemon_.gateway_port()) + "/console/" + console};
    o.env = {{"DISPLAY", xvfb_->name()},
             {"HOME", dir_.path() + "/home"},
             {"XDG_RUNTIME_DIR", runtime_dir_},
             {"XDG_CONFIG_HOME", dir_.path() + "/config"},
             {"XDG_DATA_HOME", dir_.path() + "/data"},
             {"KRB5CCNAME", ccache},
             {"VNCGATE_VIEWER", desktop::viewer_path()},
             {"VNCGATE_VIEWER_USERNAME", "alice"},
             {"VNCGATE_VIEWER_PASSWORD_FILE",
              dir_.write("alice.password", std::string(kDigestAlicePassword) + "\n")},
             {"NO_AT_BRIDGE", "1"},
             {"GDK_BACKEND", "x11"},
             {"GSETTINGS_BACKEND", "memory"},
             {"LANG", "C.UTF-8"},
             {"LANGUAGE", ""},
             {"LC_ALL", ""}};
    o.unset_env = {"QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "VNCGATE_LAUNCH_GRACE_MS"};
    o.stdout_path = o.stderr_path = log;
    Subprocess p;
    std::string error;
    LauncherRun r;
    const auto t0 = Clock::now();
    EXPECT_TRUE(p.start(o, error)) << error;
    auto status = p.wait(std::chrono::seconds(90));
    if (!status) p.kill_and_reap();
    r.took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
    r.output = read_file(log);
    if (status && WIFEXITED(*status)) r.exit_code = WEXITSTATUS(*status);
    return r;
  }

  bool password_session_seen() {
    return wait_until(
        [&] {
          for (const auto &a : daemon_.audits())
            if (audit_value(a, "mechanism") == "DIGEST-MD5") return true;
          for (const auto &line : daemon_.log_lines())
            if (line.find("authenticated as alice@TEST.LOCAL with DIGEST-MD5") != std::string::npos)
              return true;
          return false;
        },
        10s);
  }
};

TEST_F(LauncherMixedUsersTest, WithoutATicketThePasswordLoginConnects) {
  add_static_console("sso", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const LauncherRun r = launch("sso", ccache("nobody"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("Single sign-on failed"), std::string::npos) << r.output;
  EXPECT_LT(r.took, std::chrono::seconds(45)) << r.output;
  EXPECT_TRUE(password_session_seen()) << daemon_.log();
  EXPECT_EQ(census_->pids().size(), 1u);
  std::cout << "launcher (no ticket): exit " << r.exit_code << " in " << r.took.count() << " ms"
            << std::endl;
}

TEST_F(LauncherMixedUsersTest, ARefusedTicketFallsBackToThePasswordLogin) {
  add_static_console("sso", 320, 240);
  daemon_.config().set("sasl", "keytab", kdc().wrong_keytab());  // no key for vnc/localhost
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_TRUE(kinit("alice"));
  const LauncherRun r = launch("sso", ccache("alice"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(password_session_seen()) << daemon_.log();
  EXPECT_GE(daemon_.count_log(std::regex(".*authentication failed .*mechanism GSSAPI.*")), 1)
      << daemon_.log();
}
}  // namespace
}  // namespace vncgate::it
