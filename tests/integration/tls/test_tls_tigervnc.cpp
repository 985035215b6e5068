// TigerVNC's vncviewer (1.12) under Xvfb against vncgated. TigerVNC has no
// SASL, so VeNCrypt X509None is its only way in, and vncgated allows
// x509-none only with verify-client=require (the client certificate is the
// credential). TigerVNC 1.12 cannot present a client certificate (its only
// X.509 options are X509CA and X509CRL), so it cannot log in: this test
// checks that it gets as far as X509None with the gateway's certificate
// trusted, and that vncgated refuses it for want of a client certificate,
// with a log line and an audit record, while it never reaches the console.
// vncviewer waits in an error dialog on failure: it runs under `timeout`
// and is killed (with its process group) at the end.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <csignal>
#include <random>
#include <regex>

#include "subprocess.h"
#include "tls_gateway_test.h"
#include "wait.h"
#include "xvnc_backend.h"

namespace vncgate::it::tls {
namespace {

bool display_free(int display) {
  struct stat st;
  return stat(("/tmp/.X" + std::to_string(display) + "-lock").c_str(), &st) != 0 &&
         stat(("/tmp/.X11-unix/X" + std::to_string(display)).c_str(), &st) != 0;
}

// Xvfb on a free display number, up once its socket exists.
class Xvfb {
 public:
  ~Xvfb() {
    process_.kill_and_reap();
    if (display_ >= 0) remove_x_display_files(display_);
  }
  bool start(const std::string &log_path, std::string &error) {
    std::mt19937 rng{std::random_device{}()};
    std::uniform_int_distribution<int> displays(5000, 9999);
    for (int attempt = 0; attempt < 6; ++attempt) {
      int display = displays(rng);
      if (!display_free(display)) continue;
      SpawnOptions o;
      o.argv = {"Xvfb", ":" + std::to_string(display), "-screen", "0", "1024x768x24", "-nolisten",
                "tcp"};
      o.stdout_path = log_path;
      o.stderr_path = log_path;
      if (!process_.start(o, error)) return false;
      const std::string sock = "/tmp/.X11-unix/X" + std::to_string(display);
      struct stat st;
      bool up =
          wait_until([&] { return !process_.running() || stat(sock.c_str(), &st) == 0; }, 10s);
      if (up && process_.running()) {
        display_ = display;
        return true;
      }
      process_.kill_and_reap();
    }
    error = "Xvfb did not start: " + read_file(log_path);
    return false;
  }
  std::string display() const { return ":" + std::to_string(display_); }

 private:
  Subprocess process_;
  int display_ = -1;
};

class TlsTigerVncTest : public TlsGatewayTest {
 protected:
  void TearDown() override {
    stop_viewer();
    if (HasFailure())
      std::cerr << "---- vncviewer log ----\n" << read_file(viewer_log_) << "----\n";
    TlsGatewayTest::TearDown();
  }

  // `timeout` makes itself a process group leader: end the whole group.
  void stop_viewer() {
    if (!viewer_.running()) return;
    ::kill(-viewer_.pid(), SIGTERM);
    if (!viewer_.wait(5s)) ::kill(-viewer_.pid(), SIGKILL);
    viewer_.kill_and_reap();
  }

  Subprocess viewer_;
  std::string viewer_log_;
};

TEST_F(TlsTigerVncTest, X509NoneWithoutClientCertificateIsRefused) {
  if (find_program("vncviewer").empty()) GTEST_SKIP() << "vncviewer (tigervnc-viewer) missing";
  if (find_program("Xvfb").empty()) GTEST_SKIP() << "Xvfb (xvfb) missing";
  add_static_console("c1", 320, 240);
  const uint16_t port = free_loopback_port();
  console_key("c1", "port", std::to_string(port));
  console_key("c1", "allowed-users", "alice");
  configure_tls(pki().server, "x509-none");
  daemon_.config().set("tls", "verify-client", "require");
  daemon_.config().set("tls", "offer-plain-sasl", "false");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  Xvfb xvfb;
  std::string error;
  ASSERT_TRUE(xvfb.start(dir_.file("xvfb.log"), error)) << error;
  const std::string home = dir_.subdir("viewer-home");
  viewer_log_ = dir_.file("vncviewer.log");
  SpawnOptions o;
  o.argv = {"timeout",  "30",      "vncviewer", "-SecurityTypes",
            "X509None", "-X509CA", pki().ca,    "127.0.0.1::" + std::to_string(port)};
  o.env = {{"DISPLAY", xvfb.display()}, {"HOME", home}};
  o.stdout_path = viewer_log_;
  o.stderr_path = viewer_log_;
  ASSERT_TRUE(viewer_.start(o, error)) << error;

  // vncgated: the TLS handshake fails because no client certificate came.
  auto line = daemon_.wait_for_log(std::regex(R"(: TLS with 127\.0\.0\.1:\d+ failed: )"), 20s);
  ASSERT_TRUE(line) << "vncgated logged no TLS failure for vncviewer";
  EXPECT_TRUE(std::regex_search(*line, std::regex("Certificate is required"))) << *line;
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "console"), "c1") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "x509-none") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
  EXPECT_TRUE(audit_field(*audit, "end").starts_with("TLS handshake failed: "))
      << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end").find("failed: TLS handshake failed"), std::string::npos)
      << "reason given twice: " << to_string(*audit);
  EXPECT_EQ(daemon_.count_log(std::regex("connected to console")), 0);

  // vncviewer chose X509None inside VeNCrypt and reports the failure (the
  // daemon closes without a TLS alert, so the viewer only sees the end).
  const std::regex chose(R"(CVeNCrypt: +Choosing security type X509None \(260\))");
  const std::regex failed(R"(readTLS: .+)");
  EXPECT_TRUE(wait_until(
      [&] {
        const std::string text = read_file(viewer_log_);
        return std::regex_search(text, chose) && std::regex_search(text, failed);
      },
      10s))
      << read_file(viewer_log_);
  EXPECT_NE(read_file(viewer_log_).find("Connected to host 127.0.0.1 port " + std::to_string(port)),
            std::string::npos)
      << read_file(viewer_log_);
}

}  // namespace
}  // namespace vncgate::it::tls
