// vncgate-web-bench: RFB over a WebSocket (ws or wss), for
// run-web-bench.sh. One connection: the upgrade (with Origin), an optional
// first text message (a vncgated web token), the RFB 3.8 None handshake,
// then the bench protocol (bench_protocol.h) in binary messages:
//   run --port P [--tls] --path /ws/... --origin O [--token T] --label L
//       --bytes N --pings N --ping-size N [--gateway-pid PID] [--raw]
// prints "label=L up_MBps=.. down_MBps=.. rtt_p50_us=.. rtt_p99_us=.."
// and, per direction, the CPU seconds the gateway (PID and its direct
// children: websockify and socat serve each connection from a forked
// child) and
// this client spent: "up_gw_cpu_s=.. up_client_cpu_s=.." and the same
// for down. On a machine where client and gateway share the cores, the
// wall-clock rate is capped by whichever needs more CPU per byte; the
// gateway's bytes per CPU second is what it costs on its own.
// A client for measurements only: blocking GIO streams, certificates not
// verified, frames masked with a zero key (valid framing, no cost).
#include <gio/gio.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
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
  // raw: no WebSocket at all, RFB straight over the (TLS) stream: the
  // client of the TLS relay floor row.
  Ws(uint16_t port, bool tls, bool raw, const std::string &path, const std::string &origin)
      : raw_(raw) {
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
    if (raw_) return;
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
    if (raw_) return write_all(std::string(static_cast<const char *>(data), n));
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
    if (raw_) return read_exact(d, n);
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
  bool raw_ = false;
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

// utime + stime (+ the reaped children's, with `children`) from
// /proc/PID/stat, in seconds; 0 when the process is gone.
double stat_cpu_seconds(const std::string &pid, bool children) {
  std::ifstream f("/proc/" + pid + "/stat");
  std::string line;
  if (!std::getline(f, line)) return 0;
  const size_t close = line.rfind(')');
  if (close == std::string::npos) return 0;
  std::istringstream rest(line.substr(close + 2));  // from field 3, the state
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 17 && rest >> field; ++i)
    if (i == 14 || i == 15 || (children && (i == 16 || i == 17))) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double gateway_cpu_seconds(int pid) {
  if (pid <= 0) return 0;
  const std::string p = std::to_string(pid);
  double total = stat_cpu_seconds(p, true);
  std::ifstream kids("/proc/" + p + "/task/" + p + "/children");
  for (std::string child; kids >> child;) total += stat_cpu_seconds(child, false);
  return total;
}

double client_cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

int main(int argc, char **argv) {
  uint16_t port = 0;
  bool tls = false;
  std::string path = "/", origin = "http://127.0.0.1", token, label = "ws";
  bool send_token = false, raw = false;
  uint64_t bytes = 64 << 20;
  int pings = 2000, ping_size = 64, gateway_pid = 0;
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
    else if (a == "--raw")
      raw = true;
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
    else if (a == "--gateway-pid")
      gateway_pid = std::stoi(next());
    else
      die("unknown argument " + a);
  }
  Ws ws(port, tls, raw, path, origin);
  if (send_token) ws.send(1, token.data(), token.size());
  rfb_none(ws);

  uint8_t cmd[vncgate::bench::kCommandSize];
  std::vector<uint8_t> chunk(64 * 1024, 0x5a);
  // Upload in blocks the backend acknowledges: a WebSocket front cannot
  // stop reading the browser (libsoup 3.2 has no pause), so vncgated caps
  // what it holds for a slow console (1 MiB) and a flood without a window
  // is cut; an RFB client's own traffic is input events. Both paths are
  // measured the same way.
  double gw0 = gateway_cpu_seconds(gateway_pid), cl0 = client_cpu_seconds();
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
  const double up_gw = gateway_cpu_seconds(gateway_pid) - gw0;
  const double up_client = client_cpu_seconds() - cl0;
  // Download.
  gw0 = gateway_cpu_seconds(gateway_pid);
  cl0 = client_cpu_seconds();
  t = Clock::now();
  encode_command(vncgate::bench::kOpDownload, bytes, cmd);
  ws.send_binary(cmd, sizeof cmd);
  for (uint64_t left = bytes; left;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, chunk.size()));
    ws.recv(chunk.data(), n);
    left -= n;
  }
  const double down = bytes / seconds_since(t) / 1e6;
  const double down_gw = gateway_cpu_seconds(gateway_pid) - gw0;
  const double down_client = client_cpu_seconds() - cl0;
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
  std::printf(
      "label=%s up_MBps=%.1f down_MBps=%.1f rtt_p50_us=%.1f rtt_p99_us=%.1f up_gw_cpu_s=%.3f "
      "up_client_cpu_s=%.3f down_gw_cpu_s=%.3f down_client_cpu_s=%.3f\n",
      label.c_str(), up, down, pct(0.5), pct(0.99), up_gw, up_client, down_gw, down_client);
  return 0;
}
