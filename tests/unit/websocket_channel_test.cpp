// A Transport over a WebSocketChannel, as a web session runs: libsoup's
// server-side WebSocket over a BulkIOStream on one end of a socketpair, the
// browser a raw descriptor on the other that writes masked frames and reads
// the server's frames by hand. The main context is driven with a bounded
// loop; nothing waits on a clock.
#include "web/websocket_channel.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "io/bulk_io_stream.h"
#include "io/transport.h"
#include "main_loop_wait.h"

namespace vncgate {
namespace {

using test::iterate_until;

ByteSpan span(const std::string &s) {
  return ByteSpan(reinterpret_cast<const uint8_t *>(s.data()), s.size());
}

// A client frame (masked, as RFC 6455 requires of browsers).
std::string client_frame(int opcode, const std::string &payload) {
  std::string f(1, static_cast<char>(0x80 | opcode));
  const size_t n = payload.size();
  if (n < 126) {
    f += static_cast<char>(0x80 | n);
  } else {
    f += static_cast<char>(0x80 | 126);
    f += static_cast<char>(n >> 8);
    f += static_cast<char>(n & 0xff);
  }
  const char mask[4] = {0x12, 0x34, 0x56, 0x78};
  f.append(mask, 4);
  for (size_t i = 0; i < n; ++i) f += static_cast<char>(payload[i] ^ mask[i % 4]);
  return f;
}

struct ServerFrame {
  int opcode = 0;
  std::string payload;
};

// Splits what the browser received into whole server frames (unmasked).
class FrameReader {
 public:
  void add(const std::string &bytes) { buf_ += bytes; }
  std::optional<ServerFrame> next() {
    if (buf_.size() < 2) return std::nullopt;
    size_t len = static_cast<uint8_t>(buf_[1]) & 0x7f, at = 2;
    if (len >= 126) {
      const size_t k = len == 126 ? 2 : 8;
      if (buf_.size() < 2 + k) return std::nullopt;
      len = 0;
      for (size_t i = 0; i < k; ++i) len = (len << 8) | static_cast<uint8_t>(buf_[2 + i]);
      at += k;
    }
    if (buf_.size() < at + len) return std::nullopt;
    ServerFrame f{static_cast<uint8_t>(buf_[0]) & 0x0f, buf_.substr(at, len)};
    buf_.erase(0, at + len);
    return f;
  }

 private:
  std::string buf_;
};

struct WebPair {
  GObjectPtr<SoupWebsocketConnection> ws;
  std::shared_ptr<WebSocketFeed> feed;
  std::unique_ptr<Transport> transport;
  int browser = -1;
  FrameReader frames;

  explicit WebPair(int buffer_bytes = 0) {
    int fds[2];
    EXPECT_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds), 0);
    if (buffer_bytes) {
      for (int fd : fds) {
        setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buffer_bytes, sizeof buffer_bytes);
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);
      }
    }
    g_autoptr(GSocket) sock = g_socket_new_from_fd(fds[0], nullptr);
    g_socket_set_blocking(sock, FALSE);
    g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(sock);
    g_autoptr(GIOStream) bulk = bulk_io_stream_new(G_IO_STREAM(conn));
    g_autoptr(GUri) uri = g_uri_parse("ws://127.0.0.1/ws/console/c", G_URI_FLAGS_NONE, nullptr);
    ws.reset(soup_websocket_connection_new(bulk, uri, SOUP_WEBSOCKET_CONNECTION_SERVER, nullptr,
                                           nullptr, nullptr));
    soup_websocket_connection_set_keepalive_interval(ws.get(), 0);
    g_signal_connect(ws.get(), "message", G_CALLBACK(&WebPair::on_message), this);
    feed = std::make_shared<WebSocketFeed>(ws.get(), bulk);
    transport = std::make_unique<Transport>(std::make_unique<WebSocketChannel>(feed));
    browser = fds[1];
    fcntl(browser, F_SETFL, fcntl(browser, F_GETFL) | O_NONBLOCK);
  }
  ~WebPair() {
    g_signal_handlers_disconnect_by_data(ws.get(), this);
    transport.reset();
    if (browser >= 0) ::close(browser);
  }
  // What WebBridge does with a binary message.
  static void on_message(SoupWebsocketConnection *, gint, GBytes *message, gpointer self) {
    static_cast<WebPair *>(self)->feed->deliver(message);
  }
  void browser_send(const std::string &s) const {
    ASSERT_EQ(::send(browser, s.data(), s.size(), MSG_NOSIGNAL), static_cast<ssize_t>(s.size()));
  }
  void browser_read() {
    char buf[65536];
    ssize_t n;
    while ((n = ::recv(browser, buf, sizeof buf, 0)) > 0)
      frames.add(std::string(buf, static_cast<size_t>(n)));
  }
  // The session reads everything into `seen`.
  void collect(std::string &seen, std::function<void(const TransportError &)> failed) {
    transport->set_handler({.input =
                                [this, &seen] {
                                  auto in = transport->input();
                                  seen.append(in.begin(), in.end());
                                  transport->consume(in.size());
                                },
                            .failed = std::move(failed)});
    transport->resume_reading();
  }
  // The next whole frame the browser receives, within the bound.
  std::optional<ServerFrame> next_frame() {
    std::optional<ServerFrame> f;
    iterate_until([&] {
      browser_read();
      if (!f) f = frames.next();
      return f.has_value();
    });
    return f;
  }
};

