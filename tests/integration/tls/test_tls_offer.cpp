// Only what can work is offered: a VeNCrypt SASL subtype whose inner SASL
// would have no mechanism is left out of the subtype list (anonymous TLS
// keeps PLAIN and LOGIN out, so an application config with PLAIN alone
// leaves TLSSASL empty while X509SASL still works), and with nothing left
// the client gets RFB's refusal with a reason instead of a bare close after
// a TLS handshake. Seen by the raw VeNCrypt probe, which reads the offered
// types and subtypes and the refusal's reason.
#include <gtest/gtest.h>

#include "tls_gateway_test.h"
#include "tls_probe.h"

namespace vncgate::it::tls {
namespace {

class TlsOfferTest : public TlsGatewayTest {
 protected:
  TlsProbeOptions probe_options(uint32_t subtype) const {
    TlsProbeOptions o;
    o.port = daemon_.gateway_port();
    o.console = "c1";
    o.ca = pki().ca;
    o.subtype = subtype;
    return o;
  }
};

TEST_F(TlsOfferTest, PlainOnlyLeavesOutTlsSaslButNotX509Sasl) {
  set_mech_list("plain");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "tls-sasl,x509-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  TlsProbeResult r = probe_vencrypt(probe_options(kX509Sasl));
  // Type 20 on plain TCP cannot use PLAIN either (it needs a layer).
  EXPECT_EQ(r.types, std::vector<uint8_t>{kSecVeNCrypt}) << describe(r);
  EXPECT_EQ(r.subtypes, std::vector<uint32_t>{kX509Sasl}) << describe(r);
  ASSERT_TRUE(r.handshake_ok) << describe(r);
  EXPECT_EQ(r.mechlist, "PLAIN") << describe(r);

  // A client that asks for TLSSASL anyway is told it was not offered.
  TlsProbeResult anon = probe_vencrypt(probe_options(kTlsSasl));
  EXPECT_EQ(anon.subtypes, std::vector<uint32_t>{kX509Sasl}) << describe(anon);
  EXPECT_FALSE(anon.subtype_accepted) << describe(anon);
  EXPECT_FALSE(anon.handshake_ok) << describe(anon);
  EXPECT_LOG(daemon_, R"(chose VeNCrypt subtype 264, which was not offered)", 5s);
}

// A mechanism that works inside anonymous TLS keeps TLSSASL on offer.
TEST_F(TlsOfferTest, TlsSaslOfferedWhenAMechanismIsLeft) {
  set_mech_list("plain scram-sha-256");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "tls-sasl,x509-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  TlsProbeOptions o = probe_options(kTlsSasl);
  o.ca.clear();
  TlsProbeResult r = probe_vencrypt(o);
  EXPECT_EQ(r.subtypes, (std::vector<uint32_t>{kTlsSasl, kX509Sasl})) << describe(r);
  ASSERT_TRUE(r.handshake_ok) << describe(r);
  EXPECT_EQ(r.mechlist, "SCRAM-SHA-256") << describe(r);
}

// Nothing left: RFB's refusal (no security types) with a reason, and a log
// line, before any TLS.
TEST_F(TlsOfferTest, NothingUsableIsRefusedWithAReason) {
  set_mech_list("plain");
  add_static_console("c1", 320, 240);
  configure_tls(pki().server, "tls-sasl");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  TlsProbeResult r = probe_vencrypt(probe_options(kTlsSasl));
  EXPECT_TRUE(r.types.empty()) << describe(r);
  EXPECT_FALSE(r.handshake_ok) << describe(r);
  EXPECT_EQ(r.refusal_reason, "no authentication method is available on this gateway")
      << describe(r);
  EXPECT_LOG(daemon_, R"(cannot offer SASL: no SASL mechanism is usable .*)", 5s);
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "no SASL mechanism available") << to_string(*audit);
}

}  // namespace
}  // namespace vncgate::it::tls
