// [tls] wrap=true: the gateway port speaks TLS from its first byte (as
// XenServer's port 443 does), with the HTTP CONNECT and RFB inside. openssl
// s_client is the TLS client and verifies the gateway's certificate; the
// RFB/SASL test client speaks through it: CONNECT, 200, RFB 3.8, type 20
// only, SCRAM-SHA-256 (SSF from the TLS), ServerInit and a framebuffer
// update from the backend. A client speaking plain TCP to that port gets
// no HTTP answer.
#include <gtest/gtest.h>

#include <regex>

#include "raw_socket.h"
#include "rfb_test_client.h"
#include "sclient_tunnel.h"
#include "tls_gateway_test.h"

namespace vncgate::it::tls {
namespace {

using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

class TlsWrapTest : public TlsGatewayTest {
 protected:
  XvncBackend &setup() {
    set_mech_list("scram-sha-256 plain digest-md5");
    XvncBackend &backend = add_static_console("c1", 320, 240);
    configure_tls(pki().server, "x509-sasl");
    daemon_.config().set("tls", "wrap", "true");
    return backend;
  }
};

uint16_t be16(const Bytes &b, size_t at) {
  return static_cast<uint16_t>(b[at] << 8 | b[at + 1]);
}

TEST_F(TlsWrapTest, ConnectAndRfbInsideTls) {
  XvncBackend &backend = setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  SClientTunnel tunnel;
  std::string error;
  ASSERT_TRUE(tunnel.listen(error)) << error;
  RfbSaslTestClient client(10000);
  ASSERT_TRUE(client.connect("127.0.0.1", tunnel.port())) << client.error();
  SClientOptions so;
  so.server_port = daemon_.gateway_port();
  so.ca = pki().ca;
  so.log_path = dir_.file("s_client.log");
  ASSERT_TRUE(tunnel.accept_and_start(so, error)) << error;

  ASSERT_EQ(client.http_connect("/console/c1", "HTTP/1.1", "Host: localhost\r\n"), 200)
      << client.error() << "; s_client: " << read_file(so.log_path);
  EXPECT_TRUE(client.http_response().starts_with("HTTP/1.1 200 OK\r\n")) << client.http_response();
  ASSERT_TRUE(client.read_server_version()) << client.error();
  EXPECT_EQ(client.server_version(), "RFB 003.008\n");
  ASSERT_TRUE(client.send_client_version(8)) << client.error();
  auto types = client.read_security_types();
  ASSERT_TRUE(types) << client.error();
  // Inside the wrapping TLS: SASL only, no VeNCrypt (no TLS in TLS).
  EXPECT_EQ(*types, std::vector<uint8_t>{20});
  ASSERT_TRUE(client.choose_security_type(20)) << client.error();
  auto mechlist = client.read_sasl_mechlist();
  ASSERT_TRUE(mechlist) << client.error();
  // The TLS is the security layer: mechanisms without one are offered.
  EXPECT_TRUE(std::regex_search(*mechlist, std::regex(R"((^|,)SCRAM-SHA-256(,|$))"))) << *mechlist;
  EXPECT_TRUE(std::regex_search(*mechlist, std::regex(R"((^|,)PLAIN(,|$))"))) << *mechlist;

  SaslClientOptions sasl;
  sasl.server_fqdn = "localhost";
  sasl.authname = "alice";
  sasl.password = kAlicePassword;
  sasl.max_ssf = 0;  // no SASL layer inside TLS
  sasl.force_mechlist = "SCRAM-SHA-256";
  auto outcome = client.sasl_authenticate_with(sasl, *mechlist);
  ASSERT_TRUE(outcome.ok) << outcome.error;
  EXPECT_EQ(outcome.mechanism, "SCRAM-SHA-256");
  auto result = client.read_security_result();
  ASSERT_TRUE(result) << client.error();
  ASSERT_TRUE(result->ok()) << result->reason;

  ASSERT_TRUE(client.client_init(true)) << client.error();
  auto init = client.read_server_init();
  ASSERT_TRUE(init) << client.error();
  EXPECT_EQ(init->width, backend.width());
  EXPECT_EQ(init->height, backend.height());
  EXPECT_EQ(init->name, backend.desktop_name());
  // A full update in the server's format (32 bpp, raw: no SetEncodings).
  ASSERT_EQ(init->pixel_format[0], 32);
  const uint8_t request[] = {3,
                             0,
                             0,
                             0,
                             0,
                             0,
                             static_cast<uint8_t>(init->width >> 8),
                             static_cast<uint8_t>(init->width & 0xff),
                             static_cast<uint8_t>(init->height >> 8),
                             static_cast<uint8_t>(init->height & 0xff)};
  ASSERT_TRUE(client.send(std::span<const uint8_t>(request, sizeof request))) << client.error();
  auto header = client.recv_exact(4);
  ASSERT_TRUE(header) << client.error();
  ASSERT_EQ((*header)[0], 0) << "not a FramebufferUpdate";
  uint64_t area = 0;
  for (int i = 0, n = be16(*header, 2); i < n; ++i) {
    auto rect = client.recv_exact(12);
    ASSERT_TRUE(rect) << client.error();
    ASSERT_EQ((*rect)[8] | (*rect)[9] | (*rect)[10] | (*rect)[11], 0) << "not a raw rectangle";
    const size_t w = be16(*rect, 4), h = be16(*rect, 6);
    ASSERT_TRUE(client.recv_exact(w * h * 4)) << client.error();
    area += w * h;
  }
  EXPECT_EQ(area, static_cast<uint64_t>(init->width) * init->height);

  client.close();  // s_client sees EOF on its input and closes the TLS session
  EXPECT_EQ(tunnel.wait_exit(5s), 0) << read_file(so.log_path);
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record";
  EXPECT_TRUE(
      std::regex_match(audit_field(*audit, "user"), std::regex(R"(alice(@VNCGATE\.TEST)?)")))
      << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "mechanism"), "SCRAM-SHA-256") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "console"), "c1") << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end"), "client closed") << to_string(*audit);
  EXPECT_TRUE(std::regex_match(audit_field(*audit, "tls"), std::regex(kTlsDescription)))
      << to_string(*audit);
  EXPECT_GT(std::atoll(audit_field(*audit, "bytes-to-client").c_str()),
            static_cast<long long>(init->width) * init->height * 4)
      << to_string(*audit);
}