TEST(WebSocketChannel, BrowserMessagesAreAStreamAndSessionBytesGoOutAsBinaryMessages) {
  WebPair p;
  std::string seen;
  p.collect(seen, [](const TransportError &) { FAIL(); });
  p.browser_send(client_frame(2, "RFB 003") + client_frame(2, ".008\n"));
  ASSERT_TRUE(iterate_until([&] { return seen.size() == 12; }));
  EXPECT_EQ(seen, "RFB 003.008\n");

  ASSERT_TRUE(p.transport->write(span("RFB 003.008\n")));
  std::optional<ServerFrame> f = p.next_frame();
  ASSERT_TRUE(f);
  EXPECT_EQ(f->opcode, 2);
  EXPECT_EQ(f->payload, "RFB 003.008\n");
}

TEST(WebSocketChannel, ASessionThatEndsBeforeSpeakingClosesWith1011AndAReason) {
  WebPair p;
  p.transport->close();
  std::optional<ServerFrame> f = p.next_frame();
  ASSERT_TRUE(f);
  ASSERT_EQ(f->opcode, 8);
  ASSERT_GE(f->payload.size(), 2u);
  EXPECT_EQ((static_cast<uint8_t>(f->payload[0]) << 8) | static_cast<uint8_t>(f->payload[1]), 1011);
  EXPECT_EQ(f->payload.substr(2), "the gateway closed the connection");
}

TEST(WebSocketChannel, ASessionThatSpokeClosesNormallyAfterItsBytes) {
  WebPair p;
  ASSERT_TRUE(p.transport->write(span("bye")));
  p.transport->close_after_flush([&] { p.transport->close(); });
  std::optional<ServerFrame> data = p.next_frame(), close = p.next_frame();
  ASSERT_TRUE(data && close);
  EXPECT_EQ(data->payload, "bye");
  ASSERT_EQ(close->opcode, 8);
  EXPECT_EQ(
      (static_cast<uint8_t>(close->payload[0]) << 8) | static_cast<uint8_t>(close->payload[1]),
      1000);
}

// The browser stops reading: libsoup is handed about one message, and the
// rest waits in the session's Transport (whose high water pauses a relay),
// not in libsoup's queue, which has no bound of its own.
TEST(WebSocketChannel, ABrowserThatStopsReadingHoldsTheSessionBack) {
  WebPair p(64 * 1024);
  bool drained = false;
  p.transport->set_handler(
      {.failed = [](const TransportError &) { FAIL(); }, .drained = [&] { drained = true; }});
  const std::string chunk(64 * 1024, 'x');
  const size_t total = 4 * 1024 * 1024;
  for (size_t sent = 0; sent < total; sent += chunk.size())
    ASSERT_TRUE(p.transport->write(span(chunk)));
  // Let libsoup write what the socket takes.
  MainLoopTimer witness;
  bool fired = false;
  witness.once(50, [&] { fired = true; });
  ASSERT_TRUE(iterate_until([&] { return fired; }));
  // Socket buffers here are far below 1 MiB: what libsoup took is at most
  // those plus a few messages.
  EXPECT_GT(p.transport->pending(), total - 1024 * 1024);

  // The browser reads again: everything arrives, in order, and the session
  // hears it drained.
  size_t payload = 0;
  ASSERT_TRUE(iterate_until([&] {
    p.browser_read();
    while (auto f = p.frames.next()) {
      EXPECT_EQ(f->opcode, 2);
      EXPECT_EQ(f->payload.find_first_not_of('x'), std::string::npos);
      EXPECT_LE(f->payload.size(), WebSocketFeed::kMaxFrame);
      payload += f->payload.size();
    }
    return payload == total;
  }));
  EXPECT_EQ(p.transport->pending(), 0u);
  EXPECT_TRUE(drained);
}

TEST(WebSocketChannel, UnreadBrowserBytesAreBounded) {
  WebPair p;  // reading never resumed: a session busy elsewhere
  const std::string half(WebSocketFeed::kMaxHeld / 2, 'k');
  g_autoptr(GBytes) message = g_bytes_new(half.data(), half.size());
  g_autoptr(GBytes) one = g_bytes_new("k", 1);
  EXPECT_TRUE(p.feed->deliver(message));
  EXPECT_TRUE(p.feed->deliver(message));
  EXPECT_FALSE(p.feed->deliver(one)) << "more than kMaxHeld held for the session";
}

TEST(WebSocketChannel, TheBrowserGoingAwayEndsTheSessionsStream) {
  WebPair p;
  std::optional<TransportError> failed;
  std::string seen;
  p.collect(seen, [&](const TransportError &e) { failed = e; });
  const std::string last = "last words";
  g_autoptr(GBytes) message = g_bytes_new(last.data(), last.size());
  p.feed->deliver(message);
  p.feed->end();
  ASSERT_TRUE(iterate_until([&] { return failed.has_value(); }));
  EXPECT_EQ(seen, last) << "what came before the end is read first";
  EXPECT_EQ(failed->kind, TransportError::Kind::Eof);
}

}  // namespace
}  // namespace vncgate
