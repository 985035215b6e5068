// vncgate-viewer over VeNCrypt X509SASL through vncgated, under Xvfb, in
// a private mount namespace (tls_main.cpp) so gtk-vnc's ~/.pki is the
// test's own: --install-ca shows the CA's fingerprint and installs it
// where gtk-vnc reads it, --ca refuses a CA that is not installed, a
// session with a trusted certificate reports TLS in its status, a server
// certificate from an unknown CA is refused with its fingerprint shown,
// a client certificate logs in without a dialog (X509None), and a link
// asking for TLS refuses a gateway without it.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include "image_compare.h"
#include "tls_gateway_test.h"
#include "viewer_process.h"
#include "xvfb_display.h"

namespace vncgate::it::tls {
namespace {

using desktop::load_png;
using desktop::run_viewer;

class ViewerTlsTest : public TlsGatewayTest {
 protected:
  void SetUp() override {
    TlsGatewayTest::SetUp();
    if (!desktop::xvfb_available()) GTEST_SKIP() << "Xvfb is not installed";
    std::string error;
    xvfb_ = desktop::shared_xvfb(error);
    ASSERT_NE(xvfb_, nullptr) << error;
    runtime_dir_ = dir_.subdir("run");
    chmod(runtime_dir_.c_str(), 0700);
  }

  std::string link_to(const std::string &console, const std::string &query = {}) const {
    return "vncgate://localhost:" + std::to_string(daemon_.gateway_port()) + "/console/" + console +
           query;
  }

  std::map<std::string, std::string> env() const {
    return {{"DISPLAY", xvfb_->name()},
            {"XDG_RUNTIME_DIR", runtime_dir_},
            {"VNCGATE_VIEWER_USERNAME", "alice"},
            {"VNCGATE_VIEWER_PASSWORD_FILE",
             dir_.write("password", std::string(kAlicePassword) + "\n")}};
  }

  desktop::ViewerResult viewer(const std::vector<std::string> &args, const std::string &name) {
    return run_viewer(args, env(), dir_.file(name + ".out"), std::chrono::seconds(30));
  }

  desktop::XvfbDisplay *xvfb_ = nullptr;
  std::string runtime_dir_;
};

TEST_F(ViewerTlsTest, InstalledCaGivesAVerifiedTlsSession) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("digest-md5");
  XvncBackend &backend = add_static_console("t1", 640, 480);
  configure_tls(pki().server, "x509-sasl");
  daemon_.config().set("tls", "offer-plain-sasl", "false");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string link = link_to("t1", "?tls=x509");

  // Not installed yet: --ca explains where gtk-vnc looks.
  auto refused = viewer({"--ca", pki().ca, "--non-interactive", link}, "ca-missing");
  EXPECT_EQ(refused.exit_code, 2) << refused.stderr_text;
  EXPECT_NE(refused.stderr_text.find("--install-ca"), std::string::npos) << refused.stderr_text;

  // --install-ca shows the fingerprint, then installs into ~/.pki/CA.
  auto installed = viewer({"--install-ca", pki().ca, "--yes"}, "install-ca");
  EXPECT_EQ(installed.exit_code, 0) << installed.stderr_text;
  const std::string fingerprint = pem_sha256_fingerprint(pki().ca);
  ASSERT_FALSE(fingerprint.empty());
  EXPECT_NE(installed.stderr_text.find(fingerprint), std::string::npos) << installed.stderr_text;
  EXPECT_EQ(read_file(private_home() + "/.pki/CA/cacert.pem").find("-----BEGIN CERTIFICATE-----"),
            0u);

  const std::string shot = dir_.file("tls.png");
  auto r = viewer({"--ca", pki().ca, "--screenshot", shot, link}, "x509");
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(
      r.stderr_text.find("VeNCrypt X509SASL (TLS with a verified certificate; password login)"),
      std::string::npos)
      << r.stderr_text;
  std::string error;
  auto image = load_png(shot, error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->width, backend.width());
  EXPECT_EQ(image->height, backend.height());

  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_TRUE(std::regex_match(audit_field(*audit, "tls"), std::regex(kTlsDescription)))
      << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "DIGEST-MD5") << to_string(*audit);
}

TEST_F(ViewerTlsTest, UntrustedCertificateIsRefusedWithItsFingerprint) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("digest-md5");
  add_static_console("t2", 320, 240);
  configure_tls(pki().server_other_ca, "x509-sasl");
  daemon_.config().set("tls", "offer-plain-sasl", "false");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);

  auto r = viewer({"--non-interactive", link_to("t2")}, "untrusted");
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("The secure (TLS) connection failed"), std::string::npos)
      << r.stderr_text;
  const std::string fingerprint = pem_sha256_fingerprint(pki().server_other_ca.cert);
  ASSERT_FALSE(fingerprint.empty());
  EXPECT_NE(r.stderr_text.find("SHA-256 fingerprint: " + fingerprint), std::string::npos)
      << r.stderr_text;
  EXPECT_EQ(r.stderr_text.find("Logging in"), std::string::npos);
  EXPECT_EQ(daemon_.count_log(std::regex("authenticated as")), 0)
      << "logged in over an untrusted TLS";
}

TEST_F(ViewerTlsTest, ClientCertificateLogsInWithoutADialog) {
  REQUIRE_PRIVATE_HOME();
  XvncBackend &backend = add_static_console("t4", 640, 480);
  console_key("t4", "allowed-users", "alice");
  configure_tls(pki().server, "x509-none");
  daemon_.config().set("tls", "verify-client", "require");
  daemon_.config().set("tls", "offer-plain-sasl", "false");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  // Where gtk-vnc looks for the viewer's client certificate (README).
  install_gvnc_client_cert("vncgate-viewer", pki().alice.cert, pki().alice.key);

  const std::string shot = dir_.file("x509none.png");
  auto r = run_viewer({"--screenshot", shot, link_to("t4")},
                      {{"DISPLAY", xvfb_->name()}, {"XDG_RUNTIME_DIR", runtime_dir_}},
                      dir_.file("x509none.out"), std::chrono::seconds(30));
  ASSERT_EQ(r.exit_code, 0) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("VeNCrypt X509None (TLS with a verified certificate"),
            std::string::npos)
      << r.stderr_text;
  std::string error;
  auto image = load_png(shot, error);
  ASSERT_TRUE(image) << error;
  EXPECT_EQ(image->width, backend.width());
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "cert"), "CN=alice") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "user"), "alice") << to_string(*audit);
}

TEST_F(ViewerTlsTest, LinkAskingForTlsRefusesAGatewayWithout) {
  set_mech_list("digest-md5");
  add_static_console("t3", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());  // no [tls]: SASL on plain TCP only
  auto r = viewer({"--non-interactive", link_to("t3", "?tls=x509")}, "no-tls");
  EXPECT_EQ(r.exit_code, 1) << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("offers no security type this viewer accepts"), std::string::npos)
      << r.stderr_text;
  EXPECT_NE(r.stderr_text.find("the server offers: SASL"), std::string::npos) << r.stderr_text;
}

}  // namespace
}  // namespace vncgate::it::tls
