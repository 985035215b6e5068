// A failed single sign-on, as the launcher reports it (issue 16, point 2):
// the real launcher starts the real viewer for a gateway offering GSSAPI,
// with an empty ticket cache; the viewer's Kerberos login fails, the viewer
// reports it (and keeps its own dialog open), and the launcher exits 1
// with the viewer's sentence instead of 0 after a grace period.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "krb_test.h"
#include "viewer_census.h"
#include "viewer_process.h"
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

TEST_F(LauncherSsoTest, FailedSingleSignOnIsTheLaunchersError) {
  add_static_console("sso", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string log = dir_.file("launcher.log");
  SpawnOptions o;
  o.argv = {launcher_path(), "--no-gui",
            "vncgate://localhost:" + std::to_string(daemon_.gateway_port()) + "/console/sso"};
  o.env = {{"DISPLAY", xvfb_->name()},
           {"HOME", dir_.path() + "/home"},
           {"XDG_RUNTIME_DIR", runtime_dir_},
           {"XDG_CONFIG_HOME", dir_.path() + "/config"},
           {"XDG_DATA_HOME", dir_.path() + "/data"},
           {"KRB5CCNAME", ccache("nobody")},
           {"VNCGATE_VIEWER", desktop::viewer_path()},
           {"NO_AT_BRIDGE", "1"},
           {"GDK_BACKEND", "x11"},
           {"GSETTINGS_BACKEND", "memory"},
           {"LANG", "C.UTF-8"},
           {"LANGUAGE", ""},
           {"LC_ALL", ""}};
  o.unset_env = {"QT_QPA_PLATFORM", "WAYLAND_DISPLAY", "VNCGATE_LAUNCH_GRACE_MS",
                 "VNCGATE_VIEWER_USERNAME", "VNCGATE_VIEWER_PASSWORD_FILE"};
  o.stdout_path = o.stderr_path = log;
  Subprocess p;
  std::string error;
  const auto t0 = Clock::now();
  ASSERT_TRUE(p.start(o, error)) << error;
  auto status = p.wait(std::chrono::seconds(90));
  if (!status) p.kill_and_reap();
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0);
  const std::string out = read_file(log);
  ASSERT_TRUE(status && WIFEXITED(*status)) << out;
  EXPECT_EQ(WEXITSTATUS(*status), 1) << out;
  EXPECT_NE(out.find("Single sign-on failed"), std::string::npos) << out;
  EXPECT_LT(took, std::chrono::seconds(45)) << out;
  std::cout << "launcher (sso): exit " << WEXITSTATUS(*status) << " in " << took.count() << " ms"
            << std::endl;
}

}  // namespace
}  // namespace vncgate::it
