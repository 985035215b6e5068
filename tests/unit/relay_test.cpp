// Relay between two socketpairs: the test plays the client and the backend
// on the far ends. The main context is driven with a bounded loop.
#include "relay.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <optional>
#include <string>

#include "main_loop_wait.h"

namespace vncgate {
namespace {

using test::iterate_until;

// A Transport on one end of a socketpair; `peer` is the other end.
std::unique_ptr<Transport> make_pair(int &peer) {
  int fds[2];
  EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
  g_autoptr(GSocket) sock = g_socket_new_from_fd(fds[0], nullptr);
  g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(sock);
  peer = fds[1];
  fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK);
  return std::make_unique<Transport>(conn);
}

std::string drain(int fd) {
  std::string got;
  char buf[65536];
  ssize_t n;
  while ((n = ::recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
  return got;
}

ByteSpan span(const std::string &s) {
  return ByteSpan(reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

struct Fixture {
  int client_peer = -1, backend_peer = -1;
  std::optional<std::string> ended;
  std::unique_ptr<Relay> relay;

  // `early_client`: what the client sent during its handshake, unparsed.
  explicit Fixture(const std::string &early_client = {}) {
    auto client = make_pair(client_peer);
    auto backend = make_pair(backend_peer);
    client->unread(span(early_client));
    client->write_raw(span("handshake-tail;"));
    relay = std::make_unique<Relay>(std::move(client), std::move(backend),
                                    [this](const std::string &why) {
                                      ended = why;
                                      relay->stop();
                                    });
    relay->start();
  }
  ~Fixture() {
    relay.reset();
    if (client_peer >= 0) ::close(client_peer);
    if (backend_peer >= 0) ::close(backend_peer);
  }
};

TEST(Relay, MovesBytesBothWaysAfterTheHandshakeTail) {
  Fixture f("early;");
  ASSERT_EQ(::send(f.client_peer, "up", 2, 0), 2);
  ASSERT_EQ(::send(f.backend_peer, "down", 4, 0), 4);
  std::string at_backend, at_client;
  ASSERT_TRUE(iterate_until([&] {
    at_backend += drain(f.backend_peer);
    at_client += drain(f.client_peer);
    return at_backend == "early;up" && at_client == "handshake-tail;down";
  })) << at_backend
      << " / " << at_client;
  EXPECT_EQ(f.relay->bytes_from_client(), 8u);
  EXPECT_EQ(f.relay->bytes_to_client(), 4u);
  EXPECT_FALSE(f.ended);
}

TEST(Relay, StopsReadingASideWhoseDestinationIsSlow) {
  Fixture f;
  drain(f.client_peer);
  // The client sends while the backend reads nothing: the relay must stop
  // taking from the client once about kHighWater waits for the backend, so
  // what the client manages to send stays bounded.
  std::string sent;
  std::string chunk(64 * 1024, '\0');
  size_t stalled_rounds = 0;
  ASSERT_TRUE(iterate_until([&] {
    for (size_t i = 0; i < chunk.size(); ++i)
      chunk[i] = static_cast<char>('a' + (sent.size() + i) % 26);
    ssize_t n = ::send(f.client_peer, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n > 0) {
      sent.append(chunk, 0, static_cast<size_t>(n));
      stalled_rounds = 0;
    } else {
      ++stalled_rounds;
    }
    return stalled_rounds > 20 || sent.size() > 64u * 1024 * 1024;
  }));
  EXPECT_LT(sent.size(), 16u * 1024 * 1024) << "the relay kept reading a client it cannot forward";
  EXPECT_GT(sent.size(), Transport::kHighWater);
  // Once the backend reads, everything arrives, whole and in order.
  std::string got;
  ASSERT_TRUE(iterate_until([&] {
    got += drain(f.backend_peer);
    return got.size() >= sent.size();
  }));
  EXPECT_TRUE(got == sent);
  EXPECT_FALSE(f.ended);
}

TEST(Relay, EndsWhenASideCloses) {
  Fixture f;
  ::close(std::exchange(f.backend_peer, -1));
  ASSERT_TRUE(iterate_until([&] { return f.ended.has_value(); }));
  EXPECT_EQ(*f.ended, "backend closed");
  // stop() closed the client side: its peer sees EOF after the queued bytes.
  std::string got;
  char c;
  ASSERT_TRUE(iterate_until([&] {
    got += drain(f.client_peer);
    return ::recv(f.client_peer, &c, 1, 0) == 0;
  }));
  EXPECT_EQ(got, "handshake-tail;");
}

}  // namespace
}  // namespace vncgate
