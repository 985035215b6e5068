// The viewer's side of the CONNECT preamble: the request it sends, and how
// it reads the gateway's answer without consuming the RFB bytes after it.
#include "connect_response.h"

#include <gtest/gtest.h>

namespace vncgate::viewer {
namespace {

ConsoleLink link_for(const std::string &url) {
  auto r = parse_console_link(url);
  EXPECT_TRUE(r.link) << r.error;
  return r.link.value_or(ConsoleLink{});
}

TEST(ConnectRequest, NamesConsoleTokenAndHost) {
  auto link = link_for("vncgate://gw.example:6000/console/lpar-7?token=abcdefghijklmnop1234");
  EXPECT_EQ(connect_request(link),
            "CONNECT /console/lpar-7?token=abcdefghijklmnop1234 HTTP/1.1\r\n"
            "Host: gw.example:6000\r\n\r\n");
  EXPECT_EQ(connect_request(link, false),
            "CONNECT /console/lpar-7 HTTP/1.1\r\nHost: gw.example:6000\r\n\r\n");
}

TEST(ConnectRequest, BracketsIpv6HostHeader) {
  auto link = link_for("vncgate://[::1]/console/a");
  EXPECT_EQ(connect_request(link), "CONNECT /console/a HTTP/1.1\r\nHost: [::1]:5901\r\n\r\n");
}

TEST(ConnectRequest, CarriesTheAuthHintTheGatewayParses) {
  auto link = link_for("vncgate://gw.example:6000/console/lpar-7?token=abcdefghijklmnop1234");
  const std::string kerberos = connect_request(link, true, AuthHint::Kerberos);
  EXPECT_EQ(kerberos,
            "CONNECT /console/lpar-7?token=abcdefghijklmnop1234 HTTP/1.1\r\n"
            "Host: gw.example:6000\r\nVncgate-Auth: kerberos\r\n\r\n");
  const std::string password = connect_request(link, false, AuthHint::Password);
  EXPECT_EQ(password,
            "CONNECT /console/lpar-7 HTTP/1.1\r\nHost: gw.example:6000\r\n"
            "Vncgate-Auth: password\r\n\r\n");
  // The gateway's own parser reads back what the viewer meant.
  for (auto [request, hint] :
       {std::pair{kerberos, AuthHint::Kerberos}, std::pair{password, AuthHint::Password},
        std::pair{connect_request(link), AuthHint::None}}) {
    Bytes bytes(request.begin(), request.end());
    auto parsed = parse_http_connect(bytes);
    ASSERT_EQ(parsed.result.status, ParseStatus::Ok) << request;
    EXPECT_EQ(parsed.result.value.auth_hint, hint) << request;
    EXPECT_EQ(parsed.result.value.console, "lpar-7");
  }
}

TEST(ConnectResponse, OkStopsAtBlankLine) {
  const std::string answer = "HTTP/1.1 200 OK\r\n\r\nRFB 003.008\n";
  auto r = parse_connect_response(answer);
  ASSERT_EQ(r.state, ResponseState::Complete) << r.error;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.reason, "OK");
  EXPECT_EQ(r.consumed, answer.find("RFB"));
}

TEST(ConnectResponse, HeadersAreSkipped) {
  auto r = parse_connect_response(
      "HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  ASSERT_EQ(r.state, ResponseState::Complete);
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.reason, "Not Found");
}

TEST(ConnectResponse, AcceptsHttp10AndNoReason) {
  auto r = parse_connect_response("HTTP/1.0 503\r\n\r\n");
  ASSERT_EQ(r.state, ResponseState::Complete) << r.error;
  EXPECT_EQ(r.status, 503);
  EXPECT_EQ(r.reason, "");
}

TEST(ConnectResponse, NeedsMoreUntilBlankLine) {
  const std::string full = "HTTP/1.1 200 OK\r\nX: y\r\n\r\n";
  for (size_t n = 0; n < full.size(); ++n)
    EXPECT_EQ(parse_connect_response(full.substr(0, n)).state, ResponseState::NeedMore) << n;
  EXPECT_EQ(parse_connect_response(full).state, ResponseState::Complete);
}

TEST(ConnectResponse, PlainVncServerIsRecognised) {
  EXPECT_EQ(parse_connect_response("RF").state, ResponseState::NeedMore);
  auto r = parse_connect_response("RFB 003.008\n");
  EXPECT_EQ(r.state, ResponseState::Invalid);
  EXPECT_TRUE(r.looks_like_rfb);
}

TEST(ConnectResponse, RefusesGarbage) {
  const char *bad[] = {
      "SSH-2.0-OpenSSH\r\n\r\n",     "HTTP/2 200 OK\r\n\r\n",   "HTTP/1.1 20 OK\r\n\r\n",
      "HTTP/1.1 2000 OK\r\n\r\n",    "HTTP/1.1 abc OK\r\n\r\n", "HTTP/1.1 099 Low\r\n\r\n",
      "HTTP/1.1 200 O\x01K\r\n\r\n",
  };
  for (const char *b : bad) {
    auto r = parse_connect_response(b);
    EXPECT_EQ(r.state, ResponseState::Invalid) << b;
    EXPECT_FALSE(r.error.empty());
    EXPECT_FALSE(r.looks_like_rfb);
  }
}

TEST(ConnectResponse, CapsTheAnswerSize) {
  std::string big = "HTTP/1.1 200 OK\r\n";
  while (big.size() < kMaxConnectResponse) big += "X-Filler: 0123456789abcdef\r\n";
  auto r = parse_connect_response(big);
  EXPECT_EQ(r.state, ResponseState::Invalid);
  EXPECT_NE(r.error.find("larger"), std::string::npos) << r.error;
  // Terminated, but past the cap: still refused.
  EXPECT_EQ(parse_connect_response(big + "\r\n").state, ResponseState::Invalid);
}

TEST(StatusMessages, ClearSentenceForEachRefusal) {
  EXPECT_EQ(message_for_status(404), "This console link is not valid or has expired.");
  EXPECT_EQ(message_for_status(503),
            "The console could not be opened on the host. Try again later.");
  EXPECT_EQ(message_for_status(403), "You are not allowed to open this console.");
  EXPECT_NE(message_for_status(400).find("damaged"), std::string::npos);
  EXPECT_EQ(message_for_status(418, "I'm a teapot\x07"),
            "The gateway refused the connection (HTTP 418 I'm a teapot?).");
}

}  // namespace
}  // namespace vncgate::viewer
