// gtk-vnc (libgvnc) through vncgated over VeNCrypt: X509SASL with
// SCRAM-SHA-256 and DIGEST-MD5 from the sasldb, TLSSASL (anonymous DH),
// X509None with a client certificate whose CN is the user, and the
// refusals: no client certificate, a CN not in allowed-users, a client
// certificate from an unknown CA, and a server certificate from a CA the
// client does not trust. Each test checks what gtk-vnc reports and what
// the daemon logs (audit record with tls= and cert=).
#include <gtest/gtest.h>

#include <regex>

#include "tls_gateway_test.h"
#include "tls_probe.h"

namespace vncgate::it::tls {
namespace {

class TlsGvncTest : public TlsGatewayTest {};

// The SSF vncgated reports inside X.509 TLS is the cipher's key size.
int expected_ssf(const std::string &tls_description) {
  if (tls_description.find("AES-128") != std::string::npos) return 128;
  if (tls_description.find("AES-256") != std::string::npos) return 256;
  if (tls_description.find("CHACHA20") != std::string::npos) return 256;
  return -1;
}

// `user` is a regex: SASL user names may carry the realm.
void expect_tls_audit(const AuditRecord &a, const std::string &user, const std::string &mechanism,
                      const std::string &end = "client closed") {
  EXPECT_TRUE(std::regex_match(audit_field(a, "user"), std::regex(user))) << to_string(a);
  EXPECT_EQ(audit_field(a, "mechanism"), mechanism) << to_string(a);
  EXPECT_EQ(audit_field(a, "end"), end) << to_string(a);
  EXPECT_TRUE(std::regex_match(audit_field(a, "tls"), std::regex(kTlsDescription))) << to_string(a);
}

constexpr const char *kAlice = R"(alice(@VNCGATE\.TEST)?)";
constexpr const char *kBob = R"(bob(@VNCGATE\.TEST)?)";

TEST_F(TlsGvncTest, X509SaslWithScramSha256) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("scram-sha-256");
  XvncBackend &backend = add_static_console("c1", 640, 480);
  configure_tls(pki().server, "x509-sasl");
  // SCRAM has no security layer, so it is not usable with type 20 on plain
  // TCP (min-ssf 56): VeNCrypt only.
  daemon_.config().set("tls", "offer-plain-sasl", "false");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);

  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509Sasl);
  options.wire_tap = true;
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
  EXPECT_EQ(client.offered_types(), std::vector<unsigned>{kSecVeNCrypt});
  EXPECT_EQ(client.offered_subtypes(), std::vector<unsigned>{kX509Sasl});
  EXPECT_TRUE(client.asked_password());
  EXPECT_EQ(client.width(), backend.width());
  EXPECT_EQ(client.height(), backend.height());
  EXPECT_EQ(client.desktop_name(), backend.desktop_name());
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();

  // On the wire: the VeNCrypt negotiation in clear, then only TLS records;
  // neither the mechanism, the user nor the desktop name is readable.
  const std::string s2c = client.wire_server_to_client();
  const std::string c2s = client.wire_client_to_server();
  // version, 1 type (19), VeNCrypt 0.2, OK, 1 subtype (263), accepted
  const std::string negotiation =
      std::string("RFB 003.008\n\x01\x13") + std::string("\x00\x02\x00\x01\x00\x00\x01\x07\x01", 9);
  ASSERT_GT(s2c.size(), negotiation.size() + 5);
  EXPECT_EQ(s2c.substr(0, negotiation.size()), negotiation);
  EXPECT_EQ(s2c[negotiation.size()], '\x16') << "no TLS handshake record after the accept byte";
  EXPECT_EQ(s2c.find(backend.desktop_name()), std::string::npos);
  EXPECT_EQ(s2c.find("SCRAM-SHA-256"), std::string::npos);
  EXPECT_EQ(c2s.find("SCRAM-SHA-256"), std::string::npos);
  EXPECT_EQ(c2s.find("alice"), std::string::npos);

  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  expect_tls_audit(*audit, kAlice, "SCRAM-SHA-256");
  EXPECT_EQ(audit->count("cert"), 0u) << "no client certificate was sent: " << to_string(*audit);
  EXPECT_LOG(daemon_, R"(authenticated as alice(@VNCGATE\.TEST)? with SCRAM-SHA-256, SSF \d+$)",
             1s);
}

TEST_F(TlsGvncTest, X509SaslWithDigestMd5) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("digest-md5");
  XvncBackend &backend = add_static_console("c1", 640, 480);
  configure_tls(pki().server, "x509-sasl");  // offer-plain-sasl=true by default
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);

  VencryptGvncClient client(vencrypt_via_gateway("c1", kX509Sasl, "bob", kBobPassword));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  EXPECT_EQ(client.offered_types(), (std::vector<unsigned>{kSecVeNCrypt, kSecSasl}));
  EXPECT_EQ(client.desktop_name(), backend.desktop_name());

  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  expect_tls_audit(*audit, kBob, "DIGEST-MD5");
}

