// The security negotiation and its handlers as pure state machines: the
// bytes a client sends in, the bytes and verdicts that come out, with the
// real Cyrus SASL library and a private sasldb.
#include <glib.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <string>

#include "rfb/http_connect.h"
#include "rfb/rfb_server.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"
#include "security/sasl_server.h"
#include "security/security_negotiation.h"
#include "security/tls_server.h"

namespace vncgate {
namespace {

constexpr const char *kApp = "vncgate-unit";
constexpr const char *kRealm = "UNIT.TEST";

class SaslEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    g_autofree gchar *made = g_dir_make_tmp("vncgate-unit-XXXXXX", nullptr);
    dir_ = made;
    std::string db = dir_ + "/sasldb";
    std::string conf = "mech_list: plain scram-sha-256\nsasldb_path: " + db + "\n";
    ASSERT_TRUE(
        g_file_set_contents((dir_ + "/" + kApp + ".conf").c_str(), conf.c_str(), -1, nullptr));
    std::string cmd = "printf secret | saslpasswd2 -p -a " + std::string(kApp) + " -c -f " + db +
                      " -u " + kRealm + " alice";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << "saslpasswd2 (sasl2-bin) is needed";
    g_setenv("SASL_CONF_PATH", dir_.c_str(), TRUE);
    std::string error;
    ASSERT_TRUE(sasl_server_global_init(kApp, error)) << error;
    tls_global_init();
  }
  void TearDown() override {
    sasl_server_global_done();
    std::string cmd = "rm -rf '" + dir_ + "'";
    (void)std::system(cmd.c_str());
  }

 private:
  std::string dir_;
};

const auto *const kEnv = ::testing::AddGlobalTestEnvironment(new SaslEnvironment);

Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto &p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes sasl_start(std::string_view mech, std::string_view data) {
  Bytes out;
  put_u32(out, static_cast<uint32_t>(mech.size()));
  put_string(out, mech);
  Bytes field = encode_sasl_data(data.data(), static_cast<unsigned>(data.size()));
  return cat({out, field});
}

NegotiationOptions options(bool wrapped) {
  NegotiationOptions o;
  o.wrapped = wrapped;
  o.wrapped_ssf = wrapped ? 256 : 0;
  o.sasl.sasl.realm = kRealm;
  o.sasl.sasl.min_ssf = 0;
  o.sasl.strip_realm = true;
  o.client = "192.0.2.1:1";
  return o;
}

// Feeds `client` in one piece and runs Work inline, the way the session
// does without a worker pool; stops at a verdict. `sent` collects the output.
HandlerStep drive(SecurityHandler &h, Bytes client, Bytes &sent) {
  for (;;) {
    HandlerStep st = h.feed(client);
    sent.insert(sent.end(), st.out.begin(), st.out.end());
    if (st.status == HandlerStep::Status::Work) {
      st.work();
      continue;
    }
    if (st.status != HandlerStep::Status::Upgrade) return st;
  }
}

TEST(SecurityNegotiation, GreetsWithTheServerVersion) {
  SecurityNegotiation n(options(false));
  EXPECT_EQ(n.begin().out, bytes("RFB 003.008\n"));
}

