// Which security the viewer accepts from what the server offers.
#include "security_choice.h"

#include <gtest/gtest.h>

namespace vncgate::viewer {
namespace {

using namespace rfb_security;

SecurityPolicy tls(LinkTls t) {
  return SecurityPolicy{t, 0};
}

TEST(SecurityChoice, PrefersVeNCryptThenSasl) {
  EXPECT_EQ(choose_auth_type({kNone, kSasl, kVeNCrypt}, {}), kVeNCrypt);
  EXPECT_EQ(choose_auth_type({kNone, kVnc, kSasl}, {}), kSasl);
  EXPECT_EQ(choose_auth_type({kNone, kVnc}, {}), kVnc);
  EXPECT_EQ(choose_auth_type({kNone}, {}), kNone);
  EXPECT_EQ(choose_auth_type({5, 16}, {}), 0u);
  EXPECT_EQ(choose_auth_type({}, {}), 0u);
}

TEST(SecurityChoice, LinkTlsRestrictsTypes) {
  EXPECT_EQ(choose_auth_type({kSasl}, tls(LinkTls::X509)), 0u);
  EXPECT_EQ(choose_auth_type({kSasl, kVeNCrypt}, tls(LinkTls::X509)), kVeNCrypt);
  EXPECT_EQ(choose_auth_type({kSasl, kVeNCrypt}, tls(LinkTls::None)), kSasl);
  EXPECT_EQ(choose_auth_type({kVeNCrypt}, tls(LinkTls::None)), 0u);
  EXPECT_EQ(choose_auth_type({kNone, kVeNCrypt}, tls(LinkTls::Anon)), kVeNCrypt);
}

TEST(SecurityChoice, Rfc7869SecurityTypeIsExact) {
  EXPECT_EQ(choose_auth_type({kVnc, kSasl}, SecurityPolicy{LinkTls::Default, 2}), kVnc);
  EXPECT_EQ(choose_auth_type({kSasl}, SecurityPolicy{LinkTls::Default, 2}), 0u);
  EXPECT_EQ(choose_auth_type({16}, SecurityPolicy{LinkTls::Default, 16}), 0u);
}

TEST(SecurityChoice, SubtypesByStrength) {
  const std::vector<unsigned> all = {kPlain,   kTlsNone,   kTlsVnc,   kTlsPlain, kX509None,
                                     kX509Vnc, kX509Plain, kX509Sasl, kTlsSasl};
  EXPECT_EQ(choose_vencrypt_subtype(all, {}), kX509Sasl);
  EXPECT_EQ(choose_vencrypt_subtype(all, tls(LinkTls::Anon)), kTlsSasl);
  EXPECT_EQ(choose_vencrypt_subtype({kTlsSasl, kX509None}, tls(LinkTls::X509)), kX509None);
  EXPECT_EQ(choose_vencrypt_subtype({kTlsSasl}, tls(LinkTls::X509)), 0u);
  EXPECT_EQ(choose_vencrypt_subtype({kX509Sasl}, tls(LinkTls::Anon)), 0u);
}

TEST(SecurityChoice, PasswordInClearIsNeverChosen) {
  EXPECT_EQ(choose_vencrypt_subtype({kPlain, kTlsPlain, kX509Plain}, {}), 0u);
  EXPECT_EQ(choose_vencrypt_subtype({kPlain}, tls(LinkTls::Anon)), 0u);
}

TEST(SecurityChoice, Descriptions) {
  EXPECT_EQ(describe_security(kSasl, 0, true),
            "SASL (encrypted by the SASL security layer, SSF ≥ 56; password login)");
  EXPECT_EQ(
      describe_security(kVeNCrypt, kX509Sasl, false),
      "VeNCrypt X509SASL (TLS with a verified certificate; login without password: Kerberos)");
  EXPECT_EQ(describe_security(kVeNCrypt, kTlsNone, false),
            "VeNCrypt TLSNone (anonymous TLS, encrypted but the server is not verified; no login)");
  EXPECT_EQ(describe_security(kVeNCrypt, kX509None, false),
            "VeNCrypt X509None (TLS with a verified certificate; client certificate or no login)");
  EXPECT_EQ(describe_security(kNone, 0, false), "None (not encrypted; no login)");
  EXPECT_EQ(describe_security(kVnc, 0, true), "VNC (not encrypted; VNC password)");
  EXPECT_EQ(security_name(99), "type 99");
}

TEST(SecurityChoice, PolicyFromLink) {
  auto r = parse_console_link("vncgate://h/console/c?tls=x509");
  ASSERT_TRUE(r.link);
  EXPECT_EQ(policy_for(*r.link).tls, LinkTls::X509);
  auto v = parse_console_link("vnc://h?SecurityType=2");
  ASSERT_TRUE(v.link);
  EXPECT_EQ(policy_for(*v.link).security_type, 2);
}

}  // namespace
}  // namespace vncgate::viewer
