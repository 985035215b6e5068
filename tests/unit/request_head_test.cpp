// check_request_head: what the web front lets libsoup 3.2 parse.
#include "io/request_head.h"

#include <gtest/gtest.h>

#include <string>

namespace vncgate {
namespace {

using Status = RequestHeadVerdict::Status;

RequestHeadVerdict check(const std::string &s) {
  return check_request_head(ByteSpan(reinterpret_cast<const uint8_t *>(s.data()), s.size()));
}

TEST(RequestHead, AWholeHeadIsHandedOnAloneAndAnUpgradeIsSeen) {
  const std::string head =
      "GET /ws/console/c HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n";
  auto v = check(head + "\x81\x85 frame bytes");
  ASSERT_EQ(v.status, Status::Ok);
  EXPECT_EQ(v.length, head.size());
  EXPECT_TRUE(v.upgrade);
  v = check("GET /console/c HTTP/1.1\nHost: h\n\nGET /next HTTP/1.1\n\n");
  ASSERT_EQ(v.status, Status::Ok) << "bare newlines, as libsoup accepts them";
  EXPECT_EQ(v.length, std::string("GET /console/c HTTP/1.1\nHost: h\n\n").size());
  EXPECT_FALSE(v.upgrade);
}

TEST(RequestHead, EmptyLinesBeforeTheRequestLineAreSkippedButCounted) {
  const std::string head = "\r\n\n\nGET /console/c HTTP/1.1\r\nHost: h\r\n\r\n";
  auto v = check(head);
  ASSERT_EQ(v.status, Status::Ok);
  EXPECT_EQ(v.length, head.size());
  EXPECT_EQ(check(std::string(100, '\n')).status, Status::NeedMore);
  EXPECT_EQ(check(std::string(kMaxRequestHead, '\n')).status, Status::Refused);
}

TEST(RequestHead, APartialHeadNeedsMore) {
  EXPECT_EQ(check("").status, Status::NeedMore);
  EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: h\r\n").status, Status::NeedMore);
  EXPECT_EQ(check("GET / HTTP/1.1\r\nHost: h\r\n\r").status, Status::NeedMore);
}

// The libsoup 3.2 leak's trigger, in every spelling libsoup might read.
TEST(RequestHead, BodyHeadersAreRefusedInAnySpelling) {
  for (const char *line :
       {"Content-Length: 3", "content-length:x", "CONTENT-LENGTH : 1", "Transfer-Encoding: chunked",
        "transfer-encoding:\tgzip", " Content-Length: 5", "Content-Length:"}) {
    auto v = check(std::string("POST /console/c HTTP/1.1\r\nHost: h\r\n") + line + "\r\n\r\n");
    EXPECT_EQ(v.status, Status::Refused) << line;
    EXPECT_NE(v.reason.find("body"), std::string::npos) << v.reason;
  }
  // Named in a value or the request line only: not a body header.
  EXPECT_EQ(check("GET /Content-Length: HTTP/1.1\r\nX-Note: Content-Length\r\n\r\n").status,
            Status::Ok);
}

TEST(RequestHead, AHeadWithoutAnEndWithinTheBoundIsRefused) {
  std::string s = "GET / HTTP/1.1\r\nX-Long: ";
  s.append(kMaxRequestHead, 'a');
  auto v = check(s);
  EXPECT_EQ(v.status, Status::Refused);
  EXPECT_NE(v.reason.find("longer than"), std::string::npos);
  // A head of exactly the bound is whole; one byte more is not.
  std::string late(kMaxRequestHead - 1, 'b');
  EXPECT_EQ(check(late + "\n\n").status, Status::Refused);
  EXPECT_EQ(check(late.substr(1) + "\n\n").status, Status::Ok);
}

}  // namespace
}  // namespace vncgate