TEST(SecurityNegotiation, RefusesAnRfb33ClientWithItsOwnRefusal) {
  SecurityNegotiation n(options(false));
  Bytes sent;
  HandlerStep st = drive(n, bytes("RFB 003.003\n"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(st.refusal->how, Refusal::How::Close);
  EXPECT_EQ(st.refusal->end.audit_text(), "client speaks RFB 3.3 only");
  EXPECT_EQ(sent.size() > 8 ? read_u32(sent, 0) : 99u, 0u);  // 3.3 refusal: u32 0, reason
}

TEST(SecurityNegotiation, ABrokenVersionIsAProtocolErrorWithNoReply) {
  SecurityNegotiation n(options(false));
  Bytes sent;
  HandlerStep st = drive(n, bytes("RFB 003.009\n"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_TRUE(sent.empty());
  EXPECT_EQ(st.refusal->end.audit_text(), "protocol error: unsupported RFB version 3.9");
  EXPECT_STREQ(st.refusal->end.metric_label(), "protocol_error");
}

TEST(SecurityNegotiation, NothingToOfferIsSaidInTheTypeList) {
  NegotiationOptions o = options(false);
  o.sasl.sasl.min_ssf = 100000;  // no mechanism can meet it
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(n, bytes("RFB 003.008\n"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(sent,
            encode_security_types_refusal("no authentication method is available on this gateway"));
  EXPECT_EQ(st.refusal->end.audit_text(), "no SASL mechanism available");
}

TEST(SecurityNegotiation, AVncgateAuthHintThatLeavesNothingIsNamedInTheRefusal) {
  NegotiationOptions o = options(false);
  o.sasl.sasl.min_ssf = 100000;
  o.sasl.sasl.auth_hint = AuthHint::Kerberos;
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(n, bytes("RFB 003.008\n"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  const std::string hint(auth_hint_name(AuthHint::Kerberos));
  EXPECT_EQ(sent, encode_security_types_refusal(
                      "no authentication method is available on this gateway for " + hint));
  EXPECT_EQ(st.refusal->end.audit_text(), "no SASL mechanism left for Vncgate-Auth: " + hint);
  EXPECT_STREQ(st.refusal->end.metric_label(), "other");
}

TEST(SecurityNegotiation, ATypeNotOfferedGetsAFailedSecurityResult) {
  SecurityNegotiation n(options(false));
  Bytes sent;
  HandlerStep st = drive(n, cat({bytes("RFB 003.008\n"), Bytes{kSecVncAuth}}), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  Bytes offer = encode_security_types(Bytes{kSecSasl});
  Bytes result = encode_security_result(false, "security type not offered", {3, 8});
  EXPECT_EQ(sent, cat({offer, result}));
  EXPECT_EQ(st.refusal->end.audit_text(), "protocol error: security type not offered");
}

TEST(SecurityNegotiation, PlainLoginInsideWrappedTlsAuthenticatesAndStripsTheRealm) {
  SecurityNegotiation n(options(true));
  Bytes sent;
  Bytes client = cat({bytes("RFB 003.008\n"), Bytes{kSecSasl},
                      sasl_start("PLAIN", std::string("\0alice\0secret", 13))});
  HandlerStep st = drive(n, client, sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Authenticated) << st.refusal->log_reason;
  EXPECT_EQ(st.login->user, "alice");
  EXPECT_EQ(st.login->mechanism, "PLAIN");
  EXPECT_EQ(st.login->ssf, 256u);  // the wrapping TLS protects the session
  EXPECT_TRUE(st.login->sasl);
  EXPECT_EQ(st.login->reply, encode_sasl_reply(nullptr, 0, true));
  EXPECT_EQ(st.login->relay_layer, nullptr);
  EXPECT_EQ(n.facts().mechanism, "PLAIN");
}

TEST(SecurityNegotiation, AWrongPasswordIsAFailedLoginWhoseOutcomeIsKnown) {
  SecurityNegotiation n(options(true));
  Bytes sent;
  Bytes client = cat({bytes("RFB 003.008\n"), Bytes{kSecSasl},
                      sasl_start("PLAIN", std::string("\0alice\0guess", 12))});
  HandlerStep st = drive(n, client, sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(st.refusal->how, Refusal::How::AuthFailure);
  EXPECT_TRUE(st.refusal->outcome_known);
  EXPECT_TRUE(st.refusal->send_complete);
  EXPECT_EQ(st.refusal->client_reason, "authentication failed");
  EXPECT_TRUE(st.refusal->end.is_failed_guess());
}

TEST(SecurityNegotiation, MessagesSplitAcrossFeedsGiveTheSameVerdict) {
  SecurityNegotiation n(options(true));
  Bytes client = cat({bytes("RFB 003.008\n"), Bytes{kSecSasl},
                      sasl_start("PLAIN", std::string("\0alice\0secret", 13))});
  Bytes in;
  HandlerStep st;
  for (uint8_t b : client) {
    in.push_back(b);
    st = n.feed(in);
    while (st.status == HandlerStep::Status::Work) {
      st.work();
      st = n.feed(in);
    }
    if (st.status != HandlerStep::Status::NeedMore) break;
  }
  ASSERT_EQ(st.status, HandlerStep::Status::Authenticated);
  EXPECT_TRUE(in.empty());
  EXPECT_EQ(st.login->user, "alice");
}

TEST(SecurityNegotiation, ASourceGateEndsAStepBeforeCyrus) {
  NegotiationOptions o = options(false);
  bool asked = false;
  o.sasl.source_gate = [&]() -> std::optional<Refusal> {
    asked = true;
    Refusal r;
    r.how = Refusal::How::AuthFailure;
    r.end = EndReason(EndCode::TooManyFailedLogins);
    r.client_reason = "wait";
    return r;
  };
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  Bytes client =
      cat({bytes("RFB 003.008\n"), Bytes{kSecSasl},
           sasl_start("SCRAM-SHA-256", "n,,n=alice,r=abcdefghijklmnop"), encode_sasl_data("x", 1)});
  HandlerStep st = drive(n, client, sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_TRUE(asked);
  EXPECT_EQ(st.refusal->end.audit_text(), "too many failed logins");
  EXPECT_EQ(st.refusal->user, "alice");
}

TEST(VeNCrypt, ABadVersionIsRefusedWithOneByte) {
  NegotiationOptions o = options(false);
  std::string error;
  o.tls = TlsCredentials::load(TlsSettings{}, error);
  ASSERT_TRUE(o.tls) << error;
  o.vencrypt_subtypes = {kVeNCryptTlsSasl};
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(n, cat({bytes("RFB 003.008\n"), Bytes{kSecVeNCrypt}, Bytes{0, 1}}), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  Bytes offer = encode_security_types(Bytes{kSecVeNCrypt});
  EXPECT_EQ(sent, cat({offer, encode_vencrypt_version(), encode_vencrypt_version_refused()}));
  EXPECT_EQ(st.refusal->end.audit_text(), "protocol error: unsupported VeNCrypt version 0.1");
}

TEST(VeNCrypt, ASubtypeNotOfferedIsRefusedAndTheTlsHandshakeStartsOnAnOfferedOne) {
  for (uint32_t choice : {uint32_t{kVeNCryptX509Plain}, uint32_t{kVeNCryptTlsSasl}}) {
    NegotiationOptions o = options(false);
    std::string error;
    o.tls = TlsCredentials::load(TlsSettings{}, error);
    o.vencrypt_subtypes = {kVeNCryptTlsSasl};
    SecurityNegotiation n(std::move(o));
    Bytes sent;
    Bytes chosen;
    put_u32(chosen, choice);
    HandlerStep st =
        drive(n, cat({bytes("RFB 003.008\n"), Bytes{kSecVeNCrypt}, Bytes{0, 2}, chosen}), sent);
    Bytes head = cat({encode_security_types(Bytes{kSecVeNCrypt}), encode_vencrypt_version(),
                      encode_vencrypt_subtypes(std::vector<uint32_t>{kVeNCryptTlsSasl})});
    if (choice == kVeNCryptTlsSasl) {
      EXPECT_EQ(st.status, HandlerStep::Status::NeedMore);
      EXPECT_TRUE(n.passing_tls_handshake());
      EXPECT_EQ(sent, cat({head, encode_vencrypt_subtype_ack(true)}));
      EXPECT_EQ(n.facts().mechanism, "tls-sasl");
    } else {
      ASSERT_EQ(st.status, HandlerStep::Status::Refused);
      EXPECT_EQ(sent, cat({head, encode_vencrypt_subtype_ack(false)}));
      EXPECT_EQ(st.refusal->end.audit_text(), "protocol error: VeNCrypt subtype not offered");
    }
  }
}

TEST(EndReason, TextsAndLabelsAreTheOnesAuditsAndRulesUse) {
  EXPECT_EQ(EndReason(EndCode::AuthenticationFailed).audit_text(), "authentication failed");
  EXPECT_STREQ(EndReason(EndCode::AuthenticationFailed).metric_label(), "authentication_failed");
  EXPECT_EQ(EndReason(EndCode::TokenRefused, "expired").audit_text(), "token refused: expired");
  EXPECT_STREQ(EndReason(EndCode::TokenRefused, "expired").metric_label(), "token");
  EXPECT_EQ(
      EndReason(EndCode::BackendTimeout, "the console did not answer within 5 s").audit_text(),
      "backend unavailable: the console did not answer within 5 s");
  EXPECT_STREQ(EndReason(EndCode::TooManyFailedLogins).metric_label(), "too_many");
  EXPECT_STREQ(EndReason(EndCode::TlsHandshakeFailed, "TLS handshake failed: x").metric_label(),
               "TLS");
  EXPECT_EQ(EndReason(EndCode::Stopped, "daemon stopping").audit_text(), "daemon stopping");
  EXPECT_STREQ(EndReason(EndCode::NotAuthorized).client_text(),
               "user is not authorized for this console");
}

}  // namespace
}  // namespace vncgate
