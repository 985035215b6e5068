#include "net/proxy_protocol.h"

#include <gtest/gtest.h>

#include <string>

namespace vncgate {
namespace {

const Bytes kSignature = {0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A};

// A v2 header: signature, version/command, family/transport, then `block`.
Bytes v2(uint8_t ver_cmd, uint8_t family, const Bytes &block) {
  Bytes out = kSignature;
  put_u8(out, ver_cmd);
  put_u8(out, family);
  put_u16(out, static_cast<uint16_t>(block.size()));
  out.insert(out.end(), block.begin(), block.end());
  return out;
}

Bytes inet_block(std::initializer_list<uint8_t> src, std::initializer_list<uint8_t> dst,
                 uint16_t src_port, uint16_t dst_port) {
  Bytes b(src);
  b.insert(b.end(), dst);
  put_u16(b, src_port);
  put_u16(b, dst_port);
  return b;
}

Bytes text(std::string_view s) {
  return Bytes(s.begin(), s.end());
}

TEST(ProxyProtocol, V2TcpOverIpv4) {
  Bytes in = v2(0x21, 0x11, inet_block({127, 0, 0, 23}, {127, 0, 0, 1}, 40000, 5900));
  in.push_back(0x52);  // the RFB client's first byte stays unread
  auto r = parse_proxy_header(in);
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.consumed, 28u);
  EXPECT_FALSE(r.value.local);
  EXPECT_EQ(proxy_address_text(r.value.source), "127.0.0.23");
  EXPECT_EQ(r.value.source.port, 40000);
  EXPECT_EQ(proxy_address_text(r.value.destination), "127.0.0.1");
  EXPECT_EQ(r.value.destination.port, 5900);
}

TEST(ProxyProtocol, V2TcpOverIpv6WithTlvsSkipped) {
  Bytes block(32, 0);
  block[0] = 0x20, block[1] = 0x01, block[2] = 0x0d, block[3] = 0xb8, block[15] = 0x07;
  block[31] = 0x01;  // destination ::1
  put_u16(block, 1234);
  put_u16(block, 5900);
  Bytes tlv = {0x04, 0x00, 0x03, 'a', 'b', 'c'};  // a NOOP TLV
  block.insert(block.end(), tlv.begin(), tlv.end());
  auto r = parse_proxy_header(v2(0x21, 0x21, block));
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.consumed, 16u + 36u + 6u);
  EXPECT_EQ(proxy_address_text(r.value.source), "2001:db8::7");
  EXPECT_EQ(proxy_address_text(r.value.destination), "::1");
  EXPECT_EQ(r.value.source.port, 1234);
}

TEST(ProxyProtocol, V2LocalAndUnspecKeepTheConnectionAddress) {
  auto local = parse_proxy_header(v2(0x20, 0x11, inet_block({10, 0, 0, 1}, {10, 0, 0, 2}, 1, 2)));
  ASSERT_EQ(local.status, ParseStatus::Ok);
  EXPECT_TRUE(local.value.local);
  auto unspec = parse_proxy_header(v2(0x21, 0x00, {}));
  ASSERT_EQ(unspec.status, ParseStatus::Ok);
  EXPECT_TRUE(unspec.value.local);
  EXPECT_EQ(unspec.consumed, 16u);
}

TEST(ProxyProtocol, EveryStrictPrefixNeedsMore) {
  Bytes in = v2(0x21, 0x11, inet_block({192, 0, 2, 1}, {192, 0, 2, 2}, 80, 81));
  for (size_t n = 0; n < in.size(); ++n)
    EXPECT_EQ(parse_proxy_header(ByteSpan(in).first(n)).status, ParseStatus::NeedMore) << n;
  Bytes line = text("PROXY TCP4 192.0.2.1 192.0.2.2 80 81\r\n");
  for (size_t n = 0; n < line.size(); ++n)
    EXPECT_EQ(parse_proxy_header(ByteSpan(line).first(n)).status, ParseStatus::NeedMore) << n;
}

