// Transport::start_tls with GnuTLS on both ends of a socketpair: the
// daemon's TLS server session on one Transport, its backend-side TLS client
// session on the other, certificates from the test CA. The client's
// ClientHello follows the last plain message in the same read, as a fast
// VeNCrypt client sends it: the server must hand those buffered bytes to
// the TLS handshake, not lose or misparse them.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "io/transport.h"
#include "main_loop_wait.h"
#include "security/tls_server.h"
#include "test_pki.h"

namespace vncgate::it::tls {
namespace {

using test::iterate_until;

std::unique_ptr<Transport> wrap(int fd) {
  g_autoptr(GSocket) sock = g_socket_new_from_fd(fd, nullptr);
  g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(sock);
  return std::make_unique<Transport>(conn);
}

ByteSpan span(const std::string &s) {
  return ByteSpan(reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

std::string text(ByteSpan b) {
  return std::string(b.begin(), b.end());
}

TEST(TlsTransport, UpgradeWithTheClientHelloAlreadyBuffered) {
  const TestPki &pki = TestPki::get();
  tls_global_init();
  TlsSettings server_settings;
  server_settings.cert = pki.server.cert;
  server_settings.key = pki.server.key;
  std::string error;
  auto creds = TlsCredentials::load(server_settings, error);
  ASSERT_TRUE(creds) << error;
  TlsClientSettings client_settings;
  client_settings.ca = pki.ca;
  client_settings.verify_name = "localhost";

  int fds[2];
  ASSERT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  auto server = wrap(fds[0]);
  auto client = wrap(fds[1]);

  // The client: "CHOOSE" in plain, then at once its TLS handshake.
  std::optional<bool> client_up;
  std::string client_got;
  client->set_handler({.input = [&] {
    client_got += text(client->input());
    client->consume(client->input().size());
  }});
  client->resume_reading();
  ASSERT_TRUE(client->write(span("CHOOSE")));
  auto client_tls = TlsClientSession::create(client_settings, error);
  ASSERT_TRUE(client_tls) << error;
  client->start_tls(std::move(client_tls), [&](bool ok, const std::string &why) {
    client_up = ok;
    EXPECT_TRUE(ok) << why;
  });

  // The server reads the plain message and upgrades from inside its
  // handler; the ClientHello is already in its buffer by then.
  std::optional<bool> server_up;
  std::string server_got;
  bool chose = false;
  server->set_handler({.input = [&] {
    if (!chose) {
      if (server->input().size() < 6) return;
      EXPECT_EQ(text(server->input().first(6)), "CHOOSE");
      server->consume(6);
      chose = true;
      std::string why;
      auto tls = TlsServerSession::create(creds, false, why);
      ASSERT_TRUE(tls) << why;
      server->start_tls(std::move(tls), [&](bool ok, const std::string &e) {
        server_up = ok;
        EXPECT_TRUE(ok) << e;
      });
      return;
    }
    server_got += text(server->input());
    server->consume(server->input().size());
  }});
  server->resume_reading();

  ASSERT_TRUE(iterate_until([&] { return client_up && server_up; }));
  ASSERT_TRUE(*client_up && *server_up);
  ASSERT_NE(server->layer(), nullptr);
  ASSERT_NE(client->layer(), nullptr);
  EXPECT_GE(static_cast<TlsSession *>(server->layer())->cipher_bits(), 128u);

  // Plaintext both ways through the records, larger than one record.
  std::string big(100 * 1000, 'q');
  ASSERT_TRUE(client->write(span("hello server;" + big)));
  ASSERT_TRUE(server->write(span("hello client")));
  ASSERT_TRUE(iterate_until(
      [&] { return server_got.size() == 13 + big.size() && client_got == "hello client"; }));
  EXPECT_EQ(server_got, "hello server;" + big);
}

}  // namespace
}  // namespace vncgate::it::tls
