// IPv6: the gateway listening on 127.0.0.1 and [::1] with the same port,
// gtk-vnc through ::1, and a v4-only allow-list refusing ::1 before any
// byte. Skipped where the machine has no IPv6 loopback.
#include <gtest/gtest.h>

#include <regex>

#include "gateway_test.h"
#include "raw_socket.h"
#include "rfb_test_client.h"

namespace vncgate::it {
namespace {

using vncgate::testing::printable;

class Ipv6Test : public GatewayTest {
 protected:
  void SetUp() override {
    if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback here";
    const std::string port = std::to_string(daemon_.gateway_port());
    daemon_.config().set("gateway", "listen", "127.0.0.1:" + port + ";[::1]:" + port);
  }
};

TEST_F(Ipv6Test, SessionOverIpv6Loopback) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncOptions options = via_gateway("static1");
  options.connect_ip = "::1";
  GvncClient client(options);
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_full_update(15s)) << client.describe();
  client.close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_NE(audit->at("client").find("::1"), std::string::npos) << to_string(*audit);
  EXPECT_EQ(audit->at("end"), "client closed") << to_string(*audit);
}

TEST_F(Ipv6Test, Ipv4OnlyAllowListRefusesIpv6Client) {
  add_static_console("static1");
  daemon_.config().set("gateway", "allowed-clients", "127.0.0.0/8");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  RawSocket v6;
  std::string error, received;
  ASSERT_TRUE(v6.connect_to("::1", daemon_.gateway_port(), error)) << error;
  v6.send("CONNECT /console/static1 HTTP/1.1\r\n\r\n", error);
  RawSocket::End end = v6.read_until_closed(received, 5000);
  EXPECT_TRUE(end == RawSocket::End::Eof || end == RawSocket::End::Reset) << to_string(end);
  EXPECT_EQ(received, "") << printable(received);
  EXPECT_LOG(daemon_, "refused connection from \\[?::1\\]?.*not in allowed-clients", 5s);

  // IPv4 loopback is in the list.
  GvncClient v4(via_gateway("static1"));
  ASSERT_TRUE(v4.open(error)) << error;
  EXPECT_TRUE(v4.wait_full_update(15s)) << v4.describe();
}

TEST_F(Ipv6Test, Ipv6OnlyAllowListRefusesIpv4Client) {
  add_static_console("static1");
  daemon_.config().set("gateway", "allowed-clients", "::1/128");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  RawSocket v4;
  std::string error, received;
  ASSERT_TRUE(v4.connect(daemon_.gateway_port(), error)) << error;
  RawSocket::End end = v4.read_until_closed(received, 5000);
  EXPECT_TRUE(end == RawSocket::End::Eof || end == RawSocket::End::Reset) << to_string(end);
  EXPECT_EQ(received, "") << printable(received);

  GvncOptions options = via_gateway("static1");
  options.connect_ip = "::1";
  GvncClient v6(options);
  ASSERT_TRUE(v6.open(error)) << error;
  EXPECT_TRUE(v6.wait_full_update(15s)) << v6.describe();
}

}  // namespace
}  // namespace vncgate::it
