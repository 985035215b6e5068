// X509None: which certificates are a login and whose. The certificate
// must be meant for client authentication when it says what it is for
// (extendedKeyUsage), must name exactly one user, and [tls] identity=
// picks where the name is: the subject's CN (default), the rfc822Name or
// the Microsoft UPN subjectAltName. Certificates are issued by the test CA
// with certtool; the raw VeNCrypt probe presents them and reads the
// SecurityResult and its reason; the daemon logs and audits each refusal.
#include <gtest/gtest.h>

#include "tls_gateway_test.h"
#include "tls_probe.h"

namespace vncgate::it::tls {
namespace {

constexpr const char *kClientUsage = "tls_www_client\nsigning_key\nexpiration_days = 30\n";
constexpr const char *kUpnOid = "1.3.6.1.4.1.311.20.2.3";

class TlsIdentityTest : public TlsGatewayTest {
 protected:
  // x509-none with required client certificates on console c1, which
  // these names may use.
  void setup(const std::string &identity = {}) {
    add_static_console("c1", 320, 240);
    console_key("c1", "allowed-users", "alice,alice@example.org,carol@VNCGATE.TEST");
    configure_tls(pki().server, "x509-none");
    daemon_.config().set("tls", "verify-client", "require");
    daemon_.config().set("tls", "offer-plain-sasl", "false");
    if (!identity.empty()) daemon_.config().set("tls", "identity", identity);
    ASSERT_NO_FATAL_FAILURE(start_daemon());
  }

  TlsProbeResult login_with(const CertKey &client) {
    TlsProbeOptions o;
    o.port = daemon_.gateway_port();
    o.console = "c1";
    o.ca = pki().ca;
    o.subtype = kX509None;
    o.client = client;
    return probe_vencrypt(o);
  }

  // A refused certificate: the client reads `reason` in the SecurityResult,
  // the log says why with the subject, the audit record has no user.
  void expect_refused(const TlsProbeResult &r, const std::string &reason) {
    ASSERT_TRUE(r.handshake_ok) << describe(r);
    ASSERT_TRUE(r.security_result.has_value()) << describe(r);
    EXPECT_EQ(*r.security_result, 1u) << describe(r);
    EXPECT_EQ(r.security_reason, reason) << describe(r);
    auto line = daemon_.wait_for_log(
        std::regex("client certificate refused for .*: " +
                   std::regex_replace(reason, std::regex(R"([()])"), R"(\$&)") +
                   R"( \(certificate .+\)$)"),
        5s);
    EXPECT_TRUE(line.has_value()) << "no log line for the refusal";
    auto audit = daemon_.wait_for_audit(10s);
    ASSERT_TRUE(audit) << "no audit record";
    EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
    EXPECT_EQ(audit_field(*audit, "mechanism"), "x509-none") << to_string(*audit);
    EXPECT_EQ(audit_field(*audit, "end"), "client certificate refused") << to_string(*audit);
  }

  void expect_logged_in(const TlsProbeResult &r, const std::string &user) {
    ASSERT_TRUE(r.handshake_ok) << describe(r);
    ASSERT_TRUE(r.security_result.has_value()) << describe(r);
    EXPECT_EQ(*r.security_result, 0u) << describe(r);
    EXPECT_LOG(daemon_, "authenticated as " + user + R"( with x509-none, SSF \d+$)", 5s);
    auto audit = daemon_.wait_for_audit(10s);
    ASSERT_TRUE(audit) << "no audit record";
    EXPECT_EQ(audit_field(*audit, "user"), user) << to_string(*audit);
  }
};

TEST_F(TlsIdentityTest, ServerAuthOnlyCertificateIsRefused) {
  ASSERT_NO_FATAL_FAILURE(setup());
  CertKey server_only = pki().issue("alice-server-only",
                                    "cn = \"alice\"\ntls_www_server\nsigning_key\n"
                                    "expiration_days = 30\n");
  expect_refused(login_with(server_only),
                 "the client certificate is not for client authentication (its extended key "
                 "usage lacks TLS client authentication)");
}

// No extendedKeyUsage means no restriction: still a login.
TEST_F(TlsIdentityTest, CertificateWithoutKeyPurposeLogsIn) {
  ASSERT_NO_FATAL_FAILURE(setup());
  CertKey plain =
      pki().issue("alice-no-eku", "cn = \"alice\"\nsigning_key\nexpiration_days = 30\n");
  expect_logged_in(login_with(plain), "alice");
}

// anyExtendedKeyUsage allows every purpose, client authentication too.
TEST_F(TlsIdentityTest, AnyPurposeCertificateLogsIn) {
  ASSERT_NO_FATAL_FAILURE(setup());
  CertKey any = pki().issue("alice-any-purpose",
                            "cn = \"alice\"\nkey_purpose_oid = 2.5.29.37.0\n"
                            "signing_key\nexpiration_days = 30\n");
  expect_logged_in(login_with(any), "alice");
}

TEST_F(TlsIdentityTest, SubjectWithSeveralCommonNamesIsRefused) {
  ASSERT_NO_FATAL_FAILURE(setup());
  CertKey two = pki().issue("alice-and-mallory",
                            std::string("dn = \"CN=mallory,CN=alice\"\n") + kClientUsage);
  expect_refused(login_with(two), "the client certificate's subject has several common names (CN)");
}

TEST_F(TlsIdentityTest, SanEmailIsTheUser) {
  ASSERT_NO_FATAL_FAILURE(setup("san-email"));
  // The CN names someone else: with identity=san-email it is not looked at.
  CertKey cert = pki().issue("alice-email", std::string("cn = \"mallory\"\n"
                                                        "email = \"alice@example.org\"\n") +
                                                kClientUsage);
  expect_logged_in(login_with(cert), "alice@example.org");
}

TEST_F(TlsIdentityTest, SanUpnIsTheUser) {
  ASSERT_NO_FATAL_FAILURE(setup("san-upn"));
  CertKey cert = pki().issue("carol-upn", std::string("cn = \"mallory\"\nother_name_utf8 = \"") +
                                              kUpnOid + " carol@VNCGATE.TEST\"\n" + kClientUsage);
  expect_logged_in(login_with(cert), "carol@VNCGATE.TEST");
}

TEST_F(TlsIdentityTest, SeveralEmailAddressesAreRefused) {
  ASSERT_NO_FATAL_FAILURE(setup("san-email"));
  CertKey cert = pki().issue("two-emails", std::string("cn = \"alice\"\n"
                                                       "email = \"mallory@example.org\"\n"
                                                       "email = \"alice@example.org\"\n") +
                                               kClientUsage);
  expect_refused(login_with(cert),
                 "the client certificate has several e-mail address (rfc822Name) entries in its "
                 "subject alternative names");
}

TEST_F(TlsIdentityTest, CertificateWithoutTheSanIsRefused) {
  ASSERT_NO_FATAL_FAILURE(setup("san-email"));
  expect_refused(login_with(pki().alice),
                 "the client certificate has no e-mail address (rfc822Name) in its subject "
                 "alternative names");
}

TEST_F(TlsIdentityTest, CertificateWithoutTheUpnIsRefused) {
  ASSERT_NO_FATAL_FAILURE(setup("san-upn"));
  // An e-mail address is not a UPN.
  CertKey cert =
      pki().issue("alice-email-only",
                  std::string("cn = \"alice\"\nemail = \"alice@example.org\"\n") + kClientUsage);
  expect_refused(login_with(cert),
                 "the client certificate has no user principal name (UPN) in its subject "
                 "alternative names");
}

}  // namespace
}  // namespace vncgate::it::tls
