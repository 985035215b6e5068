#include "rfb/http_connect.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace vncgate {
namespace {

using test::bytes;
using test::Contains;

HttpConnectParse parse(std::string_view text) {
  Bytes b = bytes(text);
  return parse_http_connect(b);
}

void expect_refused(std::string_view text, int status, std::string_view why = {}) {
  auto r = parse(text);
  EXPECT_EQ(r.result.status, ParseStatus::Error) << text;
  EXPECT_EQ(r.http_status, status) << text;
  EXPECT_FALSE(r.result.error.empty());
  if (!why.empty()) {
    EXPECT_TRUE(Contains(r.result.error, why));
  }
}

TEST(HttpConnect, MinimalHttp11) {
  std::string req = "CONNECT /console/lpar1 HTTP/1.1\r\n\r\n";
  auto r = parse(req);
  ASSERT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
  EXPECT_EQ(r.http_status, 200);
  EXPECT_EQ(r.result.consumed, req.size());
  EXPECT_EQ(r.result.value.console, "lpar1");
  EXPECT_EQ(r.result.value.http_minor, 1);
  EXPECT_TRUE(r.result.value.query.empty());
}

TEST(HttpConnect, Http10WithHeaders) {
  std::string req =
      "CONNECT /console/a.b_c-1 HTTP/1.0\r\n"
      "Host: gateway.example.com:5901\r\n"
      "User-Agent: test\tclient\r\n"
      "X-Empty:\r\n"
      "\r\n";
  auto r = parse(req);
  ASSERT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
  EXPECT_EQ(r.result.consumed, req.size());
  EXPECT_EQ(r.result.value.console, "a.b_c-1");
  EXPECT_EQ(r.result.value.http_minor, 0);
}

TEST(HttpConnect, ByteByByteNeedsMoreUntilComplete) {
  std::string req = "CONNECT /console/lpar1?token=abc HTTP/1.1\r\nHost: x\r\n\r\n";
  Bytes buf;
  for (size_t i = 0; i < req.size(); ++i) {
    buf.push_back(static_cast<uint8_t>(req[i]));
    auto r = parse_http_connect(buf);
    if (i + 1 < req.size()) {
      ASSERT_EQ(r.result.status, ParseStatus::NeedMore) << "at byte " << i;
    } else {
      ASSERT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
      EXPECT_EQ(r.result.consumed, req.size());
      EXPECT_EQ(r.result.value.query.at("token"), "abc");
    }
  }
}

TEST(HttpConnect, EmptyInputNeedsMore) {
  EXPECT_EQ(parse("").result.status, ParseStatus::NeedMore);
}

TEST(HttpConnect, LeftoverBytesAreNotConsumed) {
  std::string req = "CONNECT /console/x HTTP/1.1\r\n\r\n";
  std::string all = req + "RFB 003.008\n\r\n\r\n";
  auto r = parse(all);
  ASSERT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
  EXPECT_EQ(r.result.consumed, req.size());
}

TEST(HttpConnect, QueryPercentDecoding) {
  auto r = parse("CONNECT /console/x?token=a%2Fb%3d%20c&user=j+doe&flag&e= HTTP/1.1\r\n\r\n");
  ASSERT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
  const auto &q = r.result.value.query;
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q.at("token"), "a/b= c");
  EXPECT_EQ(q.at("user"), "j doe");
  EXPECT_EQ(q.at("flag"), "");
  EXPECT_EQ(q.at("e"), "");
}

TEST(HttpConnect, QueryEmptyPairsSkipped) {
  auto r = parse("CONNECT /console/x?&&a=1& HTTP/1.1\r\n\r\n");
  ASSERT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
  EXPECT_EQ(r.result.value.query.size(), 1u);
}

TEST(HttpConnect, PercentEncodedConsoleName) {
  auto r = parse("CONNECT /console/lp%61r HTTP/1.1\r\n\r\n");
  ASSERT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
  EXPECT_EQ(r.result.value.console, "lpar");
}

TEST(HttpConnect, BadQueriesRefused) {
  expect_refused("CONNECT /console/x?a=1&a=2 HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?a=1&b=2&a=1 HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?%61=1&a=2 HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?a=%4 HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?a=%zz HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?a=% HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?a=%00 HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?a=%0a HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?a=%7f HTTP/1.1\r\n\r\n", 400, "query");
  expect_refused("CONNECT /console/x?=v HTTP/1.1\r\n\r\n", 400, "query");
}

TEST(HttpConnect, GarbageRefusedEarly) {
  // Refused from the first bytes, before any terminator arrives.
  expect_refused("G", 400, "not HTTP CONNECT");
  expect_refused("RFB 003.008\n", 400, "not HTTP CONNECT");
  expect_refused("connect /console/x HTTP/1.1\r\n\r\n", 400);
  expect_refused("\x16\x03\x01", 400);
}