TEST_F(TlsGvncTest, X509SaslWrongPasswordFails) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("scram-sha-256");
  add_static_console("c1", 640, 480);
  configure_tls(pki().server, "x509-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);

  VencryptGvncClient client(vencrypt_via_gateway("c1", kX509Sasl, "alice", "not-the-password"));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_disconnected(15s)) << client.describe();
  EXPECT_FALSE(client.initialized());
  EXPECT_TRUE(client.auth_failed()) << client.describe();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "SCRAM-SHA-256") << to_string(*audit);
  EXPECT_TRUE(std::regex_match(audit_field(*audit, "tls"), std::regex(kTlsDescription)))
      << to_string(*audit);
  EXPECT_NE(audit_field(*audit, "end"), "client closed") << to_string(*audit);
}

TEST_F(TlsGvncTest, TlsSaslWithScramSha256) {
  // Anonymous TLS needs no certificate on the client: no ~/.pki involved.
  set_mech_list("scram-sha-256 plain");
  XvncBackend &backend = add_static_console("c1", 640, 480);
  configure_tls(pki().server, "tls-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  VencryptGvncClient client(vencrypt_via_gateway("c1", kTlsSasl));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  EXPECT_EQ(client.offered_subtypes(), std::vector<unsigned>{kTlsSasl});
  EXPECT_FALSE(client.asked_client_name()) << "anonymous TLS asked for X.509 credentials";
  EXPECT_EQ(client.desktop_name(), backend.desktop_name());

  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  EXPECT_TRUE(std::regex_match(audit_field(*audit, "user"), std::regex(kAlice)))
      << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "SCRAM-SHA-256") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "client closed") << to_string(*audit);
  EXPECT_TRUE(std::regex_match(audit_field(*audit, "tls"),
                               std::regex(R"(\(TLS1\.2\)-\(ANON-(EC)?DH.*\)-\(.+\))")))
      << to_string(*audit);
}

// Inside X.509 TLS the session is protected by the TLS cipher and SASL adds
// no layer of its own: the login line gives SASL's SSF (0), the audit
// record the session's protection (the cipher's key bits), as for x509-none.
TEST_F(TlsGvncTest, SaslInsideTlsReportsTheTlsStrength) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("scram-sha-256");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "x509-sasl");
  daemon_.config().set("tls", "offer-plain-sasl", "false");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);

  VencryptGvncClient client(vencrypt_via_gateway("c1", kX509Sasl));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(15s)) << client.describe();
  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  const int want = expected_ssf(audit_field(*audit, "tls"));
  EXPECT_EQ(std::atoi(audit_field(*audit, "ssf").c_str()), want) << to_string(*audit);
  EXPECT_GE(want, 128) << to_string(*audit);
  EXPECT_LOG(daemon_, "authenticated as .* with SCRAM-SHA-256, SSF 0$", 1s);
}

// Anonymous TLS does not authenticate the server, so a password in clear
// (PLAIN) would go to whoever sits in the middle: vncgated keeps PLAIN out
// of TLSSASL, and with PLAIN alone does not offer TLSSASL at all (nor
// anything else here): gtk-vnc gets RFB's refusal before any TLS and never
// asks for a password. test_tls_offer.cpp reads the refusal's reason.
TEST_F(TlsGvncTest, TlsSaslDoesNotAcceptPlain) {
  set_mech_list("plain");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "tls-sasl");
  daemon_.config().set("tls", "offer-plain-sasl", "false");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  VencryptGvncClient client(vencrypt_via_gateway("c1", kTlsSasl));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_settled(15s)) << client.describe();
  EXPECT_TRUE(client.offered_types().empty()) << client.describe();
  // gtk-vnc 1.3 reads the refusal's reason length as a SecurityResult and
  // then reports an empty (0x0, unnamed) "initialized" desktop: no login.
  EXPECT_EQ(client.width(), 0) << "logged in with PLAIN inside anonymous TLS: "
                               << client.describe();
  EXPECT_TRUE(client.desktop_name().empty()) << client.describe();
  EXPECT_FALSE(client.asked_password()) << "gtk-vnc was asked for a password to send in clear";
  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "-") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "no SASL mechanism available") << to_string(*audit);
  EXPECT_EQ(audit->count("tls"), 0u) << "a TLS handshake happened: " << to_string(*audit);
}

