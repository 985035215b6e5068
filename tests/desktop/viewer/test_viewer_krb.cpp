// Kerberos single sign-on in vncgate-viewer, under Xvfb, with the test KDC:
// with a ticket the console shows and no login dialog is needed (the run
// is --screenshot, which shows no dialogs, so a prompt would fail it);
// without one the viewer ends with a clear message instead of hanging.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "image_compare.h"
#include "krb_test.h"
#include "viewer_process.h"
#include "xvfb_display.h"

namespace vncgate::it {
namespace {

class ViewerKrbTest : public KrbGatewayTest {
 protected:
  void SetUp() override {
    KrbGatewayTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!desktop::xvfb_available()) GTEST_SKIP() << "Xvfb is not installed";
    std::string error;
    xvfb_ = desktop::shared_xvfb(error);
    ASSERT_NE(xvfb_, nullptr) << error;
    runtime_dir_ = dir_.subdir("run");
    chmod(runtime_dir_.c_str(), 0700);
  }

  std::string link_to(const std::string &console) const {
    return "vncgate://localhost:" + std::to_string(daemon_.gateway_port()) + "/console/" + console;
  }

  desktop::XvfbDisplay *xvfb_ = nullptr;
  std::string runtime_dir_;
};

TEST_F(ViewerKrbTest, SingleSignOnShowsTheConsoleWithoutADialog) {
  XvncBackend &backend = add_static_console("krb1", 640, 480);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_TRUE(kinit("alice"));

  const std::string shot = dir_.file("krb.png");
  auto r = desktop::run_viewer({"--screenshot", shot, link_to("krb1")},
                               {{"DISPLAY", xvfb_->name()},
                                {"XDG_RUNTIME_DIR", runtime_dir_},
                                {"KRB5CCNAME", ccache("alice")}},
                               dir_.file("viewer.out"), 30s);
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find("asking for credentials"), std::string::npos) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("login without password: Kerberos"), std::string::npos)
      << r.stderr_text;
  std::string error;
  auto image = desktop::load_png(shot, error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->width, backend.width());
  EXPECT_EQ(image->height, backend.height());
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_value(*audit, "mechanism"), "GSSAPI") << to_string(*audit);
}

TEST_F(ViewerKrbTest, WithoutATicketTheViewerEndsClearly) {
  add_static_console("krb2", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  auto r = desktop::run_viewer({"--non-interactive", link_to("krb2")},
                               {{"DISPLAY", xvfb_->name()},
                                {"XDG_RUNTIME_DIR", runtime_dir_},
                                {"KRB5CCNAME", ccache("nobody")}},
                               dir_.file("viewer.out"), 30s);
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("Single sign-on failed"), std::string::npos) << r.stderr_text;
}

}  // namespace
}  // namespace vncgate::it
