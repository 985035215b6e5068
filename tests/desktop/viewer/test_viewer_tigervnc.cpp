// TigerVNC's vncviewer (no SASL) logs in through vncgated with VeNCrypt
// X509Plain: the gateway's certificate trusted through -X509CA, the user
// name and password from VNC_USERNAME / VNC_PASSWORD (read by vncviewer
// since TigerVNC 1.11, so no dialog is needed), checked by Cyrus against
// the test's sasldb. The console's pixels must appear on the Xvfb screen,
// identical to a direct capture of the backend. A wrong password is
// refused with the reason in vncviewer's log. Without TLS, vncviewer is
// offered nothing it could send a password with. vncviewer runs under
// `timeout` and is ended with its process group.
#include <gtest/gtest.h>

#include <csignal>
#include <regex>

#include "image_compare.h"
#include "pattern_backend.h"
#include "raw_socket.h"
#include "subprocess.h"
#include "tls_gateway_test.h"
#include "wait.h"
#include "xvfb_display.h"

namespace vncgate::it::tls {
namespace {

using desktop::find_subimage;
using desktop::kConsoleHeight;
using desktop::kConsoleWidth;
using desktop::kPointerArea;
using desktop::load_png;

class TigerVncPlainTest : public TlsGatewayTest {
 protected:
  void SetUp() override {
    TlsGatewayTest::SetUp();
    if (find_program("vncviewer").empty()) GTEST_SKIP() << "vncviewer (tigervnc-viewer) missing";
    if (!desktop::xvfb_available()) GTEST_SKIP() << "Xvfb is not installed";
    std::string error;
    xvfb_ = desktop::shared_xvfb(error);
    ASSERT_NE(xvfb_, nullptr) << error;
  }
  void TearDown() override {
    stop_viewer();
    if (HasFailure())
      std::cerr << "---- vncviewer log ----\n" << read_file(viewer_log_) << "----\n";
    TlsGatewayTest::TearDown();
  }

  // The pattern backend as [console:c1] on its own port (vncviewer cannot
  // send the gateway port's CONNECT), offering only x509-plain; without
  // `tls`, no [tls] at all (SASL on plain TCP only).
  void start_gateway(bool tls = true) {
    std::string error;
    ASSERT_TRUE(backend_.start(dir_.path(), kConsoleWidth, kConsoleHeight, error)) << error;
    port_ = free_loopback_port();
    daemon_.config().set("console:c1", "backend", backend_.address());
    console_key("c1", "port", std::to_string(port_));
    console_key("c1", "allowed-users", "alice");
    if (tls) {
      configure_tls(pki().server, "x509-plain");
      daemon_.config().set("tls", "offer-plain-sasl", "false");
    }
    ASSERT_NO_FATAL_FAILURE(start_daemon());
  }

  // `types`: vncviewer's -SecurityTypes.
  void start_viewer(const std::string &password, const std::string &types = "X509Plain") {
    viewer_log_ = dir_.file("vncviewer.log");
    SpawnOptions o;
    o.argv = {"timeout", "30",      "vncviewer", "-SecurityTypes",
              types,     "-X509CA", pki().ca,    "127.0.0.1::" + std::to_string(port_)};
    o.env = {{"DISPLAY", xvfb_->name()},
             {"HOME", dir_.subdir("viewer-home")},
             {"VNC_USERNAME", "alice"},
             {"VNC_PASSWORD", password}};
    o.stdout_path = viewer_log_;
    o.stderr_path = viewer_log_;
    std::string error;
    ASSERT_TRUE(viewer_.start(o, error)) << error;
  }

  // `timeout` makes itself a process group leader: end the whole group.
  void stop_viewer() {
    if (!viewer_.running()) return;
    ::kill(-viewer_.pid(), SIGTERM);
    if (!viewer_.wait(5s)) ::kill(-viewer_.pid(), SIGKILL);
    viewer_.kill_and_reap();
  }

  desktop::XvfbDisplay *xvfb_ = nullptr;
  desktop::PatternBackend backend_;
  uint16_t port_ = 0;
  Subprocess viewer_;
  std::string viewer_log_;
};

TEST_F(TigerVncPlainTest, X509PlainShowsTheConsole) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  // Captured before the viewer connects: gvnccapture asks Xvnc for an
  // exclusive session, which disconnects everyone else.
  std::string error;
  const std::string direct_png = dir_.file("direct.png");
  ASSERT_TRUE(backend_.capture_directly(direct_png, error)) << error;
  auto direct = load_png(direct_png, error);
  ASSERT_TRUE(direct) << error;

  ASSERT_NO_FATAL_FAILURE(start_viewer(kAlicePassword));
  EXPECT_LOG(daemon_, R"(.*authenticated as alice@VNCGATE\.TEST with x509-plain, SSF (128|256)$)",
             20s);
  const std::string screen_png = dir_.file("screen.png");
  bool shown = wait_until(
      [&] {
        std::string e;
        if (!xvfb_->capture(screen_png, e)) return false;
        auto screen = load_png(screen_png, e);
        return screen && find_subimage(*screen, *direct, kPointerArea).has_value();
      },
      15s, 200ms);
  EXPECT_TRUE(shown) << "the console's pixels are not on the screen; see " << screen_png;
  EXPECT_TRUE(std::regex_search(read_file(viewer_log_),
                                std::regex(R"(CVeNCrypt: +Choosing security type X509Plain)")))
      << read_file(viewer_log_);
  stop_viewer();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "user"), "alice@VNCGATE.TEST") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "x509-plain") << to_string(*audit);
}

TEST_F(TigerVncPlainTest, AWrongPasswordIsRefusedWithTheReason) {
  ASSERT_NO_FATAL_FAILURE(start_gateway());
  ASSERT_NO_FATAL_FAILURE(start_viewer("guess"));
  EXPECT_LOG(
      daemon_,
      R"(.*authentication failed for 127\.0\.0\.1:\d+ \(user alice, mechanism x509-plain\).*)",
      20s);
  EXPECT_TRUE(wait_until(
      [&] { return read_file(viewer_log_).find("authentication failed") != std::string::npos; },
      10s))
      << read_file(viewer_log_);
  EXPECT_EQ(daemon_.count_log(std::regex(".*connected to console.*")), 0);
}

TEST_F(TigerVncPlainTest, WithoutTlsNothingThatCarriesAPasswordIsOffered) {
  ASSERT_NO_FATAL_FAILURE(start_gateway(false));
  // Every type this vncviewer knows, the cleartext ones included.
  ASSERT_NO_FATAL_FAILURE(start_viewer(
      kAlicePassword, "None,VncAuth,Plain,TLSNone,TLSVnc,TLSPlain,X509None,X509Vnc,X509Plain"));
  EXPECT_TRUE(wait_until(
      [&] {
        return read_file(viewer_log_).find("No matching security types") != std::string::npos;
      },
      20s))
      << read_file(viewer_log_);
  // vncviewer 1.12 logs the offered types only when debugging: the
  // daemon's audit shows that nothing was chosen.
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "-") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "client closed during the handshake") << to_string(*audit);
  EXPECT_EQ(daemon_.count_log(std::regex(".*authenticated as.*")), 0);
}

}  // namespace
}  // namespace vncgate::it::tls