TEST_F(TlsWrapTest, UnknownConsoleGets404InsideTls) {
  setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  SClientTunnel tunnel;
  std::string error;
  ASSERT_TRUE(tunnel.listen(error)) << error;
  RfbSaslTestClient client(10000);
  ASSERT_TRUE(client.connect("127.0.0.1", tunnel.port())) << client.error();
  SClientOptions so;
  so.server_port = daemon_.gateway_port();
  so.ca = pki().ca;
  so.log_path = dir_.file("s_client.log");
  ASSERT_TRUE(tunnel.accept_and_start(so, error)) << error;
  EXPECT_EQ(client.http_connect("/console/nope", "HTTP/1.1", "Host: localhost\r\n"), 404)
      << client.error() << " " << client.http_response();
  EXPECT_TRUE(client.wait_closed(5000));
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "end"), "unknown console") << to_string(*audit);
  EXPECT_TRUE(std::regex_match(audit_field(*audit, "tls"), std::regex(kTlsDescription)))
      << to_string(*audit);
}

TEST_F(TlsWrapTest, PlainTcpClientGetsNoHttpAnswer) {
  setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  RawSocket sock;
  std::string error;
  ASSERT_TRUE(sock.connect(daemon_.gateway_port(), error)) << error;
  ASSERT_TRUE(sock.send("CONNECT /console/c1 HTTP/1.1\r\nHost: localhost\r\n\r\n", error)) << error;
  std::string received;
  RawSocket::End end = sock.read_until_closed(received, 10000);
  EXPECT_NE(end, RawSocket::End::Open) << "the daemon kept a non-TLS connection open";
  EXPECT_EQ(received.find("HTTP/"), std::string::npos) << received;
  EXPECT_EQ(received.find("RFB "), std::string::npos) << received;
  EXPECT_LOG(daemon_, R"(: TLS with 127\.0\.0\.1:\d+ failed: TLS handshake failed: )", 5s);
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit);
  EXPECT_EQ(audit_field(*audit, "user"), "-") << to_string(*audit);
  EXPECT_TRUE(audit_field(*audit, "end").starts_with("TLS handshake failed: "))
      << to_string(*audit);
  EXPECT_EQ(audit_field(*audit, "end").find("failed: TLS handshake failed"), std::string::npos)
      << "reason given twice: " << to_string(*audit);
}

}  // namespace
}  // namespace vncgate::it::tls
