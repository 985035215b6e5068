#include "rfb/sasl_messages.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace vncgate {
namespace {

using test::bytes;
using test::concat;
using test::u32;

// A complete SASL start message as a client encodes it.
Bytes start_msg(std::string_view mech, const char *data, unsigned len) {
  return concat(
      {u32(static_cast<uint32_t>(mech.size())), bytes(mech), encode_sasl_data(data, len)});
}

TEST(SaslStart, MechanismAndData) {
  Bytes in = start_msg("SCRAM-SHA-256", "n,,n=user,r=abc", 15);
  auto r = parse_sasl_start(in);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_EQ(r.value.mechanism, "SCRAM-SHA-256");
  ASSERT_TRUE(r.value.data.has_value());
  EXPECT_EQ(*r.value.data, bytes("n,,n=user,r=abc"));
}

TEST(SaslStart, ZeroLengthDataIsNull) {
  Bytes in = concat({u32(6), bytes("GSSAPI"), u32(0)});
  auto r = parse_sasl_start(in);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.consumed, in.size());
  EXPECT_FALSE(r.value.data.has_value());
}

TEST(SaslStart, LengthOneIsEmptyPresentData) {
  Bytes in = concat({u32(5), bytes("PLAIN"), u32(1), Bytes{0}});
  auto r = parse_sasl_start(in);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  ASSERT_TRUE(r.value.data.has_value());
  EXPECT_TRUE(r.value.data->empty());
}

TEST(SaslStart, BinaryDataKept) {
  Bytes payload{0, 1, 0xff, 0, 0x7f};
  Bytes in = concat({u32(6), bytes("GSSAPI"), u32(6), payload, Bytes{0}});
  auto r = parse_sasl_start(in);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(*r.value.data, payload);
}

TEST(SaslStart, TrailingBytesNotConsumed) {
  Bytes msg = start_msg("PLAIN", "x", 1);
  Bytes in = concat({msg, Bytes{1, 2, 3}});
  auto r = parse_sasl_start(in);
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(r.consumed, msg.size());
}

TEST(SaslStart, MechNameLengthLimits) {
  Bytes zero = concat({u32(0), u32(0)});
  EXPECT_EQ(parse_sasl_start(zero).status, ParseStatus::Error);

  std::string m100(100, 'A');
  Bytes ok = start_msg(m100, nullptr, 0);
  auto r = parse_sasl_start(ok);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.value.mechanism, m100);

  // 101 is refused from the length alone, before the name arrives.
  Bytes over = u32(101);
  EXPECT_EQ(parse_sasl_start(over).status, ParseStatus::Error);
  Bytes m101 = start_msg(std::string(101, 'A'), nullptr, 0);
  EXPECT_EQ(parse_sasl_start(m101).status, ParseStatus::Error);
  Bytes huge = concat({u32(0xffffffff), bytes("AAAA")});
  EXPECT_EQ(parse_sasl_start(huge).status, ParseStatus::Error);
}

TEST(SaslStart, BadMechanismCharactersRefused) {
  for (std::string_view mech : {"GSS API", "PLAIN\n", "a,b", "X.Y", "DIGEST/MD5", "caf\xc3\xa9"}) {
    Bytes in = start_msg(mech, nullptr, 0);
    auto r = parse_sasl_start(in);
    EXPECT_EQ(r.status, ParseStatus::Error) << mech;
    EXPECT_FALSE(r.error.empty());
  }
  using namespace std::string_literals;
  Bytes nul = start_msg("PLAIN\0"s, nullptr, 0);
  EXPECT_EQ(parse_sasl_start(nul).status, ParseStatus::Error);
  // Allowed punctuation.
  Bytes ok = start_msg("SCRAM-SHA-1_x9", nullptr, 0);
  EXPECT_EQ(parse_sasl_start(ok).status, ParseStatus::Ok);
}

// gtk-vnc's GSSAPI messages end in whatever byte follows its buffer, not
// always NUL; like QEMU, the terminator is stripped without a check.
TEST(SaslStart, NonNulTerminatorIsStripped) {
  Bytes in = concat({u32(5), bytes("PLAIN"), u32(3), bytes("abc")});
  auto r = parse_sasl_start(in);
  ASSERT_EQ(r.status, ParseStatus::Ok);
  ASSERT_TRUE(r.value.data.has_value());
  EXPECT_EQ(*r.value.data, bytes("ab"));
}

TEST(SaslStart, NeedMoreAtEveryTruncation) {
  for (const Bytes &full : {start_msg("SCRAM-SHA-256", "n,,n=user,r=abc", 15),
                            start_msg("GSSAPI", nullptr, 0), start_msg("X", "", 0)}) {
    ASSERT_EQ(parse_sasl_start(full).status, ParseStatus::Ok);
    for (size_t n = 0; n < full.size(); ++n) {
      ByteSpan prefix(full.data(), n);
      EXPECT_EQ(parse_sasl_start(prefix).status, ParseStatus::NeedMore) << "prefix " << n;
    }
  }
}

