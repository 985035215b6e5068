// Password-guessing limits never lock a user out: while alice's password
// logins are throttled after wrong DIGEST-MD5 passwords from other
// addresses, her client certificate (x509-none, gtk-vnc) logs in at once.
#include <gtest/gtest.h>

#include <regex>

#include "rfb_test_client.h"
#include "tls_gateway_test.h"

namespace vncgate::it::tls {
namespace {

using vncgate::testing::printable;
using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

class TlsLoginLimitsTest : public TlsGatewayTest {};

TEST_F(TlsLoginLimitsTest, CertificateLoginOfAThrottledUserSucceedsAtOnce) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("digest-md5");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "x509-none");
  daemon_.config()
      .set("tls", "verify-client", "require")
      .set("tls", "offer-plain-sasl", "true")
      .set("gateway", "guess-threshold", "3")
      .set("gateway", "guess-user-rate", "1")
      .set("sasl", "auth-failure-delay", "0");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  install_gvnc_client_cert("alice", pki().alice.cert, pki().alice.key);

  for (int i = 0; i < 3; ++i) {
    std::string r = digest_login("127.0.0." + std::to_string(2 + i), "guess");
    EXPECT_NE(r.find("authentication failed"), std::string::npos) << r;
  }
  EXPECT_LOG(daemon_, ".*login limits: 3 failed password logins of user:alice .*", 5s);
  // Her right password is refused now, whatever the address...
  std::string r = digest_login("127.0.0.9", kAlicePassword);
  EXPECT_NE(r.find("too many login attempts for this user"), std::string::npos) << r;

  // ...but her certificate logs in at once.
  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509None, "", "");
  options.client_name = "alice";
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  EXPECT_FALSE(client.asked_password());
  client.close();
  EXPECT_LOG(daemon_, R"(.*authenticated as alice with x509-none, SSF (128|256)$)", 5s);
}

TEST_F(TlsLoginLimitsTest, RefusedSourceGetsTheReasonWithItsCertificate) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("digest-md5");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "x509-none");
  daemon_.config()
      .set("tls", "verify-client", "require")
      .set("tls", "offer-plain-sasl", "true")
      .set("gateway", "guess-threshold", "3")
      .set("sasl", "auth-failure-delay", "0");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  install_gvnc_client_cert("alice", pki().alice.cert, pki().alice.key);
  for (int i = 0; i < 3; ++i) digest_login("127.0.0.1", "guess");
  EXPECT_LOG(daemon_, ".*login limits: refusing 127\\.0\\.0\\.1 until .*", 5s);

  // The source is refused whatever the credential: the failed SecurityResult
  // after the TLS handshake says why.
  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509None, "", "");
  options.client_name = "alice";
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_disconnected(15s)) << client.describe();
  EXPECT_FALSE(client.initialized()) << client.describe();
  EXPECT_NE(client.auth_failure_reason().find("too many failed logins from your address"),
            std::string::npos)
      << client.describe();
  EXPECT_EQ(daemon_.count_log(std::regex(".*authenticated as alice.*")), 0);
}

}  // namespace
}  // namespace vncgate::it::tls