// What vncgated offers inside each kind of TLS, seen by a raw client:
// PLAIN only where the server is authenticated (X.509), SCRAM in both.
TEST_F(TlsGvncTest, MechanismListsInsideTls) {
  set_mech_list("plain scram-sha-256 digest-md5");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "x509-sasl,tls-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  TlsProbeOptions o;
  o.port = daemon_.gateway_port();
  o.console = "c1";
  o.ca = pki().ca;
  o.subtype = kX509Sasl;
  TlsProbeResult x509 = probe_vencrypt(o);
  ASSERT_TRUE(x509.handshake_ok) << describe(x509);
  EXPECT_EQ(x509.subtypes, (std::vector<uint32_t>{kX509Sasl, kTlsSasl})) << describe(x509);
  EXPECT_EQ(x509.peer_fingerprint, pem_sha256_fingerprint(pki().server.cert)) << describe(x509);
  EXPECT_TRUE(std::regex_search(x509.mechlist, std::regex(R"((^|,)PLAIN(,|$))"))) << describe(x509);
  EXPECT_TRUE(std::regex_search(x509.mechlist, std::regex(R"((^|,)SCRAM-SHA-256(,|$))")))
      << describe(x509);

  o.subtype = kTlsSasl;
  o.ca.clear();
  TlsProbeResult anon = probe_vencrypt(o);
  ASSERT_TRUE(anon.handshake_ok) << describe(anon);
  EXPECT_TRUE(anon.description.starts_with("(TLS1.2)-(ANON-")) << describe(anon);
  EXPECT_FALSE(std::regex_search(anon.mechlist, std::regex(R"((^|,)PLAIN(,|$))")))
      << "PLAIN offered inside anonymous TLS: " << describe(anon);
  EXPECT_TRUE(std::regex_search(anon.mechlist, std::regex(R"((^|,)SCRAM-SHA-256(,|$))")))
      << describe(anon);
}

// [console:NAME] subtypes= overrides [tls] subtypes= for that console, in
// the order given.
TEST_F(TlsGvncTest, PerConsoleSubtypes) {
  add_static_console("c1", 320, 240);
  add_static_console("c2", 320, 240);
  configure_tls(pki().server, "x509-sasl");
  console_key("c2", "subtypes", "tls-sasl,x509-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  TlsProbeOptions o;
  o.port = daemon_.gateway_port();
  o.ca = pki().ca;
  o.console = "c1";
  TlsProbeResult c1 = probe_vencrypt(o);
  EXPECT_EQ(c1.subtypes, std::vector<uint32_t>{kX509Sasl}) << describe(c1);
  o.console = "c2";
  TlsProbeResult c2 = probe_vencrypt(o);
  EXPECT_EQ(c2.subtypes, (std::vector<uint32_t>{kTlsSasl, kX509Sasl})) << describe(c2);
  EXPECT_TRUE(c2.handshake_ok) << describe(c2);
}

class TlsX509NoneTest : public TlsGvncTest {
 protected:
  // x509-none with required client certificates; console c1 for alice only.
  XvncBackend &setup() {
    XvncBackend &backend = add_static_console("c1", 640, 480);
    console_key("c1", "allowed-users", "alice");
    configure_tls(pki().server, "x509-none");
    daemon_.config().set("tls", "verify-client", "require");
    daemon_.config().set("tls", "offer-plain-sasl", "false");
    return backend;
  }
};

TEST_F(TlsX509NoneTest, ClientCertificateLogsIn) {
  REQUIRE_PRIVATE_HOME();
  XvncBackend &backend = setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  install_gvnc_client_cert("alice", pki().alice.cert, pki().alice.key);

  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509None, "", "");
  options.client_name = "alice";
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  EXPECT_EQ(client.offered_types(), std::vector<unsigned>{kSecVeNCrypt});
  EXPECT_EQ(client.offered_subtypes(), std::vector<unsigned>{kX509None});
  EXPECT_TRUE(client.asked_client_name());
  EXPECT_FALSE(client.asked_password()) << "X509None asked for a password";
  EXPECT_EQ(client.desktop_name(), backend.desktop_name());

  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  expect_tls_audit(*audit, "alice", "x509-none");
  EXPECT_EQ(audit_field(*audit, "cert"), "CN=alice") << to_string(*audit);
  EXPECT_EQ(std::atoi(audit_field(*audit, "ssf").c_str()), expected_ssf(audit_field(*audit, "tls")))
      << to_string(*audit);
  EXPECT_LOG(daemon_, R"(authenticated as alice with x509-none, SSF (128|256)$)", 1s);
}