TEST(SaslData, OneMiBLimit) {
  Bytes max_data(kMaxSaslClientData, 'x');
  Bytes at_limit = concat({u32(static_cast<uint32_t>(kMaxSaslClientData + 1)), max_data, Bytes{0}});
  auto r = parse_sasl_step(at_limit);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.value.data->size(), kMaxSaslClientData);

  // One byte more is refused from the length alone.
  Bytes over = u32(static_cast<uint32_t>(kMaxSaslClientData + 2));
  auto o = parse_sasl_step(over);
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_EQ(parse_sasl_step(u32(0xffffffff)).status, ParseStatus::Error);
  Bytes start_over = concat({u32(5), bytes("PLAIN"), u32(0x7fffffff)});
  EXPECT_EQ(parse_sasl_start(start_over).status, ParseStatus::Error);
}

TEST(SaslData, ConfiguredLimit) {
  // The daemon's [sasl] max-field: a field of exactly the limit passes, one
  // byte more is refused from the length header alone (no body needed).
  const size_t limit = 64 * 1024;
  Bytes at_limit = concat({u32(static_cast<uint32_t>(limit + 1)), Bytes(limit, 'k'), Bytes{0}});
  auto r = parse_sasl_step(at_limit, limit);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.value.data->size(), limit);
  auto o = parse_sasl_step(u32(static_cast<uint32_t>(limit + 2)), limit);
  EXPECT_EQ(o.status, ParseStatus::Error);
  EXPECT_EQ(o.error, "SASL data larger than 65536 bytes");
  Bytes start_over = concat({u32(6), bytes("GSSAPI"), u32(static_cast<uint32_t>(limit + 2))});
  EXPECT_EQ(parse_sasl_start(start_over, limit).status, ParseStatus::Error);
  Bytes start_ok = concat({u32(6), bytes("GSSAPI"), u32(static_cast<uint32_t>(limit + 1))});
  EXPECT_EQ(parse_sasl_start(start_ok, limit).status, ParseStatus::NeedMore);
  // A limit above the codec's own maximum is held to that maximum.
  EXPECT_EQ(parse_sasl_step(u32(static_cast<uint32_t>(kMaxSaslClientData + 2)), SIZE_MAX).status,
            ParseStatus::Error);
}

TEST(SaslStep, DataFields) {
  Bytes null_in = u32(0);
  auto n = parse_sasl_step(null_in);
  ASSERT_EQ(n.status, ParseStatus::Ok);
  EXPECT_EQ(n.consumed, 4u);
  EXPECT_FALSE(n.value.data.has_value());

  Bytes empty_in = concat({u32(1), Bytes{0}});
  auto e = parse_sasl_step(empty_in);
  ASSERT_EQ(e.status, ParseStatus::Ok);
  EXPECT_EQ(e.consumed, 5u);
  ASSERT_TRUE(e.value.data.has_value());
  EXPECT_TRUE(e.value.data->empty());

  Bytes odd = concat({u32(1), Bytes{'x'}});
  auto o2 = parse_sasl_step(odd);
  ASSERT_EQ(o2.status, ParseStatus::Ok);
  EXPECT_TRUE(o2.value.data->empty());
}

TEST(SaslStep, NeedMoreAtEveryTruncation) {
  Bytes full = encode_sasl_data("client-final", 12);
  ASSERT_EQ(parse_sasl_step(full).status, ParseStatus::Ok);
  for (size_t n = 0; n < full.size(); ++n) {
    EXPECT_EQ(parse_sasl_step(ByteSpan(full.data(), n)).status, ParseStatus::NeedMore) << n;
  }
}

TEST(SaslEncoders, Mechlist) {
  EXPECT_EQ(encode_sasl_mechlist("GSSAPI,SCRAM-SHA-256"),
            concat({u32(20), bytes("GSSAPI,SCRAM-SHA-256")}));
  EXPECT_EQ(encode_sasl_mechlist(""), u32(0));
}

TEST(SaslEncoders, Data) {
  EXPECT_EQ(encode_sasl_data(nullptr, 0), u32(0));
  EXPECT_EQ(encode_sasl_data(nullptr, 5), u32(0));
  EXPECT_EQ(encode_sasl_data("", 0), concat({u32(1), Bytes{0}}));
  EXPECT_EQ(encode_sasl_data("ab\0c", 4), concat({u32(5), Bytes{'a', 'b', 0, 'c', 0}}));
}

TEST(SaslEncoders, Reply) {
  EXPECT_EQ(encode_sasl_reply(nullptr, 0, true), concat({u32(0), Bytes{1}}));
  EXPECT_EQ(encode_sasl_reply("", 0, false), concat({u32(1), Bytes{0, 0}}));
  EXPECT_EQ(encode_sasl_reply("r=xyz", 5, false), concat({u32(6), bytes("r=xyz"), Bytes{0, 0}}));
  EXPECT_EQ(encode_sasl_reply("v=ok", 4, true), concat({u32(5), bytes("v=ok"), Bytes{0, 1}}));
}

TEST(SaslEncoders, RoundTrip) {
  Bytes enc = encode_sasl_data("token", 5);
  auto r = parse_sasl_step(enc);
  ASSERT_EQ(r.status, ParseStatus::Ok);
  EXPECT_EQ(*r.value.data, bytes("token"));
}

}  // namespace
}  // namespace vncgate
