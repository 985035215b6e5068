// RfbClientHandshake with want_tls: VeNCrypt X509None / X509Vnc toward the
// backend, and refusals when the backend cannot give TLS.
#include <gtest/gtest.h>

#include "handshake_driver.h"
#include "rfb/rfb_client.h"
#include "test_util.h"

namespace vncgate {
namespace {

using test::bytes;
using test::concat;
using test::Contains;
using test::u32;
using State = RfbClientHandshake::State;

// Backend side up to and including the VeNCrypt subtype list.
Bytes vencrypt_offer(std::initializer_list<uint32_t> subtypes) {
  Bytes b = concat({bytes("RFB 003.008\n"), Bytes{2, 1, 19}, Bytes{0, 2}, Bytes{0}});
  b.push_back(static_cast<uint8_t>(subtypes.size()));
  for (uint32_t st : subtypes) put_u32(b, st);
  return b;
}

Bytes challenge() {
  return Bytes{9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 1, 2, 3, 4, 5, 6};
}

class VeNCryptChunks : public ::testing::TestWithParam<size_t> {};

TEST_P(VeNCryptChunks, X509None) {
  RfbClientHandshake h(std::nullopt, true);
  Bytes before_tls = concat({vencrypt_offer({257, 260, 262}), Bytes{1}});
  auto o = test::run_handshake(h, concat({before_tls, u32(0), Bytes{0, 0}}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h.error();
  // Chooses VeNCrypt even though None is offered beside it.
  EXPECT_EQ(o.sent, concat({bytes("RFB 003.008\n"), Bytes{19}, Bytes{0, 2}, u32(260)}));
  EXPECT_EQ(o.start_tls, 1);
  EXPECT_EQ(o.tls_at, before_tls.size());
  EXPECT_EQ(o.leftover, 2u);
  EXPECT_EQ(h.security_type(), kSecVeNCrypt);
  EXPECT_EQ(h.vencrypt_subtype(), 260u);
}

TEST_P(VeNCryptChunks, X509VncWithPassword) {
  RfbClientHandshake h(std::string("secret"), true);
  auto o = test::run_handshake(h, concat({vencrypt_offer({261}), Bytes{1}, challenge(), u32(0)}),
                               GetParam());
  EXPECT_EQ(o.status, ParseStatus::Ok) << h.error();
  EXPECT_EQ(o.sent, concat({bytes("RFB 003.008\n"), Bytes{19}, Bytes{0, 2}, u32(261),
                            vnc_auth_response("secret", challenge())}));
  EXPECT_EQ(o.start_tls, 1);
  EXPECT_EQ(h.vencrypt_subtype(), 261u);
}

TEST_P(VeNCryptChunks, FailedResultReason) {
  RfbClientHandshake h(std::nullopt, true);
  auto o = test::run_handshake(
      h, concat({vencrypt_offer({260}), Bytes{1}, u32(1), u32(6), bytes("no way")}), GetParam());
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_TRUE(Contains(h.error(), "no way"));
}

INSTANTIATE_TEST_SUITE_P(Chunks, VeNCryptChunks, ::testing::ValuesIn(test::kHandshakeChunks));

void expect_refused(bool with_password, const Bytes &server, std::string_view why) {
  std::optional<std::string> pw;
  if (with_password) pw = "secret";
  RfbClientHandshake h(pw, true);
  auto o = test::run_handshake(h, server, 1);
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_EQ(h.state(), State::Failed);
  EXPECT_EQ(o.start_tls, 0);
  EXPECT_TRUE(Contains(h.error(), why));
}

TEST(VeNCrypt, BackendWithoutVeNCryptRefused) {
  expect_refused(true, concat({bytes("RFB 003.008\n"), Bytes{2, 1, 2}}), "VeNCrypt");
  expect_refused(false, concat({bytes("RFB 003.007\n"), Bytes{1, 1}}), "VeNCrypt");
}

TEST(VeNCrypt, Rfb33BackendCannotDowngradeToPlaintext) {
  // RFB 3.3 has no way to offer VeNCrypt: with TLS required, None or a VNC
  // password in the clear must not complete the handshake.
  expect_refused(false, concat({bytes("RFB 003.003\n"), u32(1)}), "VeNCrypt");
  expect_refused(true, concat({bytes("RFB 003.003\n"), u32(2)}), "VeNCrypt");
  // A 3.3 refusal still reports the backend's reason.
  expect_refused(false, concat({bytes("RFB 003.003\n"), u32(0), u32(4), bytes("busy")}), "busy");
}

TEST(VeNCrypt, BadVersionAckOrAcceptRefused) {
  Bytes v38 = concat({bytes("RFB 003.008\n"), Bytes{1, 19}});
  expect_refused(false, concat({v38, Bytes{0, 1}}), "version");
  expect_refused(false, concat({v38, Bytes{1, 0}}), "version");
  expect_refused(false, concat({v38, Bytes{0, 2}, Bytes{1}}), "refused VeNCrypt");
  expect_refused(false, concat({vencrypt_offer({260}), Bytes{0}}), "rejected");
  expect_refused(false, concat({vencrypt_offer({260}), Bytes{2}}), "rejected");
}

TEST(VeNCrypt, NoUsableSubtypeRefused) {
  expect_refused(true, vencrypt_offer({}), "X509");
  expect_refused(true, vencrypt_offer({256, 257, 258, 262, 263, 264}), "X509");
  expect_refused(false, vencrypt_offer({261}), "password");
}

TEST(VeNCrypt, SubtypeListNeedsAllItsBytes) {
  RfbClientHandshake h(std::nullopt, true);
  Bytes partial = vencrypt_offer({261, 260});
  partial.pop_back();
  auto o = test::run_handshake(h, partial, 1);
  EXPECT_EQ(o.status, ParseStatus::NeedMore);
  EXPECT_EQ(h.state(), State::VeNCryptSubtypes);
}

}  // namespace
}  // namespace vncgate