TEST_F(TlsX509NoneTest, NoClientCertificateIsRefused) {
  REQUIRE_PRIVATE_HOME();
  setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);  // the client trusts the server, but has no certificate

  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509None, "", "");
  options.client_name = "nobody";
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_disconnected(15s)) << client.describe();
  EXPECT_FALSE(client.initialized());
  EXPECT_FALSE(client.errors().empty()) << client.describe();

  auto line = daemon_.wait_for_log(std::regex(R"(: TLS with 127\.0\.0\.1:\d+ failed: )"), 10s);
  ASSERT_TRUE(line) << "the daemon logged no TLS failure";
  EXPECT_TRUE(std::regex_search(*line, std::regex("[Cc]ertificate"))) << *line;
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
  EXPECT_EQ(audit->count("cert"), 0u) << to_string(*audit);
  EXPECT_TRUE(audit_field(*audit, "end").starts_with("TLS handshake failed: "))
      << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end").find("failed: TLS handshake failed"), std::string::npos)
      << "reason given twice: " << to_string(*audit);
}

TEST_F(TlsX509NoneTest, CertificateOfUserNotAllowedIsRefused) {
  REQUIRE_PRIVATE_HOME();
  setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  install_gvnc_client_cert("mallory", pki().mallory.cert, pki().mallory.key);

  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509None, "", "");
  options.client_name = "mallory";
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_disconnected(15s)) << client.describe();
  EXPECT_FALSE(client.initialized());
  EXPECT_TRUE(client.auth_failed()) << client.describe();
  EXPECT_EQ(client.auth_failure_reason(), "user is not authorized for this console");

  EXPECT_LOG(daemon_, R"(user mallory is not in allowed-users of console c1)", 5s);
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "user"), "mallory") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "cert"), "CN=mallory") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "not authorized") << to_string(*audit);
}

TEST_F(TlsX509NoneTest, ClientCertificateFromUnknownCaIsRefused) {
  REQUIRE_PRIVATE_HOME();
  setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  install_gvnc_client_cert("alice", pki().alice_other_ca.cert, pki().alice_other_ca.key);

  // gtk-vnc (GnuTLS) only presents a certificate from a CA the server
  // asks for, so it sends none here.
  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509None, "", "");
  options.client_name = "alice";
  VencryptGvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_disconnected(15s)) << client.describe();
  EXPECT_FALSE(client.initialized()) << client.describe();
  EXPECT_LOG(daemon_,
             R"(: TLS with 127\.0\.0\.1:\d+ failed: TLS handshake failed: .*[Cc]ertificate)", 10s);

  // A client that presents it anyway is refused after the daemon checked it.
  TlsProbeOptions o;
  o.port = daemon_.gateway_port();
  o.console = "c1";
  o.ca = pki().ca;
  o.subtype = kX509None;
  o.client = pki().alice_other_ca;
  o.force_client_cert = true;
  TlsProbeResult probe = probe_vencrypt(o);
  EXPECT_FALSE(probe.security_result.has_value() && *probe.security_result == 0) << describe(probe);
  auto line = daemon_.wait_for_log(
      std::regex(R"(: TLS with 127\.0\.0\.1:\d+ failed: client certificate refused: )"), 10s);
  ASSERT_TRUE(line) << "the daemon logged no refusal of the certificate";
  EXPECT_TRUE(std::regex_search(*line, std::regex("issuer is unknown"))) << *line;
  auto audit = daemon_.wait_for_audit(10s, 2);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
  EXPECT_EQ(audit->count("cert"), 0u) << to_string(*audit);
}

// The daemon presents a certificate from a CA the client does not trust.
TEST_F(TlsGvncTest, ServerCertificateFromUnknownCaIsRefusedByTheClient) {
  REQUIRE_PRIVATE_HOME();
  set_mech_list("scram-sha-256");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server_other_ca, "x509-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);

  VencryptGvncClient client(vencrypt_via_gateway("c1", kX509Sasl));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_disconnected(15s)) << client.describe();
  EXPECT_FALSE(client.initialized());
  EXPECT_FALSE(client.asked_password()) << "gtk-vnc sent credentials to an untrusted server";
  EXPECT_TRUE(std::regex_search(client.error_text(), std::regex("certificate .*(trusted|issuer)")))
      << client.describe();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
  EXPECT_NE(audit_field(*audit, "end"), "client closed") << to_string(*audit);

  // A client that checks during the handshake answers with a TLS alert,
  // which the daemon logs.
  TlsProbeOptions o;
  o.port = daemon_.gateway_port();
  o.console = "c1";
  o.ca = pki().ca;
  TlsProbeResult probe = probe_vencrypt(o);
  EXPECT_FALSE(probe.handshake_ok) << describe(probe);
  EXPECT_TRUE(std::regex_search(probe.handshake_error, std::regex("issuer"))) << describe(probe);
  auto line = daemon_.wait_for_log(std::regex(R"(: TLS with 127\.0\.0\.1:\d+ failed: )"), 10s);
  ASSERT_TRUE(line) << "the daemon logged no TLS failure";
  EXPECT_TRUE(std::regex_search(*line, std::regex("alert"))) << *line;
}

}  // namespace
}  // namespace vncgate::it::tls