TEST(ProxyProtocol, V2Refusals) {
  Bytes ok_block = inet_block({1, 2, 3, 4}, {5, 6, 7, 8}, 1, 2);
  EXPECT_EQ(parse_proxy_header(v2(0x11, 0x11, ok_block)).status, ParseStatus::Error);  // version 1
  EXPECT_EQ(parse_proxy_header(v2(0x22, 0x11, ok_block)).status, ParseStatus::Error);  // command
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x12, ok_block)).status, ParseStatus::Error);  // UDP
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x31, Bytes(216, 0))).status, ParseStatus::Error);  // UNIX
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x11, Bytes(11, 0))).status, ParseStatus::Error);
  EXPECT_EQ(parse_proxy_header(v2(0x21, 0x21, Bytes(35, 0))).status, ParseStatus::Error);
  // Too long is refused from the fixed part alone, before the rest arrives.
  Bytes huge = v2(0x21, 0x11, ok_block);
  huge[14] = 0x02, huge[15] = 0x09;  // 521 + 16 = 537
  auto r = parse_proxy_header(ByteSpan(huge).first(16));
  EXPECT_EQ(r.status, ParseStatus::Error);
  EXPECT_NE(r.error.find("too long"), std::string::npos);
  huge[15] = 0x08;  // exactly 536: still waiting for bytes
  EXPECT_EQ(parse_proxy_header(huge).status, ParseStatus::NeedMore);
}

TEST(ProxyProtocol, NoHeaderIsAnError) {
  EXPECT_EQ(parse_proxy_header(text("RFB 003.008\n")).status, ParseStatus::Error);
  EXPECT_EQ(parse_proxy_header(text("CONNECT /console/a HTTP/1.1\r\n")).status, ParseStatus::Error);
  Bytes tls = {0x16, 0x03, 0x01};
  EXPECT_EQ(parse_proxy_header(tls).status, ParseStatus::Error);
  Bytes bad_signature = kSignature;
  bad_signature[11] = 0x0B;
  EXPECT_EQ(parse_proxy_header(bad_signature).status, ParseStatus::Error);
}

TEST(ProxyProtocol, V1Text) {
  auto r = parse_proxy_header(text("PROXY TCP4 127.0.0.42 127.0.0.1 51000 5900\r\nRFB"));
  ASSERT_EQ(r.status, ParseStatus::Ok) << r.error;
  EXPECT_EQ(r.consumed, 44u);
  EXPECT_FALSE(r.value.local);
  EXPECT_EQ(proxy_address_text(r.value.source), "127.0.0.42");
  EXPECT_EQ(r.value.source.port, 51000);
  auto six = parse_proxy_header(text("PROXY TCP6 2001:db8::1 ::1 65535 5900\r\n"));
  ASSERT_EQ(six.status, ParseStatus::Ok) << six.error;
  EXPECT_EQ(proxy_address_text(six.value.source), "2001:db8::1");
  auto unknown = parse_proxy_header(text("PROXY UNKNOWN\r\n"));
  ASSERT_EQ(unknown.status, ParseStatus::Ok);
  EXPECT_TRUE(unknown.value.local);
}

TEST(ProxyProtocol, V1Refusals) {
  for (const char *line :
       {"PROXY TCP4 127.0.0.1 127.0.0.1 1 2\n", "PROXY TCP4 127.0.0.1 127.0.0.1 1\r\n",
        "PROXY TCP4 ::1 127.0.0.1 1 2\r\n", "PROXY TCP4 127.0.0.1 127.0.0.1 65536 2\r\n",
        "PROXY TCP4 127.0.0.1 127.0.0.1 01 2\r\n", "PROXY UDP4 127.0.0.1 127.0.0.1 1 2\r\n",
        "PROXY TCP4  127.0.0.1 127.0.0.1 1 2\r\n", "PROXY TCP4 127.0.0.1 127.0.0.1 1 2\rX"})
    EXPECT_EQ(parse_proxy_header(text(line)).status, ParseStatus::Error) << line;
  EXPECT_EQ(parse_proxy_header(text("PROXY " + std::string(120, 'A'))).status, ParseStatus::Error);
}

}  // namespace
}  // namespace vncgate
