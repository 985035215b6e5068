#include "net/allow_list.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace vncgate {
namespace {

AllowList make(std::initializer_list<const char *> masks) {
  AllowList l;
  for (const char *m : masks) {
    std::string error;
    EXPECT_TRUE(l.add(m, error)) << m << ": " << error;
  }
  return l;
}

TEST(AllowList, EmptyAllowsEveryone) {
  AllowList l;
  EXPECT_TRUE(l.empty());
  EXPECT_TRUE(l.allows("127.0.0.1"));
  EXPECT_TRUE(l.allows("203.0.113.9"));
  EXPECT_TRUE(l.allows("2001:db8::1"));
}

TEST(AllowList, Ipv4Cidr) {
  AllowList l = make({"127.0.0.0/8", "192.168.10.0/24"});
  EXPECT_EQ(l.size(), 2u);
  EXPECT_TRUE(l.allows("127.0.0.1"));
  EXPECT_TRUE(l.allows("127.255.255.254"));
  EXPECT_TRUE(l.allows("192.168.10.200"));
  EXPECT_FALSE(l.allows("192.168.11.1"));
  EXPECT_FALSE(l.allows("128.0.0.1"));
  EXPECT_FALSE(l.allows("::1"));
}

TEST(AllowList, Ipv6Cidr) {
  AllowList l = make({"fd00::/8", "2001:db8:1::/48"});
  EXPECT_TRUE(l.allows("fd12:3456::1"));
  EXPECT_TRUE(l.allows("2001:db8:1:ffff::2"));
  EXPECT_FALSE(l.allows("2001:db8:2::1"));
  EXPECT_FALSE(l.allows("fe80::1"));
  EXPECT_FALSE(l.allows("10.0.0.1"));
}

TEST(AllowList, SingleAddresses) {
  AllowList l = make({"10.1.2.3", "::1"});
  EXPECT_TRUE(l.allows("10.1.2.3"));
  EXPECT_FALSE(l.allows("10.1.2.4"));
  EXPECT_TRUE(l.allows("::1"));
  EXPECT_FALSE(l.allows("::2"));
  AllowList host32 = make({"10.1.2.3/32"});
  EXPECT_TRUE(host32.allows("10.1.2.3"));
  EXPECT_FALSE(host32.allows("10.1.2.2"));
}

TEST(AllowList, MappedIpv6MatchesIpv4Masks) {
  AllowList l = make({"127.0.0.0/8"});
  EXPECT_TRUE(l.allows("::ffff:127.0.0.1"));
  EXPECT_TRUE(l.allows("::ffff:7f00:2"));
  EXPECT_FALSE(l.allows("::ffff:10.0.0.1"));
  // Only the ::ffff:0:0/96 prefix is treated as IPv4.
  EXPECT_FALSE(l.allows("::127.0.0.1"));
  EXPECT_FALSE(l.allows("64:ff9b::7f00:1"));

  AllowList single = make({"192.0.2.7"});
  EXPECT_TRUE(single.allows("::ffff:192.0.2.7"));
}

TEST(AllowList, MappedMasksStillMatchIpv6) {
  AllowList l = make({"::ffff:0:0/96"});
  EXPECT_TRUE(l.allows("::ffff:10.0.0.1"));
  EXPECT_FALSE(l.allows("10.0.0.1"));
}

TEST(AllowList, ZeroLengthMasks) {
  AllowList v4 = make({"0.0.0.0/0"});
  EXPECT_TRUE(v4.allows("203.0.113.1"));
  EXPECT_TRUE(v4.allows("::ffff:203.0.113.1"));
  EXPECT_FALSE(v4.allows("2001:db8::1"));
}

TEST(AllowList, BadMasksRefused) {
  for (const char *bad :
       {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/x", "garbage", "",
        "localhost", "10.0.0/8", "10.0.0.1/8", "256.0.0.0/8", "[::1]", "::1/64/1"}) {
    AllowList l;
    std::string error;
    EXPECT_FALSE(l.add(bad, error)) << bad;
    EXPECT_TRUE(test::Contains(error, std::string("'") + bad + "'")) << error;
    EXPECT_TRUE(l.empty());
  }
}

TEST(AllowList, UnparsableClientAddressRefused) {
  AllowList l = make({"0.0.0.0/0"});
  EXPECT_FALSE(l.allows("not-an-address"));
  EXPECT_FALSE(l.allows(""));
}

TEST(AllowList, GInetAddressOverload) {
  AllowList l = make({"127.0.0.0/8"});
  GInetAddress *lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
  GInetAddress *lo6 = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV6);
  EXPECT_TRUE(l.allows(lo));
  EXPECT_FALSE(l.allows(lo6));
  g_object_unref(lo);
  g_object_unref(lo6);
}

TEST(AllowList, CopyAndMove) {
  AllowList a = make({"10.0.0.0/8"});
  AllowList b(a);
  EXPECT_EQ(b.size(), 1u);
  EXPECT_TRUE(b.allows("10.9.9.9"));
  AllowList c;
  c = b;
  const AllowList &alias = c;
  c = alias;  // self-assignment keeps the masks
  EXPECT_TRUE(c.allows("10.9.9.9"));
  AllowList d(std::move(a));
  EXPECT_TRUE(d.allows("10.9.9.9"));
  std::string error;
  ASSERT_TRUE(c.add("192.0.2.0/24", error));
  EXPECT_FALSE(b.allows("192.0.2.1"));  // copies are independent
}

}  // namespace
}  // namespace vncgate
