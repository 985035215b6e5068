// Transport over a socketpair: one end is a Transport, the other a raw
// descriptor the test reads and writes directly. The main context is
// driven with a bounded loop; nothing waits on a clock.
#include "io/transport.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>

#include "main_loop_wait.h"
#include "security/security_layer.h"

namespace vncgate {
namespace {

using test::iterate_until;

std::string text(ByteSpan b) {
  return std::string(b.begin(), b.end());
}

ByteSpan span(const std::string &s) {
  return ByteSpan(reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

// A socketpair: `transport` owns one end, `peer` is the other (non-blocking).
struct Pair {
  std::unique_ptr<Transport> transport;
  int peer = -1;

  Pair() {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    g_autoptr(GSocket) sock = g_socket_new_from_fd(fds[0], nullptr);
    g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(sock);
    transport = std::make_unique<Transport>(conn);
    peer = fds[1];
    fcntl(peer, F_SETFL, fcntl(peer, F_GETFL) | O_NONBLOCK);
  }
  ~Pair() {
    transport.reset();
    if (peer >= 0) ::close(peer);
  }
  void peer_send(const std::string &s) const {
    ASSERT_EQ(::send(peer, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  // Whatever the peer can read now.
  std::string peer_recv() const {
    std::string got;
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(peer, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<size_t>(n));
    return got;
  }
};

// XOR with 0x5a: enough of a "security layer" to tell wire from plaintext.
class XorLayer : public SecurityLayer {
 public:
  size_t max_encode_chunk() const override { return 7; }  // forces chunking
  bool encode(const uint8_t *in, size_t len, Bytes &out) override {
    for (size_t i = 0; i < len; ++i) out.push_back(in[i] ^ 0x5a);
    return true;
  }
  bool decode(const uint8_t *in, size_t len, Bytes &out) override {
    for (size_t i = 0; i < len; ++i) {
      if (in[i] == ('!' ^ 0x5a)) return false;  // "!" stands for a bad record
      out.push_back(in[i] ^ 0x5a);
    }
    return true;
  }
};

std::string xored(const std::string &s) {
  std::string o = s;
  for (auto &c : o) c = static_cast<char>(c ^ 0x5a);
  return o;
}

TEST(Transport, DeliversInputAndKeepsWhatTheReaderLeaves) {
  Pair p;
  std::string seen;
  p.transport->set_handler({.input =
                                [&] {
                                  auto in = p.transport->input();
                                  seen = text(in);
                                  // Consumes whole 4-byte words only.
                                  p.transport->consume(in.size() / 4 * 4);
                                },
                            .failed = [](const TransportError &) { FAIL(); }});
  p.transport->resume_reading();
  p.peer_send("abcdef");
  ASSERT_TRUE(iterate_until([&] { return !seen.empty(); }));
  EXPECT_EQ(seen, "abcdef");
  EXPECT_EQ(text(p.transport->input()), "ef");
  seen.clear();
  p.peer_send("gh");
  ASSERT_TRUE(iterate_until([&] { return !seen.empty(); }));
  EXPECT_EQ(seen, "efgh");  // the leftover first, then the new bytes
  EXPECT_TRUE(p.transport->input().empty());
}

TEST(Transport, PausedTransportDoesNotRead) {
  Pair p;
  int calls = 0;
  p.transport->set_handler({.input = [&] {
    ++calls;
    p.transport->consume(p.transport->input().size());
  }});
  p.peer_send("x");
  MainLoopTimer witness;
  bool fired = false;
  witness.once(30, [&] { fired = true; });
  ASSERT_TRUE(iterate_until([&] { return fired; }));
  EXPECT_EQ(calls, 0) << "reading starts paused";
  p.transport->resume_reading();
  ASSERT_TRUE(iterate_until([&] { return calls == 1; }));
}

TEST(Transport, PartialWritesQueueAndBackPressureSignals) {
  Pair p;
  int drained = 0;
  p.transport->set_handler({.input = [] {}, .drained = [&] { ++drained; }});
  // More than the socket buffer and the high-water mark: the rest is pending.
  std::string block(Transport::kHighWater + 512 * 1024, '\0');
  for (size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>('a' + i % 26);
  ASSERT_TRUE(p.transport->write(span(block)));
  EXPECT_GT(p.transport->pending(), Transport::kHighWater);
  EXPECT_EQ(drained, 0);
  std::string got;
  ASSERT_TRUE(iterate_until([&] {
    got += p.peer_recv();
    return got.size() == block.size();
  }));
  EXPECT_EQ(got, block) << "bytes arrive whole and in order";
  EXPECT_EQ(p.transport->pending(), 0u);
  EXPECT_EQ(drained, 1) << "drained once, when pending fell below the low-water mark";
}

TEST(Transport, EofAndResetAreReportedOnce) {
  Pair p;
  int failures = 0;
  TransportError error;
  p.transport->set_handler({.input = [] {},
                            .failed =
                                [&](const TransportError &e) {
                                  ++failures;
                                  error = e;
                                }});
  p.transport->resume_reading();
  ::close(std::exchange(p.peer, -1));
  ASSERT_TRUE(iterate_until([&] { return failures > 0; }));
  EXPECT_EQ(error.kind, TransportError::Kind::Eof);
  EXPECT_EQ(error.describe("client"), "client closed");
  EXPECT_TRUE(p.transport->failed());
  EXPECT_FALSE(p.transport->write(span("late")));
  EXPECT_EQ(failures, 1);
  EXPECT_EQ((TransportError{TransportError::Kind::Reset, ECONNRESET}.describe("backend")),
            "backend closed (connection reset)");
}

TEST(Transport, LayerInstalledMidInputDecodesTheBytesAlreadyBuffered) {
  Pair p;
  XorLayer layer;
  std::string plain;
  bool upgraded = false;
  p.transport->set_handler({.input = [&] {
    auto in = p.transport->input();
    if (!upgraded) {
      // The last message of the old protocol, then the upgrade: what follows
      // it in the same read is already the layer's.
      if (in.size() < 5) return;
      ASSERT_EQ(text(in.first(5)), "HELLO");
      p.transport->consume(5);
      ASSERT_TRUE(p.transport->write(span("OK")));  // before the layer: plain
      p.transport->install_layer(layer);
      upgraded = true;
      return;
    }
    plain += text(in);
    p.transport->consume(in.size());
  }});
  p.transport->resume_reading();
  p.peer_send("HELLO" + xored("secret"));
  ASSERT_TRUE(iterate_until([&] { return plain == "secret"; }));
  p.peer_send(xored(" more"));
  ASSERT_TRUE(iterate_until([&] { return plain == "secret more"; }));
  ASSERT_TRUE(p.transport->write(span("reply, chunked")));
  EXPECT_EQ(p.peer_recv(), "OK" + xored("reply, chunked"));
}

TEST(Transport, UnreadBytesBeforeAnUpgradeAreWireBytes) {
  Pair p;
  std::string plain;
  p.transport->set_handler({.input = [&] {
    plain += text(p.transport->input());
    p.transport->consume(p.transport->input().size());
  }});
  // Another reader took these from the socket before handing it over.
  std::string early = xored("early");
  p.transport->unread(span(early));
  p.transport->install_layer(std::make_unique<XorLayer>());
  p.transport->resume_reading();
  EXPECT_EQ(plain, "early");
  p.peer_send(xored("+late"));
  ASSERT_TRUE(iterate_until([&] { return plain == "early+late"; }));
}

TEST(Transport, LayerDecodeFailureFailsTheTransport) {
  Pair p;
  std::optional<TransportError> error;
  p.transport->set_handler({.input = [] {}, .failed = [&](const TransportError &e) { error = e; }});
  p.transport->install_layer(std::make_unique<XorLayer>());
  p.transport->resume_reading();
  p.peer_send(xored("!"));
  ASSERT_TRUE(iterate_until([&] { return error.has_value(); }));
  EXPECT_EQ(error->describe("client"), "protocol error: client security layer decode failed");
}

TEST(Transport, InputLimitAndBudget) {
  Pair p;
  std::optional<TransportError> error;
  p.transport->set_handler({.input = [] {}, .failed = [&](const TransportError &e) { error = e; }});
  p.transport->set_input_limit(8);
  p.transport->resume_reading();
  p.peer_send("12345678");  // at the limit, unconsumed: still fine
  p.peer_send("9");
  ASSERT_TRUE(iterate_until([&] { return error.has_value(); }));
  EXPECT_EQ(error->kind, TransportError::Kind::InputLimit);

  Pair q;
  std::optional<TransportError> q_error;
  size_t asked = 0;
  q.transport->set_handler(
      {.input = [] {}, .failed = [&](const TransportError &e) { q_error = e; }});
  q.transport->set_input_budget([&](size_t bytes) {
    asked = bytes;
    return bytes <= 16;
  });
  q.transport->resume_reading();
  q.peer_send(std::string(100, 'x'));
  ASSERT_TRUE(iterate_until([&] { return q_error.has_value(); }));
  EXPECT_EQ(q_error->kind, TransportError::Kind::Budget);
  EXPECT_GE(asked, 100u);
}

TEST(Transport, CloseAfterFlushWritesEverythingFirst) {
  Pair p;
  p.transport->set_handler({.input = [] {}});
  std::string block(3 * 1024 * 1024, 'z');
  ASSERT_TRUE(p.transport->write(span(block)));
  ASSERT_GT(p.transport->pending(), 0u);
  bool flushed = false;
  p.transport->close_after_flush([&] {
    flushed = true;
    p.transport->close();
  });
  EXPECT_FALSE(flushed);
  std::string got;
  ASSERT_TRUE(iterate_until([&] {
    got += p.peer_recv();
    return flushed && got.size() == block.size();
  }));
  EXPECT_TRUE(p.transport->closed());
  char c;
  ASSERT_TRUE(iterate_until([&] { return ::recv(p.peer, &c, 1, 0) == 0; })) << "then EOF";
}

TEST(Transport, FailureDuringAHandOverIsReportedToTheNextHandler) {
  Pair p;
  p.transport->resume_reading();
  p.transport->pause_reading();
  ::close(std::exchange(p.peer, -1));  // hang-up while nobody listens
  ASSERT_TRUE(iterate_until([&] { return p.transport->failed(); }));
  std::optional<TransportError> error;
  p.transport->set_handler({.input = [] {}, .failed = [&](const TransportError &e) { error = e; }});
  p.transport->resume_reading();
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->kind, TransportError::Kind::Eof);
}

}  // namespace
}  // namespace vncgate
