// RfbClientHandshake driven by scripted backend byte streams, fed whole and
// in small chunks, as the relay would feed socket reads.
#include "rfb/rfb_client.h"

#include <gtest/gtest.h>
#include <nettle/des.h>

#include "handshake_driver.h"
#include "test_util.h"

namespace vncgate {
namespace {

using test::bytes;
using test::concat;
using test::Contains;
using test::u32;
using State = RfbClientHandshake::State;

using Outcome = test::HandshakeOutcome;

Outcome run(RfbClientHandshake &h, const Bytes &server, size_t chunk) {
  return test::run_handshake(h, server, chunk);
}

Bytes challenge() {
  Bytes c(16);
  for (size_t i = 0; i < c.size(); ++i) c[i] = static_cast<uint8_t>(0xa0 + i * 7);
  return c;
}

// Computed here with nettle directly: VNC reverses the bits of each key byte.
Bytes expected_vnc_response(std::string_view password, const Bytes &chal) {
  uint8_t key[8] = {};
  for (size_t i = 0; i < 8 && i < password.size(); ++i) {
    unsigned b = static_cast<uint8_t>(password[i]);
    unsigned r = 0;
    for (int bit = 7; bit >= 0; --bit, b >>= 1) r |= (b & 1u) << bit;
    key[i] = static_cast<uint8_t>(r);
  }
  des_ctx ctx;
  des_set_key(&ctx, key);
  Bytes out(16);
  des_encrypt(&ctx, 8, out.data(), chal.data());
  des_encrypt(&ctx, 8, out.data() + 8, chal.data() + 8);
  return out;
}

TEST(VncAuthResponse, KnownDesVector) {
  // FIPS 81 / "DES illustrated" vector: key 133457799BBCDFF1 encrypts
  // 0123456789ABCDEF to 85E813540F0AB405. The password is that key with
  // each byte bit-reversed, as VNC authentication does.
  const char password[] = "\xc8\x2c\xea\x9e\xd9\x3d\xfb\x8f";
  Bytes chal{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
             0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  Bytes want{0x85, 0xe8, 0x13, 0x54, 0x0f, 0x0a, 0xb4, 0x05,
             0x85, 0xe8, 0x13, 0x54, 0x0f, 0x0a, 0xb4, 0x05};
  EXPECT_EQ(vnc_auth_response(std::string_view(password, 8), chal), want);
}

TEST(VncAuthResponse, MatchesNettleAndUsesFirstEightBytes) {
  Bytes chal = challenge();
  EXPECT_EQ(vnc_auth_response("secret", chal), expected_vnc_response("secret", chal));
  EXPECT_EQ(vnc_auth_response("", chal), expected_vnc_response("", chal));
  EXPECT_EQ(vnc_auth_response("12345678extra", chal), vnc_auth_response("12345678", chal));
  EXPECT_NE(vnc_auth_response("secret", chal), vnc_auth_response("secreT", chal));
}

class HandshakeChunks : public ::testing::TestWithParam<size_t> {};

TEST_P(HandshakeChunks, V33None) {
  RfbClientHandshake h(std::nullopt);
  auto o = run(h, concat({bytes("RFB 003.003\n"), u32(1)}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h.error();
  EXPECT_EQ(o.sent, bytes("RFB 003.003\n"));
  EXPECT_EQ(h.state(), State::Done);
  EXPECT_EQ(h.version(), (RfbVersion{3, 3}));
  EXPECT_EQ(h.security_type(), kSecNone);
}

TEST_P(HandshakeChunks, V33VncAuth) {
  RfbClientHandshake h(std::string("secret"));
  auto o = run(h, concat({bytes("RFB 003.003\n"), u32(2), challenge(), u32(0)}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h.error();
  EXPECT_EQ(o.sent, concat({bytes("RFB 003.003\n"), expected_vnc_response("secret", challenge())}));
  EXPECT_EQ(h.security_type(), kSecVncAuth);
  EXPECT_EQ(o.leftover, 0u);
}

TEST_P(HandshakeChunks, V37NoneHasNoSecurityResult) {
  RfbClientHandshake h(std::string("unused"));
  // ServerInit would follow the choice directly; it must stay unconsumed.
  Bytes server_init_start{0x04, 0x00, 0x03, 0x00};
  auto o = run(h, concat({bytes("RFB 003.007\n"), Bytes{2, 2, 1}, server_init_start}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h.error();
  EXPECT_EQ(o.sent, concat({bytes("RFB 003.007\n"), Bytes{1}}));
  EXPECT_EQ(h.version(), (RfbVersion{3, 7}));
  EXPECT_EQ(o.leftover, server_init_start.size());
}

TEST_P(HandshakeChunks, V38NoneWithSecurityResult) {
  RfbClientHandshake h(std::nullopt);
  Bytes server = concat({bytes("RFB 003.008\n"), Bytes{1, 1}});
  // Not done until the SecurityResult arrives.
  auto partial = run(h, server, GetParam());
  EXPECT_EQ(partial.status, ParseStatus::NeedMore);
  EXPECT_EQ(h.state(), State::SecurityResult);

  RfbClientHandshake h2(std::nullopt);
  auto o = run(h2, concat({server, u32(0), Bytes{0, 0x10}}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h2.error();
  EXPECT_EQ(o.sent, concat({bytes("RFB 003.008\n"), Bytes{1}}));
  EXPECT_EQ(o.leftover, 2u);
}

TEST_P(HandshakeChunks, V38VncAuthKnownVector) {
  const std::string password("\xc8\x2c\xea\x9e\xd9\x3d\xfb\x8f");
  Bytes chal{0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef,
             0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef};
  Bytes response{0x85, 0xe8, 0x13, 0x54, 0x0f, 0x0a, 0xb4, 0x05,
                 0x85, 0xe8, 0x13, 0x54, 0x0f, 0x0a, 0xb4, 0x05};
  RfbClientHandshake h(password);
  auto o = run(h, concat({bytes("RFB 003.008\n"), Bytes{2, 20, 2}, chal, u32(0)}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h.error();
  EXPECT_EQ(o.sent, concat({bytes("RFB 003.008\n"), Bytes{2}, response}));
  EXPECT_EQ(h.security_type(), kSecVncAuth);
}

TEST_P(HandshakeChunks, NewerServerIsSpokenToAs38) {
  RfbClientHandshake h(std::nullopt);
  auto o = run(h, concat({bytes("RFB 003.889\n"), Bytes{1, 1}, u32(0)}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h.error();
  EXPECT_EQ(o.sent, concat({bytes("RFB 003.008\n"), Bytes{1}}));
}

TEST_P(HandshakeChunks, V33RefusalReason) {
  RfbClientHandshake h(std::nullopt);
  auto o = run(h, concat({bytes("RFB 003.003\n"), u32(0), u32(8), bytes("too many")}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_EQ(h.state(), State::Failed);
  EXPECT_TRUE(Contains(h.error(), "too many"));
}

TEST_P(HandshakeChunks, V37NoTypesReason) {
  RfbClientHandshake h(std::nullopt);
  auto o = run(h, concat({bytes("RFB 003.007\n"), Bytes{0}, u32(4), bytes("busy")}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(h.error(), "busy"));
}

TEST_P(HandshakeChunks, V38FailedResultReason) {
  RfbClientHandshake h(std::string("wrong"));
  auto o = run(h,
               concat({bytes("RFB 003.008\n"), Bytes{1, 2}, challenge(), u32(1), u32(21),
                       bytes("Authentication failed")}),
               GetParam());
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(h.error(), "Authentication failed"));
}

TEST_P(HandshakeChunks, V37FailedResultHasNoReason) {
  RfbClientHandshake h(std::string("wrong"));
  auto o = run(h, concat({bytes("RFB 003.007\n"), Bytes{1, 2}, challenge(), u32(1)}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(h.error(), "refused the VNC password"));
}

TEST_P(HandshakeChunks, V33VncAuthWrongPassword) {
  RfbClientHandshake h(std::string("wrong"));
  auto o = run(h, concat({bytes("RFB 003.003\n"), u32(2), challenge(), u32(1)}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(h.error(), "refused the VNC password"));
}

INSTANTIATE_TEST_SUITE_P(Chunks, HandshakeChunks, ::testing::ValuesIn(test::kHandshakeChunks));

TEST(RfbClient, VncAuthWithoutPasswordIsAnError) {
  RfbClientHandshake h38(std::nullopt);
  auto o = run(h38, concat({bytes("RFB 003.008\n"), Bytes{2, 2, 20}}), 1);
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(h38.error(), "password"));
  EXPECT_EQ(o.sent, bytes("RFB 003.008\n"));  // no choice sent

  RfbClientHandshake h33(std::nullopt);
  auto o33 = run(h33, concat({bytes("RFB 003.003\n"), u32(2)}), 1);
  EXPECT_EQ(o33.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(h33.error(), "password"));
}

TEST(RfbClient, NonePreferredOverVncAuth) {
  RfbClientHandshake h(std::string("secret"));
  auto o = run(h, concat({bytes("RFB 003.008\n"), Bytes{2, 2, 1}, u32(0)}), 1);
  EXPECT_EQ(o.status, ParseStatus::Ok);
  EXPECT_EQ(h.security_type(), kSecNone);
}

TEST(RfbClient, UnsupportedTypesRefused) {
  RfbClientHandshake h(std::string("secret"));
  run(h, concat({bytes("RFB 003.008\n"), Bytes{2, 19, 20}}), 1);
  EXPECT_EQ(h.state(), State::Failed);
  EXPECT_TRUE(Contains(h.error(), "no security type"));

  RfbClientHandshake h33(std::string("secret"));
  run(h33, concat({bytes("RFB 003.003\n"), u32(20)}), 1);
  EXPECT_EQ(h33.state(), State::Failed);
  EXPECT_TRUE(Contains(h33.error(), "20"));
}

TEST(RfbClient, BadServerVersionRefused) {
  for (const char *v : {"RFB 004.000\n", "RFB 003.002\n", "SSH-2.0-Open", "HTTP/1.1 400"}) {
    RfbClientHandshake h(std::nullopt);
    auto o = run(h, bytes(v), 1);
    EXPECT_EQ(o.status, ParseStatus::Error) << v;
    EXPECT_TRUE(o.sent.empty());
  }
}

TEST(RfbClient, ReasonIsSanitisedAndBounded) {
  RfbClientHandshake h(std::nullopt);
  run(h, concat({bytes("RFB 003.008\n"), Bytes{0}, u32(6), bytes("a\x1b[2Jb")}), 1);
  EXPECT_TRUE(Contains(h.error(), "a?[2Jb"));

  RfbClientHandshake big(std::nullopt);
  auto o = run(big, concat({bytes("RFB 003.008\n"), Bytes{0}, u32(4097)}), 1);
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(big.error(), "over-long"));
}

TEST(RfbClient, FinalStatesAreSticky) {
  RfbClientHandshake h(std::nullopt);
  run(h, concat({bytes("RFB 003.007\n"), Bytes{1, 1}}), 1);
  ASSERT_EQ(h.state(), State::Done);
  Bytes more{1, 2, 3};
  auto s = h.feed(more);
  EXPECT_EQ(s.status, ParseStatus::Ok);
  EXPECT_EQ(s.consumed, 0u);

  RfbClientHandshake f(std::nullopt);
  run(f, bytes("garbage-----"), 1);
  ASSERT_EQ(f.state(), State::Failed);
  auto e = f.feed(more);
  EXPECT_EQ(e.status, ParseStatus::Error);
  EXPECT_EQ(e.consumed, 0u);
}

}  // namespace
}  // namespace vncgate
