// vncgate-web-bench: RFB over a WebSocket (ws or wss), for
// run-web-bench.sh. One connection: the upgrade (with Origin), an optional
// first text message (a vncgated web token), the RFB 3.8 None handshake,
// then the bench protocol (bench_protocol.h) in binary messages:
//   run --port P [--tls] --path /ws/... --origin O [--token T] --label L
//       --bytes N --pings N --ping-size N
// prints "label=L up_MBps=.. down_MBps=.. rtt_p50_us=.. rtt_p99_us=..".
// A client for measurements only: blocking GIO streams, certificates not
// verified, frames masked with a zero key (valid framing, no cost).
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "bench_protocol.h"

namespace {

using Clock = std::chrono::steady_clock;
using vncgate::bench::encode_command;
constexpr uint64_t kUploadWindow = 512 * 1024;

[[noreturn]] void die(const std::string &why) {
  std::fprintf(stderr, "vncgate-web-bench: %s\n", why.c_str());
  std::exit(1);
}

class Ws {
 public:
  Ws(uint16_t port, bool tls, const std::string &path, const std::string &origin) {
    g_autoptr(GSocketClient) client = g_socket_client_new();
    g_autoptr(GError) err = nullptr;
    conn_ = G_IO_STREAM(g_socket_client_connect_to_host(client, "127.0.0.1", port, nullptr, &err));
    if (!conn_) die(std::string("connect: ") + err->message);
    g_socket_set_option(g_socket_connection_get_socket(G_SOCKET_CONNECTION(conn_)), IPPROTO_TCP,
                        TCP_NODELAY, 1, nullptr);
    if (tls) {
      GIOStream *t = g_tls_client_connection_new(conn_, nullptr, &err);
      if (!t) die(std::string("TLS: ") + err->message);
      g_signal_connect(t, "accept-certificate",
                       G_CALLBACK(+[](GTlsConnection *, GTlsCertificate *, GTlsCertificateFlags,
                                      gpointer) { return gboolean(TRUE); }),
                       nullptr);
      if (!g_tls_connection_handshake(G_TLS_CONNECTION(t), nullptr, &err))
        die(std::string("TLS handshake: ") + err->message);
      g_object_unref(conn_);
      conn_ = t;
    }
    in_ = g_io_stream_get_input_stream(conn_);
    out_ = g_io_stream_get_output_stream(conn_);
    write_all("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: "
              "dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Protocol: binary\r\nOrigin: " +
              origin + "\r\n\r\n");
    std::string head;
    while (head.find("\r\n\r\n") == std::string::npos) {
      char c;
      read_exact(&c, 1);
      head += c;
      if (head.size() > 8192) die("upgrade answer too long");
    }
    if (!head.starts_with("HTTP/1.1 101")) die("upgrade refused: " + head.substr(0, 40));
  }
  ~Ws() { g_object_unref(conn_); }

  void send(int opcode, const void *data, size_t n) {
    uint8_t h[14];
    size_t len = 0;
    h[len++] = static_cast<uint8_t>(0x80 | opcode);
    if (n < 126) {
      h[len++] = static_cast<uint8_t>(0x80 | n);
    } else if (n <= 0xffff) {
      h[len++] = 0x80 | 126;
      h[len++] = static_cast<uint8_t>(n >> 8);
      h[len++] = static_cast<uint8_t>(n);
    } else {
      h[len++] = 0x80 | 127;
      for (int i = 7; i >= 0; --i) h[len++] = static_cast<uint8_t>(uint64_t(n) >> (8 * i));
    }
    std::memset(h + len, 0, 4);  // the zero mask key: payload goes as it is
    len += 4;
    buf_out_.assign(h, h + len);
    buf_out_.insert(buf_out_.end(), static_cast<const uint8_t *>(data),
                    static_cast<const uint8_t *>(data) + n);
    write_all(std::string(buf_out_.begin(), buf_out_.end()));
  }
  void send_binary(const void *data, size_t n) { send(2, data, n); }

  // Exactly n bytes of binary payload.
  void recv(void *dst, size_t n) {
    auto *d = static_cast<uint8_t *>(dst);
    while (n) {
      if (avail_ == 0) next_frame();
      size_t take = std::min(n, avail_);
      read_exact(d, take);
      d += take;
      n -= take;
      avail_ -= take;
    }
  }

 private:
  void next_frame() {
    for (;;) {
      uint8_t h[2];
      read_exact(h, 2);
      uint64_t len = h[1] & 0x7f;
      if (len >= 126) {
        uint8_t e[8];
        size_t k = len == 126 ? 2 : 8;
        read_exact(e, k);
        len = 0;
        for (size_t i = 0; i < k; ++i) len = (len << 8) | e[i];
      }
      const int op = h[0] & 0x0f;
      if (op == 2 || op == 0) {
        avail_ = len;
        if (len) return;
        continue;
      }
      std::string skip(len, '\0');
      if (len) read_exact(skip.data(), len);
      if (op == 8) die("closed by the server");
      if (op == 9) send(10, skip.data(), skip.size());
    }
  }
  void read_exact(void *d, size_t n) {
    gsize got = 0;
    g_autoptr(GError) err = nullptr;
    if (!g_input_stream_read_all(in_, d, n, &got, nullptr, &err) || got != n)
      die(std::string("read: ") + (err ? err->message : "EOF"));
  }
  void write_all(const std::string &s) {
    g_autoptr(GError) err = nullptr;
    if (!g_output_stream_write_all(out_, s.data(), s.size(), nullptr, nullptr, &err))
      die(std::string("write: ") + err->message);
  }

