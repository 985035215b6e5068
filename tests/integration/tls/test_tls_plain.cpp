// VeNCrypt X509Plain (262) and TLSPlain (259): a user name and a password
// inside TLS, checked by Cyrus (sasl_checkpass against the test's private
// sasldb), with gtk-vnc as the client: it reaches the console; a wrong
// password gets the failed SecurityResult's reason, is counted by the
// password-guessing limits like a failed SASL PLAIN, and the locked-out
// address is refused before Cyrus is asked; a user throttled after failed
// SASL logins is refused even with the right Plain password; the password never crosses
// the wire outside TLS; a gateway without TLS offers no Plain subtype.
#include <gtest/gtest.h>

#include <regex>

#include "rfb_test_client.h"
#include "tls_gateway_test.h"
#include "tls_probe.h"

namespace vncgate::it::tls {
namespace {

using vncgate::testing::printable;
using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

inline constexpr unsigned kTlsPlain = 259;
inline constexpr unsigned kX509Plain = 262;

class TlsPlainTest : public TlsGatewayTest {
 protected:
  // A gateway whose console offers only `subtypes` (no SASL on plain TCP).
  void start_plain_gateway(const std::string &subtypes) {
    backend_ = &add_static_console("c1", 640, 480);
    console_key("c1", "allowed-users", "alice");
    configure_tls(pki().server, subtypes);
    daemon_.config()
        .set("tls", "offer-plain-sasl", "false")
        .set("gateway", "guess-threshold", "3")
        .set("sasl", "auth-failure-delay", "0");
    ASSERT_NO_FATAL_FAILURE(start_daemon());
    install_gvnc_ca(pki().ca);
  }

  // A Plain login by gtk-vnc; the failed SecurityResult's reason, or "OK"
  // once the console's first full update arrived.
  std::string plain_login(unsigned subtype, const std::string &password) {
    VencryptGvncClient client(vencrypt_via_gateway("c1", subtype, "alice", password));
    std::string error;
    if (!client.open(error)) return "open: " + error;
    if (!client.run_until([&] { return client.initialized() || client.disconnected(); }, 15s))
      return "no outcome: " + client.describe();
    if (client.initialized()) return client.wait_full_update(15s) ? "OK" : client.describe();
    return client.auth_failure_reason().empty() ? client.describe() : client.auth_failure_reason();
  }

  XvncBackend *backend_ = nullptr;
};

TEST_F(TlsPlainTest, X509PlainLogsInToTheConsoleWithThePasswordOnlyInsideTls) {
  REQUIRE_PRIVATE_HOME();
  ASSERT_NO_FATAL_FAILURE(start_plain_gateway("x509-plain"));
  const XvncBackend &backend = *backend_;
  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509Plain);
  options.wire_tap = true;
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
  EXPECT_EQ(client.offered_types(), std::vector<unsigned>{kSecVeNCrypt});
  EXPECT_EQ(client.offered_subtypes(), std::vector<unsigned>{kX509Plain});
  EXPECT_TRUE(client.asked_for_user_credentials());
  EXPECT_EQ(client.width(), backend.width());
  EXPECT_EQ(client.height(), backend.height());
  EXPECT_EQ(client.desktop_name(), backend.desktop_name());
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();

  // version, 1 type (19), VeNCrypt 0.2, OK, 1 subtype (262), accepted,
  // then TLS: neither the user nor the password is readable.
  const std::string s2c = client.wire_server_to_client();
  const std::string c2s = client.wire_client_to_server();
  const std::string negotiation =
      std::string("RFB 003.008\n\x01\x13") + std::string("\x00\x02\x00\x01\x00\x00\x01\x06\x01", 9);
  ASSERT_GT(s2c.size(), negotiation.size() + 5);
  EXPECT_EQ(s2c.substr(0, negotiation.size()), negotiation);
  EXPECT_EQ(s2c[negotiation.size()], '\x16') << "no TLS handshake record after the accept byte";
  EXPECT_EQ(c2s.find(kAlicePassword), std::string::npos);
  EXPECT_EQ(c2s.find("alice"), std::string::npos);
  client.close();

  EXPECT_LOG(daemon_, R"(.*authenticated as alice@VNCGATE\.TEST with x509-plain, SSF (128|256)$)",
             5s);
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  // Cyrus' canonical name, as after SASL PLAIN ([sasl] strip-realm is off).
  EXPECT_EQ(audit_field(*audit, "user"), "alice@VNCGATE.TEST") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "x509-plain") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "client closed") << to_string(*audit);
  EXPECT_TRUE(std::regex_match(audit_field(*audit, "tls"), std::regex(kTlsDescription)))
      << to_string(*audit);
  EXPECT_EQ(daemon_.log().find(kAlicePassword), std::string::npos) << "password in the log";
}

