// The KDC goes away while GSSAPI sessions run. Kerberos needs the KDC only
// to issue tickets: the gateway accepts with its keytab alone. So a running
// session goes on, a login that needs a new service ticket fails cleanly
// (on the client, promptly), a login with a cached service ticket still
// works, and the password mechanism from the same SASL configuration
// (DIGEST-MD5, sasldb) is unaffected. This executable has its own KDC,
// which this test stops (and restarts at the end).
#include <gtest/gtest.h>

#include <regex>

#include "krb_test.h"
#include "raw_socket.h"
#include "rfb_test_client.h"
#include "wait.h"

namespace vncgate::it {
namespace {

class KrbKdcDownTest : public KrbGatewayTest {
 protected:
  void TearDown() override {
    std::string error;
    if (shared_kdc() && !shared_kdc()->running()) {
      EXPECT_TRUE(shared_kdc()->start_server(error)) << error;
    }
    KrbGatewayTest::TearDown();
  }
};

TEST_F(KrbKdcDownTest, SessionsContinueNewLoginsFailCleanlyPasswordsStillWork) {
  XvncBackend &backend = add_static_console("krb1", 640, 480);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_TRUE(kinit("alice"));
  ASSERT_TRUE(kinit("bob"));  // a TGT only: no ticket for vnc/localhost yet

  auto running = login(krb_via_gateway("krb1"), ccache("alice"));
  ASSERT_TRUE(running->initialized()) << running->describe();
  ASSERT_TRUE(running->wait_full_update(15s)) << running->describe();

  kdc().stop();
  ASSERT_FALSE(kdc().running());
  ASSERT_FALSE(port_accepts(kdc().port())) << "something still answers on the KDC port";

  // The running session still gets updates.
  EXPECT_TRUE(running->refresh(10s)) << running->describe();

  // bob needs a service ticket from the KDC: gtk-vnc fails before it sends
  // a mechanism, reports why, and nothing hangs.
  auto start = Clock::now();
  auto bob = login(krb_via_gateway("krb1"), ccache("bob"), 15s);
  EXPECT_LT(elapsed_ms(start), 10000) << bob->describe();
  EXPECT_FALSE(bob->initialized()) << bob->describe();
  EXPECT_TRUE(bob->auth_failed() || !bob->errors().empty()) << bob->describe();
  EXPECT_TRUE(bob->wait_disconnected(10s)) << "gtk-vnc hangs: " << bob->describe();
  EXPECT_TRUE(bob->credential_requests().empty()) << bob->describe();
  bool why = false;
  for (const auto &e : bob->errors())
    if (std::regex_search(e, std::regex("contact any KDC|KDC", std::regex::icase))) why = true;
  EXPECT_TRUE(why) << "no error naming the unreachable KDC: " << bob->describe();
  auto bob_audit = daemon_.wait_for_audit(10s, 1);
  ASSERT_TRUE(bob_audit) << "the daemon did not end bob's session";
  EXPECT_EQ(audit_value(*bob_audit, "user"), "-") << to_string(*bob_audit);
  EXPECT_EQ(daemon_.count_log(std::regex("authenticated as bob")), 0);

  // alice already holds a ticket for vnc/localhost: no KDC needed.
  auto alice2 = login(krb_via_gateway("krb1"), ccache("alice"));
  EXPECT_TRUE(alice2->initialized()) << alice2->describe();
  EXPECT_TRUE(alice2->credential_requests().empty()) << alice2->describe();
  EXPECT_TRUE(alice2->wait_full_update(15s)) << alice2->describe();
  alice2->close();

  // A password mechanism of the same SASL configuration still works. (gtk-vnc
  // itself always picks GSSAPI when it is offered, so the RFB test client
  // chooses DIGEST-MD5 explicitly.)
  vncgate::testing::RfbSaslTestClient pw(10000);
  ASSERT_TRUE(pw.connect("localhost", daemon_.gateway_port())) << pw.error();
  vncgate::testing::SaslClientOptions options;
  options.authname = "alice";
  options.password = kDigestAlicePassword;
  options.min_ssf = 56;
  options.max_ssf = 256;
  options.force_mechlist = "DIGEST-MD5";
  vncgate::testing::SaslOutcome outcome;
  ASSERT_TRUE(pw.handshake_sasl("/console/krb1", options, &outcome)) << pw.error();
  EXPECT_NE(outcome.mechlist.find("GSSAPI"), std::string::npos) << outcome.mechlist;
  EXPECT_EQ(outcome.mechanism, "DIGEST-MD5");
  EXPECT_GE(outcome.ssf, 56u);
  ASSERT_TRUE(pw.client_init()) << pw.error();
  auto init = pw.read_server_init();
  ASSERT_TRUE(init) << pw.error();
  EXPECT_EQ(init->name, backend.desktop_name());
  EXPECT_EQ(init->width, backend.width());
  pw.close();

  // And the first session is still alive after all of that.
  EXPECT_TRUE(running->refresh(10s)) << running->describe();
  running->close();

  ASSERT_TRUE(wait_until([&] { return daemon_.audits().size() >= 4; }, 10s)) << daemon_.log();
  // Both GSSAPI sessions of alice reached the console; the DIGEST-MD5 one too.
  EXPECT_EQ(
      daemon_.count_log(std::regex(R"(authenticated as alice@TEST\.LOCAL with GSSAPI, SSF \d+)")),
      2)
      << daemon_.log();
  EXPECT_EQ(daemon_.count_log(std::regex(R"(connected to console krb1 as alice@TEST\.LOCAL$)")), 3)
      << daemon_.log();
  int digest_ok = 0;
  for (const auto &a : daemon_.audits())
    if (audit_value(a, "mechanism") == "DIGEST-MD5" && audit_value(a, "end") == "client closed")
      ++digest_ok;
  EXPECT_EQ(digest_ok, 1) << daemon_.log();
  EXPECT_TRUE(daemon_.running()) << "vncgated died";
}

}  // namespace
}  // namespace vncgate::it
