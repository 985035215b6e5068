// Password-guessing limits never lock a user out: while alice's password
// logins are throttled after wrong DIGEST-MD5 passwords from other
// addresses, her Kerberos ticket (GSSAPI, gtk-vnc) logs in at once.
#include <gtest/gtest.h>

#include <regex>

#include "krb_test.h"
#include "rfb_test_client.h"

namespace vncgate::it {
namespace {

using vncgate::testing::printable;
using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

class KrbLoginLimitsTest : public KrbGatewayTest {
 protected:
  // A DIGEST-MD5 login as alice from `source`: the failed SecurityResult's
  // reason, "OK" on success, or what went wrong.
  std::string password_login(const std::string &source, const std::string &password) {
    RfbSaslTestClient c(5000);
    c.set_source_address(source);
    if (!c.connect("127.0.0.1", daemon_.gateway_port())) return "connect: " + c.error();
    SaslClientOptions options;
    options.server_fqdn = "localhost";
    options.authname = "alice";
    options.password = password;
    options.min_ssf = 56;
    options.force_mechlist = "DIGEST-MD5";
    vncgate::testing::SaslOutcome outcome;
    if (c.handshake_sasl("/console/krb1", options, &outcome)) return "OK";
    return printable(c.error());
  }
};

TEST_F(KrbLoginLimitsTest, KerberosLoginOfAThrottledUserSucceedsAtOnce) {
  add_static_console("krb1", 320, 240);
  daemon_.config()
      .set("gateway", "guess-threshold", "3")
      .set("gateway", "guess-user-rate", "1")
      .set("sasl", "auth-failure-delay", "0");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_TRUE(kinit("alice"));

  for (int i = 0; i < 3; ++i) {
    std::string r = password_login("127.0.0." + std::to_string(2 + i), "guess");
    EXPECT_NE(r.find("authentication failed"), std::string::npos) << r;
  }
  EXPECT_LOG(daemon_, ".*login limits: 3 failed password logins of user:alice .*", 5s);
  // Her right password is refused now, whatever the address...
  std::string r = password_login("127.0.0.9", kDigestAlicePassword);
  EXPECT_NE(r.find("too many login attempts for this user"), std::string::npos) << r;

  // ...but her Kerberos ticket logs in at once.
  auto alice = login(krb_via_gateway("krb1"), ccache("alice"));
  ASSERT_TRUE(alice->initialized()) << alice->describe();
  EXPECT_TRUE(alice->wait_full_update(15s)) << alice->describe();
  alice->close();
  EXPECT_LOG(daemon_, ".*authenticated as alice(@TEST\\.LOCAL)? with GSSAPI.*", 5s);
}

}  // namespace
}  // namespace vncgate::it