  GIOStream *conn_ = nullptr;
  GInputStream *in_ = nullptr;
  GOutputStream *out_ = nullptr;
  size_t avail_ = 0;
  std::vector<uint8_t> buf_out_;
};

void rfb_none(Ws &ws) {
  char v[12];
  ws.recv(v, 12);
  ws.send_binary("RFB 003.008\n", 12);
  uint8_t n;
  ws.recv(&n, 1);
  std::vector<uint8_t> types(n);
  ws.recv(types.data(), n);
  if (std::find(types.begin(), types.end(), 1) == types.end()) die("None not offered");
  const uint8_t none = 1, shared = 1;
  ws.send_binary(&none, 1);
  uint8_t result[4];
  ws.recv(result, 4);
  if (result[3] != 0) die("SecurityResult failed");
  ws.send_binary(&shared, 1);
  uint8_t init[24];
  ws.recv(init, 24);
  uint32_t name_len = (uint32_t(init[20]) << 24) | (init[21] << 16) | (init[22] << 8) | init[23];
  std::string name(name_len, '\0');
  ws.recv(name.data(), name_len);
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char **argv) {
  uint16_t port = 0;
  bool tls = false;
  std::string path = "/", origin = "http://127.0.0.1", token, label = "ws";
  bool send_token = false;
  uint64_t bytes = 64 << 20;
  int pings = 2000, ping_size = 64;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value for " + a);
      return argv[++i];
    };
    if (a == "run") continue;
    if (a == "--port")
      port = static_cast<uint16_t>(std::stoi(next()));
    else if (a == "--tls")
      tls = true;
    else if (a == "--path")
      path = next();
    else if (a == "--origin")
      origin = next();
    else if (a == "--token") {
      token = next();
      send_token = true;
    } else if (a == "--label")
      label = next();
    else if (a == "--bytes")
      bytes = std::stoull(next());
    else if (a == "--pings")
      pings = std::stoi(next());
    else if (a == "--ping-size")
      ping_size = std::stoi(next());
    else
      die("unknown argument " + a);
  }
  Ws ws(port, tls, path, origin);
  if (send_token) ws.send(1, token.data(), token.size());
  rfb_none(ws);

  uint8_t cmd[vncgate::bench::kCommandSize];
  std::vector<uint8_t> chunk(64 * 1024, 0x5a);
  // Upload in blocks the backend acknowledges: a WebSocket front cannot
  // stop reading the browser (libsoup 3.2 has no pause), so vncgated caps
  // what it holds for a slow console (1 MiB) and a flood without a window
  // is cut; an RFB client's own traffic is input events. Both paths are
  // measured the same way.
  auto t = Clock::now();
  for (uint64_t done = 0; done < bytes;) {
    const uint64_t block = std::min<uint64_t>(bytes - done, kUploadWindow);
    encode_command(vncgate::bench::kOpUpload, block, cmd);
    ws.send_binary(cmd, sizeof cmd);
    for (uint64_t left = block; left;) {
      size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
      ws.send_binary(chunk.data(), n);
      left -= n;
    }
    uint8_t ack;
    ws.recv(&ack, 1);
    done += block;
  }
  const double up = bytes / seconds_since(t) / 1e6;
  // Download.
  t = Clock::now();
  encode_command(vncgate::bench::kOpDownload, bytes, cmd);
  ws.send_binary(cmd, sizeof cmd);
  for (uint64_t left = bytes; left;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    ws.recv(chunk.data(), n);
    left -= n;
  }
  const double down = bytes / seconds_since(t) / 1e6;
  // Round trips: the backend echoes each ping.
  std::vector<double> rtt;
  std::vector<uint8_t> ping(static_cast<size_t>(ping_size), 0x11);
  encode_command(vncgate::bench::kOpEcho, uint64_t(pings) * ping_size, cmd);
  ws.send_binary(cmd, sizeof cmd);
  for (int i = 0; i < pings; ++i) {
    t = Clock::now();
    ws.send_binary(ping.data(), ping.size());
    ws.recv(ping.data(), ping.size());
    rtt.push_back(seconds_since(t) * 1e6);
  }
  std::sort(rtt.begin(), rtt.end());
  auto pct = [&](double p) { return rtt.empty() ? 0 : rtt[size_t(p * (rtt.size() - 1))]; };
  std::printf("label=%s up_MBps=%.1f down_MBps=%.1f rtt_p50_us=%.1f rtt_p99_us=%.1f\n",
              label.c_str(), up, down, pct(0.5), pct(0.99));
  return 0;
}
