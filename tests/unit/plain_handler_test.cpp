// VeNCrypt Plain: the credentials codec, PlainHandler checking them through
// the real Cyrus library (sasl_checkpass against the private sasldb that
// security_handlers_test.cpp's environment sets up: alice / secret in
// UNIT.TEST), and the negotiation the web front asks for (Plain inside a
// secure channel, or None after a valid link token).
#include "security/plain_handler.h"

#include <gtest/gtest.h>

#include <string>

#include "rfb/rfb_server.h"
#include "rfb/vencrypt.h"
#include "security/security_negotiation.h"
#include "security/tls_server.h"

namespace vncgate {
namespace {

constexpr const char *kRealm = "UNIT.TEST";

Bytes bytes(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto &p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

Bytes u32(uint32_t v) {
  Bytes out;
  put_u32(out, v);
  return out;
}

// Feeds `client` in one piece and runs Work inline; `works` counts the
// Cyrus checks. Stops at a verdict or when more input is needed.
HandlerStep drive(SecurityHandler &h, Bytes client, Bytes &sent, int *works = nullptr) {
  for (;;) {
    HandlerStep st = h.feed(client);
    sent.insert(sent.end(), st.out.begin(), st.out.end());
    if (st.status != HandlerStep::Status::Work) return st;
    if (works) ++*works;
    st.work();
  }
}

NegotiationOptions web_options() {
  NegotiationOptions o;
  o.secure_channel = true;
  o.secure_channel_ssf = 256;
  o.sasl.sasl.realm = kRealm;
  o.sasl.strip_realm = true;
  o.client = "192.0.2.1:1";
  return o;
}

// What a noVNC client sends up to its Plain credentials (no ack is read).
Bytes web_client(std::string_view user, std::string_view password) {
  return cat({bytes("RFB 003.008\n"), Bytes{kSecVeNCrypt}, Bytes{0, 2}, u32(kVeNCryptPlain),
              encode_vencrypt_plain(user, password)});
}

Bytes web_offer() {
  return cat({encode_security_types(Bytes{kSecVeNCrypt}), encode_vencrypt_version(),
              encode_vencrypt_subtypes(std::vector<uint32_t>{kVeNCryptPlain})});
}

PlainHandlerOptions plain_options(std::string mechanism) {
  PlainHandlerOptions o;
  o.sasl.realm = kRealm;
  o.strip_realm = true;
  o.mechanism = std::move(mechanism);
  o.ssf = 256;
  return o;
}

TEST(VeNCryptPlainCodec, ParsesUserAndPasswordAndNeedsMoreUntilBoth) {
  const Bytes msg = encode_vencrypt_plain("alice", "s3cret");
  EXPECT_EQ(msg, cat({u32(5), u32(6), bytes("alice"), bytes("s3cret")}));
  for (size_t n = 0; n < msg.size(); ++n)
    EXPECT_EQ(parse_vencrypt_plain(ByteSpan(msg).first(n)).status, ParseStatus::NeedMore) << n;
  Bytes more = cat({msg, Bytes{0xff}});
  auto p = parse_vencrypt_plain(more);
  ASSERT_EQ(p.status, ParseStatus::Ok);
  EXPECT_EQ(p.consumed, msg.size());
  EXPECT_EQ(p.value.user, "alice");
  EXPECT_EQ(p.value.password, bytes("s3cret"));
}

TEST(VeNCryptPlainCodec, EmptyFieldsAndBinaryPasswordsAreMessages) {
  auto p = parse_vencrypt_plain(encode_vencrypt_plain("", std::string("\0\xff", 2)));
  ASSERT_EQ(p.status, ParseStatus::Ok);
  EXPECT_EQ(p.value.user, "");
  EXPECT_EQ(p.value.password, (Bytes{0, 0xff}));
}

TEST(VeNCryptPlainCodec, OverlongFieldsAreRefusedFromTheirLengthAlone) {
  auto user = parse_vencrypt_plain(cat({u32(kMaxPlainField + 1), u32(1)}));
  ASSERT_EQ(user.status, ParseStatus::Error);
  EXPECT_EQ(user.error, "Plain user name of 1025 bytes (at most 1024)");
  auto pass = parse_vencrypt_plain(cat({u32(1), u32(0xffffffff)}));
  ASSERT_EQ(pass.status, ParseStatus::Error);
  EXPECT_EQ(pass.error, "Plain password of 4294967295 bytes (at most 1024)");
  const std::string longest(kMaxPlainField, 'x');
  EXPECT_EQ(parse_vencrypt_plain(encode_vencrypt_plain(longest, longest)).status, ParseStatus::Ok);
}

TEST(VeNCryptPlainCodec, AUserNameWithNulIsRefused) {
  auto p = parse_vencrypt_plain(encode_vencrypt_plain(std::string("al\0ice", 6), "x"));
  ASSERT_EQ(p.status, ParseStatus::Error);
  EXPECT_EQ(p.error, "Plain user name contains a NUL byte");
}

TEST(VeNCryptPlainCodec, WipingClearsThePassword) {
  auto p = parse_vencrypt_plain(encode_vencrypt_plain("alice", "secret"));
  ASSERT_EQ(p.status, ParseStatus::Ok);
  p.value.wipe();
  EXPECT_TRUE(p.value.password.empty());
  EXPECT_EQ(p.value.user, "alice");
  uint8_t buffer[] = {'s', 'e', 'c', 'r', 'e', 't'};
  wipe_bytes(buffer, sizeof buffer);
  EXPECT_EQ(Bytes(buffer, buffer + sizeof buffer), Bytes(6, 0));
}

TEST(VeNCryptPlainCodec, SubtypeNamesMatchTheConfigNames) {
  for (const char *name : {"x509-plain", "tls-plain", "plain", "x509-sasl", "x509-none"}) {
    auto st = vencrypt_subtype_from_name(name);
    ASSERT_TRUE(st) << name;
    EXPECT_EQ(vencrypt_subtype_name(*st), name);
  }
  EXPECT_EQ(vencrypt_subtype_from_name("x509-plain"), uint32_t{262});
  EXPECT_EQ(vencrypt_subtype_from_name("tls-plain"), uint32_t{259});
  EXPECT_EQ(vencrypt_subtype_from_name("plain"), uint32_t{256});
  EXPECT_FALSE(vencrypt_subtype_starts_tls(kVeNCryptPlain));
  EXPECT_TRUE(vencrypt_subtype_starts_tls(kVeNCryptTlsPlain));
  EXPECT_TRUE(vencrypt_subtype_uses_plain(kVeNCryptX509Plain));
  EXPECT_FALSE(vencrypt_subtype_uses_plain(kVeNCryptX509Sasl));
}

TEST(PlainHandler, TheRightPasswordAuthenticatesWithTheChannelsProtection) {
  PlainHandler h(plain_options("x509-plain"));
  Bytes sent;
  int works = 0;
  HandlerStep st = drive(h, encode_vencrypt_plain("alice", "secret"), sent, &works);
  ASSERT_EQ(st.status, HandlerStep::Status::Authenticated) << st.refusal->log_reason;
  EXPECT_EQ(works, 1);
  EXPECT_TRUE(sent.empty());  // the session sends the SecurityResult
  EXPECT_EQ(st.login->user, "alice");
  EXPECT_EQ(st.login->attempted_user, "alice");
  EXPECT_EQ(st.login->mechanism, "x509-plain");
  EXPECT_EQ(st.login->ssf, 256u);
  EXPECT_FALSE(st.login->sasl);
  EXPECT_TRUE(st.login->password);  // the account's password limits apply
  EXPECT_TRUE(st.login->reply.empty());
  EXPECT_EQ(h.facts().mechanism, "x509-plain");
}

TEST(PlainHandler, ANameWithTheRealmIsTheSameUser) {
  PlainHandler h(plain_options("tls-plain"));
  Bytes sent;
  HandlerStep st = drive(h, encode_vencrypt_plain("alice@UNIT.TEST", "secret"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Authenticated);
  EXPECT_EQ(st.login->user, "alice");
  EXPECT_EQ(st.login->attempted_user, "alice@UNIT.TEST");
}

TEST(PlainHandler, WithoutStripRealmTheUserKeepsCyrusCanonicalName) {
  PlainHandlerOptions o = plain_options("x509-plain");
  o.strip_realm = false;
  PlainHandler h(std::move(o));
  Bytes sent;
  HandlerStep st = drive(h, encode_vencrypt_plain("alice", "secret"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Authenticated);
  EXPECT_EQ(st.login->user, "alice@UNIT.TEST");
}

TEST(PlainHandler, AWrongPasswordIsAFailedPasswordLoginLikeSaslPlain) {
  for (const char *user : {"alice", "mallory"}) {
    PlainHandler h(plain_options("x509-plain"));
    Bytes sent;
    HandlerStep st = drive(h, encode_vencrypt_plain(user, "guess"), sent);
    ASSERT_EQ(st.status, HandlerStep::Status::Refused) << user;
    const Refusal &r = *st.refusal;
    EXPECT_EQ(r.how, Refusal::How::AuthFailure);
    EXPECT_TRUE(r.outcome_known);   // the login limits count it
    EXPECT_FALSE(r.send_complete);  // no SASL exchange to complete
    EXPECT_EQ(r.user, user);
    EXPECT_EQ(r.mechanism, "x509-plain");
    EXPECT_EQ(r.ssf, 256u);
    EXPECT_EQ(r.client_reason, "authentication failed");
    EXPECT_TRUE(r.end.is_failed_guess());
    EXPECT_EQ(r.log_reason.find("guess"), std::string::npos);
  }
}

TEST(PlainHandler, ALockedOutSourceIsRefusedBeforeCyrusIsAsked) {
  PlainHandlerOptions o = plain_options("x509-plain");
  o.source_gate = []() -> std::optional<Refusal> {
    Refusal r;
    r.how = Refusal::How::AuthFailure;
    r.end = EndReason(EndCode::TooManyFailedLogins);
    r.client_reason = "too many failed logins from your address; try again in 5 s";
    r.send_complete = true;  // the session's gate is SASL's
    return r;
  };
  PlainHandler h(std::move(o));
  Bytes sent;
  int works = 0;
  HandlerStep st = drive(h, encode_vencrypt_plain("alice", "secret"), sent, &works);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(works, 0);
  EXPECT_EQ(st.refusal->end.audit_text(), "too many failed logins");
  EXPECT_FALSE(st.refusal->send_complete);
  EXPECT_EQ(st.refusal->user, "alice");
  EXPECT_EQ(st.refusal->mechanism, "x509-plain");
}

TEST(PlainHandler, AMalformedMessageIsAFailureWhoseOutcomeIsUnknown) {
  PlainHandler h(plain_options("x509-plain"));
  Bytes sent;
  HandlerStep st = drive(h, cat({u32(5000), u32(1)}), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(st.refusal->how, Refusal::How::AuthFailure);
  EXPECT_FALSE(st.refusal->outcome_known);
  EXPECT_EQ(st.refusal->log_reason, "protocol error: Plain user name of 5000 bytes (at most 1024)");
}

TEST(PlainHandler, TheConsumedInputIsWipedAndTheRestKept) {
  PlainHandler h(plain_options("x509-plain"));
  Bytes in = cat({encode_vencrypt_plain("alice", "secret"), Bytes{7}});
  HandlerStep st = h.feed(in);
  ASSERT_EQ(st.status, HandlerStep::Status::Work);
  EXPECT_EQ(in, Bytes{7});
  st.work();
  EXPECT_EQ(h.feed(in).status, HandlerStep::Status::Authenticated);
}

TEST(WebNegotiation, ASecureChannelOffersVeNCryptPlainAloneWithNoAck) {
  SecurityNegotiation n(web_options());
  Bytes sent;
  HandlerStep st = drive(n, web_client("alice", "secret"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Authenticated) << st.refusal->log_reason;
  EXPECT_EQ(sent, web_offer());  // no ack byte after the choice: noVNC reads none
  EXPECT_EQ(st.login->user, "alice");
  EXPECT_EQ(st.login->mechanism, "plain");
  EXPECT_EQ(st.login->ssf, 256u);
  EXPECT_EQ(n.facts().mechanism, "plain");
}

TEST(WebNegotiation, TheConfiguredSubtypesAndSaslAreNotOfferedOnTheWebFront) {
  NegotiationOptions o = web_options();
  std::string error;
  o.tls = TlsCredentials::load(TlsSettings{}, error);
  o.vencrypt_subtypes = {kVeNCryptTlsSasl, kVeNCryptTlsPlain};
  o.offer_plain_sasl = true;
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(n, cat({bytes("RFB 003.008\n"), Bytes{kSecSasl}}), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(sent, cat({encode_security_types(Bytes{kSecVeNCrypt}),
                       encode_security_result(false, "security type not offered", {3, 8})}));
}

TEST(WebNegotiation, AWrongPasswordIsCountedAndByteByByteInputGivesTheSameVerdict) {
  SecurityNegotiation n(web_options());
  const Bytes client = web_client("alice", "guess");
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
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_TRUE(in.empty());
  EXPECT_TRUE(st.refusal->outcome_known);
  EXPECT_EQ(st.refusal->user, "alice");
  EXPECT_EQ(st.refusal->mechanism, "plain");
}

TEST(WebNegotiation, AnotherSubtypeThanPlainIsRefused) {
  SecurityNegotiation n(web_options());
  Bytes sent;
  HandlerStep st = drive(
      n, cat({bytes("RFB 003.008\n"), Bytes{kSecVeNCrypt}, Bytes{0, 2}, u32(kVeNCryptTlsPlain)}),
      sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(sent, cat({web_offer(), encode_vencrypt_subtype_ack(false)}));
}

Login token_login() {
  Login l;
  l.user = l.attempted_user = "alice";
  l.mechanism = "web-link";
  l.ssf = l.sasl_ssf = 256;
  return l;
}

TEST(WebNegotiation, APreAuthenticatedSessionIsOfferedNoneAndLogsInAtOnce) {
  NegotiationOptions o = web_options();
  o.pre_authenticated = token_login();
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(n, cat({bytes("RFB 003.008\n"), Bytes{kSecNone}}), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Authenticated);
  EXPECT_EQ(sent, encode_security_types(Bytes{kSecNone}));
  EXPECT_EQ(st.login->user, "alice");
  EXPECT_EQ(st.login->mechanism, "web-link");
  EXPECT_FALSE(st.login->password);
  EXPECT_EQ(n.facts().mechanism, "web-link");
}

TEST(WebNegotiation, APreAuthenticatedSessionCannotChoosePlain) {
  NegotiationOptions o = web_options();
  o.pre_authenticated = token_login();
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(n, web_client("alice", "secret"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(st.refusal->end.audit_text(), "protocol error: security type not offered");
}

TEST(WebNegotiation, APreAuthenticatedRfb37ClientIsRefused) {
  NegotiationOptions o = web_options();
  o.pre_authenticated = token_login();
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(n, bytes("RFB 003.007\n"), sent);
  ASSERT_EQ(st.status, HandlerStep::Status::Refused);
  EXPECT_EQ(sent, encode_security_types_refusal("this console needs an RFB 3.8 client"));
}

TEST(VeNCryptPlain, TlsPlainIsOfferedOnAnonymousTlsAndX509PlainNeedsACertificate) {
  NegotiationOptions o;
  std::string error;
  o.tls = TlsCredentials::load(TlsSettings{}, error);  // anonymous DH only
  ASSERT_TRUE(o.tls) << error;
  o.vencrypt_subtypes = {kVeNCryptX509Plain, kVeNCryptTlsPlain};
  o.client = "192.0.2.1:1";
  SecurityNegotiation n(std::move(o));
  Bytes sent;
  HandlerStep st = drive(
      n, cat({bytes("RFB 003.008\n"), Bytes{kSecVeNCrypt}, Bytes{0, 2}, u32(kVeNCryptTlsPlain)}),
      sent);
  EXPECT_EQ(st.status, HandlerStep::Status::NeedMore);
  EXPECT_TRUE(n.passing_tls_handshake());  // the credentials only travel inside TLS
  EXPECT_EQ(sent, cat({encode_security_types(Bytes{kSecVeNCrypt}), encode_vencrypt_version(),
                       encode_vencrypt_subtypes(std::vector<uint32_t>{kVeNCryptTlsPlain}),
                       encode_vencrypt_subtype_ack(true)}));
  EXPECT_EQ(n.facts().mechanism, "tls-plain");
}

}  // namespace
}  // namespace vncgate