TEST_F(TlsPlainTest, TlsPlainLogsInOverAnonymousTls) {
  REQUIRE_PRIVATE_HOME();
  ASSERT_NO_FATAL_FAILURE(start_plain_gateway("tls-plain"));
  EXPECT_EQ(plain_login(kTlsPlain, kAlicePassword), "OK");
  EXPECT_LOG(daemon_, R"(.*authenticated as alice@VNCGATE\.TEST with tls-plain, SSF (128|256)$)",
             5s);
}

TEST_F(TlsPlainTest, WrongPasswordsAreRefusedCountedAndLockTheAddressOut) {
  REQUIRE_PRIVATE_HOME();
  ASSERT_NO_FATAL_FAILURE(start_plain_gateway("x509-plain"));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(plain_login(kX509Plain, "guess"), "authentication failed");
  EXPECT_LOG(daemon_, ".*login limits: refusing 127\\.0\\.0\\.1 until .*", 5s);
  auto audit = daemon_.wait_for_audit(10s, 3);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "user"), "alice") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "x509-plain") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "authentication failed") << to_string(*audit);

  // Now even the right password is refused, with the reason, before Cyrus
  // checks it.
  const int checks = daemon_.count_log(std::regex(".*authentication failed for .*"));
  std::string r = plain_login(kX509Plain, kAlicePassword);
  EXPECT_NE(r.find("too many failed logins from your address"), std::string::npos) << r;
  EXPECT_EQ(daemon_.count_log(std::regex(".*authenticated as alice.*")), 0);
  EXPECT_EQ(daemon_.count_log(std::regex(".*authentication failed for .*")), checks);
  EXPECT_EQ(daemon_.log().find("guess"), std::string::npos) << "password in the log";
}

// A DIGEST-MD5 login (type 20 on plain TCP) from `source`: the failed
// SecurityResult's reason, "OK" on success, or what went wrong.
std::string digest_login(uint16_t port, const std::string &source, const std::string &password) {
  RfbSaslTestClient c(5000);
  c.set_source_address(source);
  if (!c.connect("127.0.0.1", port)) return "connect: " + c.error();
  if (c.http_connect("/console/c1") != 200) return "CONNECT: " + c.error();
  if (!c.exchange_version(8)) return c.error();
  if (!c.read_security_types()) return "no types: " + c.refusal_reason() + c.error();
  if (!c.choose_security_type(20)) return c.error();
  SaslClientOptions options;
  options.authname = "alice";
  options.password = password;
  options.min_ssf = 56;
  options.force_mechlist = "DIGEST-MD5";
  auto outcome = c.sasl_authenticate(options);
  if (!outcome.server_complete) return "SASL: " + outcome.error;
  auto result = c.read_security_result();
  if (!result) return c.error();
  return result->ok() ? "OK" : printable(result->reason);
}

// SASL and Plain password logins share the user's limits: after wrong
// DIGEST-MD5 passwords from other addresses, even the right Plain password
// is refused (the same answer as a wrong one, so the guess is not revealed).
TEST_F(TlsPlainTest, ThrottledUserIsRefusedWithTheRightPlainPassword) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("digest-md5");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "x509-plain");
  daemon_.config()
      .set("tls", "offer-plain-sasl", "true")
      .set("gateway", "guess-threshold", "3")
      .set("gateway", "guess-user-rate", "1")
      .set("sasl", "auth-failure-delay", "0");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  for (int i = 0; i < 3; ++i) {
    std::string r = digest_login(daemon_.gateway_port(), "127.0.0." + std::to_string(2 + i), "x");
    EXPECT_NE(r.find("authentication failed"), std::string::npos) << r;
  }
  EXPECT_LOG(daemon_, ".*login limits: 3 failed password logins of user:alice .*", 5s);

  std::string r = plain_login(kX509Plain, kAlicePassword);
  EXPECT_NE(r.find("too many login attempts for this user"), std::string::npos) << r;
  EXPECT_EQ(daemon_.count_log(std::regex(".*connected to console.*")), 0);
}

TEST_F(TlsPlainTest, AGatewayWithoutTlsOffersNoPlainSubtype) {
  add_static_console("c1", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());  // no [tls]: SASL on plain TCP only
  TlsProbeOptions o;
  o.port = daemon_.gateway_port();
  o.console = "c1";
  TlsProbeResult r = probe_vencrypt(o);
  EXPECT_EQ(r.types, std::vector<uint8_t>{kSecSasl}) << describe(r);
  EXPECT_TRUE(r.subtypes.empty()) << describe(r);
}

TEST_F(TlsPlainTest, PlainWithoutTlsIsRefusedByTheConfiguration) {
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "x509-plain, plain");
  expect_daemon_alive_ = false;
  std::string error;
  ASSERT_FALSE(daemon_.start(error, 10s)) << "vncgated started with subtypes=plain";
  EXPECT_TRUE(std::regex_search(daemon_.log(), std::regex("subtype 'plain' would send the password "
                                                          "without TLS; use x509-plain")))
      << daemon_.log();
}

}  // namespace
}  // namespace vncgate::it::tls