TEST(HttpConnect, OtherMethodsRefused) {
  expect_refused("GET /console/x HTTP/1.1\r\n\r\n", 400);
  expect_refused("CONNECTX /console/x HTTP/1.1\r\n\r\n", 400);
  expect_refused("POST /console/x HTTP/1.1\r\n\r\n", 400);
}

TEST(HttpConnect, BadVersionRefused) {
  expect_refused("CONNECT /console/x HTTP/2.0\r\n\r\n", 400, "version");
  expect_refused("CONNECT /console/x HTTP/1.2\r\n\r\n", 400, "version");
  expect_refused("CONNECT /console/x http/1.1\r\n\r\n", 400, "version");
  expect_refused("CONNECT /console/x\r\n\r\n", 400, "version");
  expect_refused("CONNECT /console/x HTTP/1.1 extra\r\n\r\n", 400, "version");
  expect_refused("CONNECT /console/x  HTTP/1.1\r\n\r\n", 400);
}

TEST(HttpConnect, NulBytesRefused) {
  using namespace std::string_literals;
  // Before the terminator arrives: refused at once.
  expect_refused("CONNECT /console/x\0"s, 400, "NUL");
  // Complete requests with a NUL anywhere.
  expect_refused("CONNECT /console/x\0 HTTP/1.1\r\n\r\n"s, 400);
  expect_refused("CONNECT /console/x HTTP/1.1\0\r\n\r\n"s, 400);
  expect_refused("CONNECT /console/x HTTP/1.1\r\nHost: a\0b\r\n\r\n"s, 400);
  expect_refused("CONNECT /console/x HTTP/1.1\r\nHo\0st: ab\r\n\r\n"s, 400);
  expect_refused("CONNECT /console/x HTTP/1.1\r\n\0: ab\r\n\r\n"s, 400);
}

