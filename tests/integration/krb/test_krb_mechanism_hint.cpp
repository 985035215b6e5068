// One gateway for Kerberos and password users (issue 16.1): the CONNECT's
// Vncgate-Auth header narrows the SASL mechanisms vncgated offers on that
// connection, read here as the mechlist bytes on the wire. kerberos leaves
// GSSAPI, password leaves DIGEST-MD5 (and a password login then works); no
// header, an unknown value, or a dedicated console port leaves what policy
// offers; a hint that leaves nothing is refused with a reason naming it;
// and a hint never adds a mechanism that policy (min-ssf, mech_list) keeps
// out.
#include <gtest/gtest.h>

#include <regex>

#include "krb_test.h"
#include "raw_socket.h"
#include "rfb_test_client.h"

namespace vncgate::it {
namespace {

using vncgate::testing::RfbSaslTestClient;

class KrbMechanismHintTest : public KrbGatewayTest {
 protected:
  // CONNECT with `headers`, version 3.8, security type 20: the mechlist.
  std::string offered(const std::string &headers) {
    RfbSaslTestClient c(10000);
    EXPECT_TRUE(c.connect("localhost", daemon_.gateway_port())) << c.error();
    EXPECT_EQ(c.http_connect("/console/k1", "HTTP/1.1", headers), 200) << c.http_response();
    EXPECT_TRUE(c.exchange_version(8)) << c.error();
    auto types = c.read_security_types();
    if (!types) return "refused: " + c.refusal_reason();
    EXPECT_TRUE(c.choose_security_type(20)) << c.error();
    auto mechs = c.read_sasl_mechlist();
    EXPECT_TRUE(mechs) << c.error();
    return mechs.value_or("");
  }
};

TEST_F(KrbMechanismHintTest, TheHintNarrowsTheOfferedMechanisms) {
  add_static_console("k1", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string all = offered("");
  EXPECT_NE(all.find("GSSAPI"), std::string::npos) << all;
  EXPECT_NE(all.find("DIGEST-MD5"), std::string::npos) << all;
  EXPECT_EQ(offered("Vncgate-Auth: kerberos\r\n"), "GSSAPI");
  EXPECT_EQ(offered("Vncgate-Auth: password\r\n"), "DIGEST-MD5");
  EXPECT_EQ(offered("vncgate-auth:  PASSWORD\r\n"), "DIGEST-MD5");
  EXPECT_EQ(offered("Vncgate-Auth: smartcard\r\n"), all);  // unknown: ignored

  RfbSaslTestClient twice(10000);
  ASSERT_TRUE(twice.connect("localhost", daemon_.gateway_port())) << twice.error();
  EXPECT_EQ(twice.http_connect("/console/k1", "HTTP/1.1",
                               "Vncgate-Auth: kerberos\r\nVncgate-Auth: password\r\n"),
            400);
}

TEST_F(KrbMechanismHintTest, DedicatedPortsOfferEverything) {
  add_static_console("k1", 320, 240);
  const uint16_t port = free_loopback_port();
  console_key("k1", "port", std::to_string(port));
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  RfbSaslTestClient c(10000);
  ASSERT_TRUE(c.connect("localhost", port)) << c.error();
  ASSERT_TRUE(c.exchange_version(8)) << c.error();
  ASSERT_TRUE(c.read_security_types()) << c.error();
  ASSERT_TRUE(c.choose_security_type(20)) << c.error();
  auto mechs = c.read_sasl_mechlist();
  ASSERT_TRUE(mechs) << c.error();
  EXPECT_EQ(*mechs, offered(""));
  EXPECT_NE(mechs->find("GSSAPI"), std::string::npos) << *mechs;
  EXPECT_NE(mechs->find("DIGEST-MD5"), std::string::npos) << *mechs;
}

TEST_F(KrbMechanismHintTest, APasswordUserLogsInOnThePasswordOnlyConnection) {
  XvncBackend &backend = add_static_console("k1", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  RfbSaslTestClient pw(10000);
  ASSERT_TRUE(pw.connect("localhost", daemon_.gateway_port())) << pw.error();
  ASSERT_EQ(pw.http_connect("/console/k1", "HTTP/1.1", "Vncgate-Auth: password\r\n"), 200);
  vncgate::testing::SaslClientOptions options;
  options.authname = "alice";
  options.password = kDigestAlicePassword;
  options.min_ssf = 56;
  options.max_ssf = 256;
  vncgate::testing::SaslOutcome outcome;
  ASSERT_TRUE(pw.handshake_sasl("", options, &outcome)) << pw.error() << " " << outcome.error;
  EXPECT_EQ(outcome.mechlist, "DIGEST-MD5");
  EXPECT_EQ(outcome.mechanism, "DIGEST-MD5");
  ASSERT_TRUE(pw.client_init()) << pw.error();
  auto init = pw.read_server_init();
  ASSERT_TRUE(init) << pw.error();
  EXPECT_EQ(init->width, backend.width());
}

TEST_F(KrbMechanismHintTest, AHintThatLeavesNothingIsRefusedNamingIt) {
  add_static_console("k1", 320, 240);
  set_mech_list("digest-md5");  // no Kerberos on this gateway
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_EQ(offered("Vncgate-Auth: password\r\n"), "DIGEST-MD5");
  const std::string refused = offered("Vncgate-Auth: kerberos\r\n");
  EXPECT_EQ(refused, "refused: no authentication method is available on this gateway for kerberos");
  // The operator's record names the hint (no error: the client asked).
  auto audit = daemon_.wait_for_audit(10s, 2);
  ASSERT_TRUE(audit) << daemon_.log();
  EXPECT_EQ(audit_value(*audit, "end"), "no SASL mechanism left for Vncgate-Auth: kerberos")
      << to_string(*audit);
  EXPECT_EQ(daemon_.count_log(std::regex(".*error: .*Vncgate-Auth.*")), 0) << daemon_.log();
}

TEST_F(KrbMechanismHintTest, AHintNeverGoesBeyondPolicy) {
  add_static_console("k1", 320, 240);
  // SCRAM has no security layer: min-ssf=56 keeps it out, with or without
  // a hint.
  set_mech_list("gssapi scram-sha-256");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_EQ(offered(""), "GSSAPI");
  EXPECT_EQ(offered("Vncgate-Auth: kerberos\r\n"), "GSSAPI");
  EXPECT_EQ(offered("Vncgate-Auth: password\r\n"),
            "refused: no authentication method is available on this gateway for password");
}

}  // namespace
}  // namespace vncgate::it
