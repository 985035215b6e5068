#include "rfb/rfb_server.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace vncgate {
namespace {

using test::bytes;
using test::concat;
using test::u32;

Parsed<RfbVersion> client_version(std::string_view text) {
  Bytes b = bytes(text);
  return parse_client_version(b);
}

TEST(ClientVersion, AcceptedVersions) {
  struct Case {
    const char *text;
    RfbVersion want;
  } cases[] = {
      {"RFB 003.003\n", {3, 3}}, {"RFB 003.004\n", {3, 3}}, {"RFB 003.005\n", {3, 3}},
      {"RFB 003.007\n", {3, 7}}, {"RFB 003.008\n", {3, 8}},
  };
  for (const auto &c : cases) {
    auto r = client_version(c.text);
    ASSERT_EQ(r.status, ParseStatus::Ok) << c.text << r.error;
    EXPECT_EQ(r.consumed, 12u);
    EXPECT_EQ(r.value, c.want) << c.text;
  }
}

TEST(ClientVersion, ConsumesOnlyTwelveBytes) {
  auto r = client_version("RFB 003.008\n\x14");
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.consumed, 12u);
}

TEST(ClientVersion, RefusedVersions) {
  for (const char *text : {"RFB 003.006\n", "RFB 004.000\n", "RFB 004.001\n", "RFB 003.009\n",
                           "RFB 003.889\n", "RFB 002.008\n", "RFB 000.000\n", "RFB 003.002\n"}) {
    auto r = client_version(text);
    EXPECT_EQ(r.status, ParseStatus::Error) << text;
    EXPECT_FALSE(r.error.empty());
  }
}

TEST(ClientVersion, GarbageRefused) {
  for (const char *text :
       {"GET / HTTP/1.1", "RFB 003.008\r", "RFB 003,008\n", "RFB  03.008\n", "rfb 003.008\n",
        "RFB 00a.008\n", "RFB 003.00x\n", "RFB-003.008\n", "XXXXXXXXXXXX"}) {
    auto r = client_version(text);
    EXPECT_EQ(r.status, ParseStatus::Error) << text;
  }
}

TEST(ClientVersion, ShortInputNeedsMore) {
  std::string full = "RFB 003.008\n";
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_EQ(client_version(full.substr(0, n)).status, ParseStatus::NeedMore) << n;
  }
  // Even garbage needs 12 bytes before it is judged.
  EXPECT_EQ(client_version("XXXX").status, ParseStatus::NeedMore);
}

TEST(ServerVersion, MapsToWhatTheGatewaySpeaks) {
  auto v = [](std::string_view t) {
    Bytes b = bytes(t);
    return parse_server_version(b);
  };
  EXPECT_EQ(v("RFB 003.003\n").value, (RfbVersion{3, 3}));
  EXPECT_EQ(v("RFB 003.006\n").value, (RfbVersion{3, 3}));
  EXPECT_EQ(v("RFB 003.007\n").value, (RfbVersion{3, 7}));
  EXPECT_EQ(v("RFB 003.008\n").value, (RfbVersion{3, 8}));
  EXPECT_EQ(v("RFB 003.889\n").value, (RfbVersion{3, 8}));
  EXPECT_EQ(v("RFB 003.002\n").status, ParseStatus::Error);
  EXPECT_EQ(v("RFB 004.000\n").status, ParseStatus::Error);
  EXPECT_EQ(v("HTTP/1.1 200").status, ParseStatus::Error);
  EXPECT_EQ(v("RFB 003").status, ParseStatus::NeedMore);
}

TEST(FormatVersion, Text) {
  EXPECT_EQ(format_version({3, 8}), "RFB 003.008\n");
  EXPECT_EQ(format_version({3, 3}), "RFB 003.003\n");
  EXPECT_EQ(kServerVersion, "RFB 003.008\n");
  EXPECT_EQ(kServerVersion.size(), 12u);
}

TEST(Encoders, SecurityTypes) {
  const uint8_t types[] = {kSecSasl, kSecVeNCrypt};
  EXPECT_EQ(encode_security_types(types), (Bytes{2, 20, 19}));
  EXPECT_EQ(encode_security_types({}), (Bytes{0}));
  const uint8_t one[] = {kSecNone};
  EXPECT_EQ(encode_security_types(one), (Bytes{1, 1}));
}

TEST(Encoders, V33Refusal) {
  EXPECT_EQ(encode_v33_refusal("use 3.8"), concat({u32(0), u32(7), bytes("use 3.8")}));
  EXPECT_EQ(encode_v33_refusal(""), concat({u32(0), u32(0)}));
}

TEST(Encoders, SecurityResultOk) {
  EXPECT_EQ(encode_security_result(true, "", {3, 8}), u32(0));
  EXPECT_EQ(encode_security_result(true, "ignored", {3, 8}), u32(0));
  EXPECT_EQ(encode_security_result(true, "", {3, 7}), u32(0));
}

TEST(Encoders, SecurityResultFailure37HasNoReason) {
  EXPECT_EQ(encode_security_result(false, "Authentication failed", {3, 7}), u32(1));
  EXPECT_EQ(encode_security_result(false, "Authentication failed", {3, 3}), u32(1));
}

TEST(Encoders, SecurityResultFailure38HasReason) {
  EXPECT_EQ(encode_security_result(false, "Authentication failed", {3, 8}),
            concat({u32(1), u32(21), bytes("Authentication failed")}));
  EXPECT_EQ(encode_security_result(false, "", {3, 8}), concat({u32(1), u32(0)}));
}

TEST(SecurityChoice, OneByte) {
  EXPECT_EQ(parse_security_choice({}).status, ParseStatus::NeedMore);
  Bytes in{20, 0xff};
  auto r = parse_security_choice(in);
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.consumed, 1u);
  EXPECT_EQ(r.value, 20);
  Bytes zero{0};
  EXPECT_EQ(parse_security_choice(zero).value, 0);
}

}  // namespace
}  // namespace vncgate
