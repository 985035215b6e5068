// TLS toward the backend: a console with backend-tls=x509 reaches QEMU
// whose VNC server requires tls-creds-x509 (VeNCrypt X509None), verifying
// QEMU's certificate against backend-ca and the backend's address. The
// client side is plain type 20 (gtk-vnc, DIGEST-MD5). A backend
// certificate from another CA, or one that does not carry the expected
// name, is refused: the client gets a failed SecurityResult, the operator
// a log line naming the console, the backend and the reason.
#include <gtest/gtest.h>

#include <regex>

#include "gvnc_client.h"
#include "qemu_tls_backend.h"
#include "tls_gateway_test.h"
#include "wait.h"

namespace vncgate::it::tls {
namespace {

class TlsBackendTest : public TlsGatewayTest {
 protected:
  // Console q1 on a QEMU presenting `server` (issued by `qemu_ca`).
  void add_qemu_console(const std::string &qemu_ca, const CertKey &server) {
    std::string error;
    ASSERT_TRUE(qemu_.start(dir_.subdir("qemu"), qemu_ca, server, error)) << error;
    console_key("q1", "backend", qemu_.address());
    console_key("q1", "backend-tls", "x509");
    console_key("q1", "backend-ca", pki().ca);
  }

  void TearDown() override {
    if (HasFailure())
      std::cerr << "---- QEMU log ----\n"
                << qemu_.log() << "---- QEMU vnc_auth trace ----\n"
                << qemu_.trace() << "----\n";
    TlsGatewayTest::TearDown();
  }

  // gtk-vnc through the gateway; expects the backend to be refused.
  void expect_backend_refused(const std::string &reason_pattern) {
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    GvncClient client(via_gateway("q1"));
    std::string error;
    ASSERT_TRUE(client.open(error)) << error;
    ASSERT_TRUE(client.wait_disconnected(20s)) << client.describe();
    EXPECT_FALSE(client.initialized()) << client.describe();
    EXPECT_TRUE(client.auth_failed()) << client.describe();
    EXPECT_EQ(client.auth_failure_reason(), "the console is not reachable") << client.describe();

    const std::string backend = std::regex_replace(qemu_.address(), std::regex(R"(\.)"), R"(\.)");
    auto line = daemon_.wait_for_log(
        std::regex("console q1: backend " + backend +
                   ": TLS handshake failed: the backend certificate did not verify: "),
        5s);
    ASSERT_TRUE(line) << "no operator log line for the refused backend certificate";
    EXPECT_TRUE(std::regex_search(*line, std::regex(reason_pattern))) << *line;
    auto audit = daemon_.wait_for_audit(10s);
    ASSERT_TRUE(audit);
    EXPECT_EQ(audit_field(*audit, "end"), "backend unavailable") << to_string(*audit);
  }

  QemuTlsBackend qemu_;
};

TEST_F(TlsBackendTest, QemuWithTlsCredentials) {
  ASSERT_NO_FATAL_FAILURE(add_qemu_console(pki().ca, pki().server));
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient client(via_gateway("q1"));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(20s)) << client.describe();
  EXPECT_EQ(client.desktop_name(), "QEMU");
  // Depending on how far the guest booted, the first size may still be
  // the VGA default; SeaBIOS' text screen is 720x400.
  EXPECT_TRUE(client.run_until(
      [&] { return client.disconnected() || (client.width() == 720 && client.height() == 400); },
      20s))
      << client.describe();
  EXPECT_EQ(client.width(), 720);
  EXPECT_EQ(client.height(), 400);
  ASSERT_TRUE(client.wait_full_update(20s)) << client.describe();
  EXPECT_TRUE(client.refresh(10s)) << client.describe();

  // QEMU saw VeNCrypt with X509None (260) from the gateway.
  EXPECT_TRUE(wait_until(
      [&] { return qemu_.trace().find("vnc_auth_vencrypt_subauth") != std::string::npos; }, 5s))
      << qemu_.trace();
  EXPECT_TRUE(
      std::regex_search(qemu_.trace(), std::regex(R"(vnc_auth_vencrypt_subauth .*auth=260)")))
      << qemu_.trace();

  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  EXPECT_EQ(audit_field(*audit, "console"), "q1") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "DIGEST-MD5") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "client closed") << to_string(*audit);
}

TEST_F(TlsBackendTest, BackendCertificateFromUnknownCaIsRefused) {
  ASSERT_NO_FATAL_FAILURE(add_qemu_console(pki().other_ca, pki().server_other_ca));
  expect_backend_refused("issuer is unknown");
}

TEST_F(TlsBackendTest, BackendCertificateForAnotherNameIsRefused) {
  ASSERT_NO_FATAL_FAILURE(add_qemu_console(pki().ca, pki().server));
  console_key("q1", "backend-tls-name", "console.example");
  expect_backend_refused("does not match");
}

}  // namespace
}  // namespace vncgate::it::tls