TEST(HttpConnect, ControlCharactersRefused) {
  expect_refused("CONNECT /console/x\x01 HTTP/1.1\r\n\r\n", 400, "bad character");
  expect_refused("CONNECT /console/x\x7f HTTP/1.1\r\n\r\n", 400, "bad character");
  expect_refused("CONNECT /console/x HTTP/1.1\r\nHost: a\x1b[0m\r\n\r\n", 400, "control");
  expect_refused("CONNECT /console/x HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400, "control");
  expect_refused("CONNECT /console/x HTTP/1.1\r\nHost: a\nb\r\n\r\n", 400, "control");
  expect_refused("CONNECT /console/x HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 400, "control");
}

TEST(HttpConnect, MalformedHeadersRefused) {
  expect_refused("CONNECT /console/x HTTP/1.1\r\nNoColon\r\n\r\n", 400, "header");
  expect_refused("CONNECT /console/x HTTP/1.1\r\n: value\r\n\r\n", 400, "header");
  expect_refused("CONNECT /console/x HTTP/1.1\r\nBad Name: v\r\n\r\n", 400, "header");
  expect_refused("CONNECT /console/x HTTP/1.1\r\nBad(Name): v\r\n\r\n", 400, "header");
}

TEST(HttpConnect, OversizeWithoutTerminator) {
  std::string req = "CONNECT /console/x HTTP/1.1\r\nX-Pad: ";
  req.append(kMaxConnectPreamble - req.size() - 1, 'a');
  EXPECT_EQ(parse(req).result.status, ParseStatus::NeedMore);  // 8191 bytes
  req.push_back('a');
  expect_refused(req, 400, "8 KiB");  // 8192 bytes, still no blank line
  req.append(100, 'a');
  expect_refused(req, 400, "8 KiB");
}

TEST(HttpConnect, OversizeWithTerminator) {
  std::string head = "CONNECT /console/x HTTP/1.1\r\nX-Pad: ";
  std::string exact = head + std::string(kMaxConnectPreamble - head.size() - 4, 'a') + "\r\n\r\n";
  ASSERT_EQ(exact.size(), kMaxConnectPreamble);
  auto r = parse(exact);
  EXPECT_EQ(r.result.status, ParseStatus::Ok) << r.result.error;
  EXPECT_EQ(r.result.consumed, kMaxConnectPreamble);

  std::string over = head + std::string(kMaxConnectPreamble - head.size() - 3, 'a') + "\r\n\r\n";
  ASSERT_EQ(over.size(), kMaxConnectPreamble + 1);
  expect_refused(over, 400, "8 KiB");
}

TEST(HttpConnect, TargetNotUnderConsoleIs404) {
  expect_refused("CONNECT /consoles/x HTTP/1.1\r\n\r\n", 404);
  expect_refused("CONNECT /x HTTP/1.1\r\n\r\n", 404);
  expect_refused("CONNECT host.example.com:5900 HTTP/1.1\r\n\r\n", 404);
  expect_refused("CONNECT /console HTTP/1.1\r\n\r\n", 404);
  expect_refused("CONNECT /Console/x HTTP/1.1\r\n\r\n", 404);
}

TEST(HttpConnect, BadConsoleNameIs400) {
  expect_refused("CONNECT /console/ HTTP/1.1\r\n\r\n", 400, "console name");
  expect_refused("CONNECT /console/a/b HTTP/1.1\r\n\r\n", 400, "console name");
  expect_refused("CONNECT /console/.. HTTP/1.1\r\n\r\n", 400, "console name");
  expect_refused("CONNECT /console/%2e%2e HTTP/1.1\r\n\r\n", 400, "console name");
  expect_refused("CONNECT /console/a%2fb HTTP/1.1\r\n\r\n", 400, "console name");
  expect_refused("CONNECT /console/a%00 HTTP/1.1\r\n\r\n", 400, "console name");
  expect_refused("CONNECT /console/" + std::string(65, 'a') + " HTTP/1.1\r\n\r\n", 400);
}

AuthHint hint_of(std::string_view headers) {
  auto r =
      parse("CONNECT /console/c HTTP/1.1\r\nHost: gw:5900\r\n" + std::string(headers) + "\r\n");
  EXPECT_EQ(r.result.status, ParseStatus::Ok) << headers << r.result.error;
  return r.result.value.auth_hint;
}

TEST(HttpConnectAuthHint, AbsentMeansNoNarrowing) {
  EXPECT_EQ(hint_of(""), AuthHint::None);
  EXPECT_EQ(hint_of("User-Agent: x\r\n"), AuthHint::None);
}

TEST(HttpConnectAuthHint, KerberosAndPassword) {
  EXPECT_EQ(hint_of("Vncgate-Auth: kerberos\r\n"), AuthHint::Kerberos);
  EXPECT_EQ(hint_of("Vncgate-Auth: password\r\n"), AuthHint::Password);
}

TEST(HttpConnectAuthHint, NameAndValueAreCaseInsensitiveAndTrimmed) {
  EXPECT_EQ(hint_of("vncgate-auth:Kerberos\r\n"), AuthHint::Kerberos);
  EXPECT_EQ(hint_of("VNCGATE-AUTH: \tPASSWORD \t\r\n"), AuthHint::Password);
}

TEST(HttpConnectAuthHint, UnknownValuesAreIgnored) {
  EXPECT_EQ(hint_of("Vncgate-Auth: smartcard\r\n"), AuthHint::None);
  EXPECT_EQ(hint_of("Vncgate-Auth:\r\n"), AuthHint::None);
  EXPECT_EQ(hint_of("Vncgate-Auth: kerberos, password\r\n"), AuthHint::None);
  EXPECT_EQ(hint_of("Vncgate-Authx: kerberos\r\n"), AuthHint::None);
}

TEST(HttpConnectAuthHint, DuplicateHeaderIsRefused) {
  expect_refused(
      "CONNECT /console/c HTTP/1.1\r\nVncgate-Auth: kerberos\r\nvncgate-auth: kerberos\r\n\r\n",
      400, "duplicate Vncgate-Auth");
  expect_refused(
      "CONNECT /console/c HTTP/1.1\r\nVncgate-Auth: kerberos\r\nVncgate-Auth: bogus\r\n\r\n", 400,
      "duplicate Vncgate-Auth");
}

TEST(HttpConnectAuthHint, Names) {
  EXPECT_EQ(auth_hint_name(AuthHint::Kerberos), "kerberos");
  EXPECT_EQ(auth_hint_name(AuthHint::Password), "password");
  EXPECT_EQ(auth_hint_name(AuthHint::None), "");
}

TEST(ConsoleName, Validity) {
  EXPECT_TRUE(is_valid_console_name("a"));
  EXPECT_TRUE(is_valid_console_name("LPAR_01.prod-a"));
  EXPECT_TRUE(is_valid_console_name("0"));
  EXPECT_TRUE(is_valid_console_name("_x"));
  EXPECT_TRUE(is_valid_console_name(std::string(64, 'z')));
  EXPECT_FALSE(is_valid_console_name(std::string(65, 'z')));
  EXPECT_FALSE(is_valid_console_name(""));
  EXPECT_FALSE(is_valid_console_name(".hidden"));
  EXPECT_FALSE(is_valid_console_name("-opt"));
  EXPECT_FALSE(is_valid_console_name("a b"));
  EXPECT_FALSE(is_valid_console_name("a/b"));
  EXPECT_FALSE(is_valid_console_name("a:b"));
  EXPECT_FALSE(is_valid_console_name("caf\xc3\xa9"));
  EXPECT_FALSE(is_valid_console_name(std::string_view("a\0b", 3)));
}

TEST(HttpResponse, Ok) {
  EXPECT_EQ(http_response(200), "HTTP/1.1 200 OK\r\n\r\n");
}

TEST(HttpResponse, Errors) {
  EXPECT_EQ(http_response(400),
            "HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(http_response(403),
            "HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(http_response(404),
            "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(http_response(503),
            "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  EXPECT_EQ(http_response(500),
            "HTTP/1.1 500 Error\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
}

}  // namespace
}  // namespace vncgate
