// vncgate-bench: the measuring side of tests/bench/run-bench.sh, plus the
// small helpers the script needs (free ports, readiness waits).
//
//   vncgate-bench run      CONN [--bytes N] [--pings N] [--ping-size N] [--label L]
//   vncgate-bench rtt      [--user U --password PW] --path SPEC... [--pings N] [--blocks N]
//   vncgate-bench probe    CONN [--fbu N]   (handshake + N full raw updates)
//   vncgate-bench sessions CONN --pid PID [--count N] [--warmup N] [--hold-ms N]
//   vncgate-bench logins   CONN --pid PID [--count N] [--warmup N] [--settle-ms N]
//   vncgate-bench free-port
//   vncgate-bench wait-tcp HOST PORT TIMEOUT_MS
//   vncgate-bench wait-notify SOCKET_PATH TIMEOUT_MS
//
// CONN: --host H --port P [--connect PATH] [--auth none|sasl] [--user U]
//       [--password PW] [--realm R] [--mech LIST] [--min-ssf N] [--max-ssf N]
//       [--maxbuf N (SASL maxbufsize we accept)] [--timeout-ms N]
// Results are printed as one line of key=value pairs.
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "bench_protocol.h"
#include "rfb/parse.h"
#include "rfb_test_client.h"
#include "timed_socket.h"

namespace {

using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;
using Clock = std::chrono::steady_clock;
using namespace vncgate::bench;

struct Args {
  std::map<std::string, std::string> kv;
  std::vector<std::string> paths;  // every --path, in order
  std::string get(const std::string &k, const std::string &def = {}) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : it->second;
  }
  unsigned long long num(const std::string &k, unsigned long long def) const {
    auto it = kv.find(k);
    return it == kv.end() ? def : std::strtoull(it->second.c_str(), nullptr, 10);
  }
};

[[noreturn]] void die(const std::string &msg) {
  std::fprintf(stderr, "vncgate-bench: %s\n", msg.c_str());
  std::exit(1);
}

Args parse_args(int argc, char **argv, int first) {
  Args a;
  for (int i = first; i < argc; ++i) {
    std::string k = argv[i];
    if (k.rfind("--", 0) != 0 || i + 1 >= argc) die("bad argument: " + k);
    if (k == "--path")
      a.paths.push_back(argv[++i]);
    else
      a.kv[k.substr(2)] = argv[++i];
  }
  return a;
}

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Connects and authenticates as CONN says, then does ClientInit/ServerInit.
std::unique_ptr<RfbSaslTestClient> open_session(const Args &a, std::string &mech, unsigned &ssf,
                                                vncgate::testing::ServerInitMsg *init = nullptr) {
  auto c = std::make_unique<RfbSaslTestClient>(static_cast<int>(a.num("timeout-ms", 30000)));
  std::string host = a.get("host", "127.0.0.1");
  if (!c->connect(host, static_cast<uint16_t>(a.num("port", 0))))
    die("connect " + host + ":" + a.get("port") + ": " + c->error());
  std::string path = a.get("connect");
  std::string auth = a.get("auth", "none");
  if (auth == "none") {
    if (!c->handshake_none(path)) die("RFB None handshake: " + c->error());
    mech = "none";
    ssf = 0;
  } else if (auth == "sasl") {
    SaslClientOptions o;
    o.authname = a.get("user");
    o.password = a.get("password");
    o.realm = a.get("realm");
    o.force_mechlist = a.get("mech");
    o.min_ssf = static_cast<unsigned>(a.num("min-ssf", 0));
    o.max_ssf = static_cast<unsigned>(a.num("max-ssf", 256));
    o.maxbufsize = static_cast<unsigned>(a.num("maxbuf", o.maxbufsize));
    vncgate::testing::SaslOutcome out;
    if (!c->handshake_sasl(path, o, &out)) die("SASL handshake: " + c->error());
    mech = out.mechanism;
    ssf = out.ssf;
  } else {
    die("--auth must be none or sasl");
  }
  if (!c->client_init(true)) die("ClientInit: " + c->error());
  auto si = c->read_server_init();
  if (!si) die(c->error());
  if (init != nullptr) *init = *si;
  return c;
}

void command(RfbSaslTestClient &c, uint8_t op, uint64_t count) {
  uint8_t cmd[kCommandSize];
  encode_command(op, count, cmd);
  if (!c.send(std::span<const uint8_t>(cmd, kCommandSize))) die("sending a command: " + c.error());
}

double upload(RfbSaslTestClient &c, uint64_t bytes) {
  std::vector<uint8_t> buf(256 * 1024, 0xa5);
  auto t0 = Clock::now();
  command(c, kOpUpload, bytes);
  for (uint64_t left = bytes; left > 0;) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(left, buf.size()));
    if (!c.send(std::span<const uint8_t>(buf.data(), n))) die("upload: " + c.error());
    left -= n;
  }
  uint8_t ack = 0;
  if (!c.recv_exact(&ack, 1) || ack != kUploadAck) die("upload acknowledgement: " + c.error());
  return static_cast<double>(bytes) / 1e6 / seconds_since(t0);
}

double download(RfbSaslTestClient &c, uint64_t bytes) {
  std::vector<uint8_t> buf(256 * 1024);
  auto t0 = Clock::now();
  command(c, kOpDownload, bytes);
  for (uint64_t left = bytes; left > 0;) {
    long n = c.recv_some(buf.data(), static_cast<size_t>(std::min<uint64_t>(left, buf.size())));
    if (n <= 0) die("download: " + c.error());
    left -= static_cast<uint64_t>(n);
  }
  return static_cast<double>(bytes) / 1e6 / seconds_since(t0);
}

// Appends `pings` round trips (microseconds) after `warmup` unrecorded ones.
void pingpong(RfbSaslTestClient &c, unsigned pings, unsigned warmup, size_t size,
              std::vector<double> &rtt) {
  std::vector<uint8_t> out(size, 0x42), in(size);
  command(c, kOpEcho, uint64_t{pings + warmup} * size);
  for (unsigned i = 0; i < pings + warmup; ++i) {
    out[0] = static_cast<uint8_t>(i);
    auto t0 = Clock::now();
    if (!c.send(out)) die("ping: " + c.error());
    if (!c.recv_exact(in.data(), size)) die("pong: " + c.error());
    double us = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (in != out) die("echo returned different bytes");
    if (i >= warmup) rtt.push_back(us);
  }
}

double percentile(const std::vector<double> &sorted, double p) {
  if (sorted.empty()) return 0;
  size_t i = static_cast<size_t>(p / 100.0 * static_cast<double>(sorted.size() - 1) + 0.5);
  return sorted[std::min(i, sorted.size() - 1)];
}

int cmd_run(const Args &a) {
  std::string mech;
  unsigned ssf = 0;
  uint64_t bytes = a.num("bytes", 256ull << 20);
  unsigned pings = static_cast<unsigned>(a.num("pings", 10000));
  size_t ping_size = a.num("ping-size", 64);
  auto c = open_session(a, mech, ssf);
  double up = upload(*c, bytes);
  double down = download(*c, bytes);
  std::vector<double> rtt;
  if (pings > 0) pingpong(*c, pings, std::min(200u, pings), ping_size, rtt);
  std::sort(rtt.begin(), rtt.end());
  command(*c, kOpQuit, 0);
  std::printf(
      "label=%s mech=%s ssf=%u up_MBps=%.1f down_MBps=%.1f rtt_p50_us=%.1f "
      "rtt_p99_us=%.1f pings=%u\n",
      a.get("label", "run").c_str(), mech.c_str(), ssf, up, down, percentile(rtt, 50),
      percentile(rtt, 99), pings);
  return 0;
}

// Handshake only (any RFB server), then optionally one full, non-incremental
// FramebufferUpdate in raw encoding: checks the security layer both ways
// against a real server such as QEMU.
int cmd_probe(const Args &a) {
  std::string mech;
  unsigned ssf = 0;
  vncgate::testing::ServerInitMsg init;
  auto c = open_session(a, mech, ssf, &init);
  unsigned long long updates = a.num("fbu", 0), pixel_bytes = 0;
  unsigned bpp = init.pixel_format[0] / 8;
  for (unsigned long long u = 0; u < updates; ++u) {
    vncgate::Bytes req = {3, 0};  // FramebufferUpdateRequest, non-incremental
    vncgate::put_u16(req, 0);
    vncgate::put_u16(req, 0);
    vncgate::put_u16(req, init.width);
    vncgate::put_u16(req, init.height);
    if (!c->send(req)) die("FramebufferUpdateRequest: " + c->error());
    uint8_t head[4];
    for (;;) {  // skip anything that is not a FramebufferUpdate (e.g. Bell)
      if (!c->recv_exact(head, 4)) die("FramebufferUpdate: " + c->error());
      if (head[0] == 0) break;
      die("unexpected server message type " + std::to_string(head[0]));
    }
    unsigned rects = (head[2] << 8) | head[3];
    for (unsigned r = 0; r < rects; ++r) {
      uint8_t rh[12];
      if (!c->recv_exact(rh, 12)) die("rectangle header: " + c->error());
      unsigned w = (rh[4] << 8) | rh[5], h = (rh[6] << 8) | rh[7];
      uint32_t enc = vncgate::read_u32(vncgate::ByteSpan(rh, 12), 8);
      if (enc != 0) die("rectangle encoding " + std::to_string(enc) + " is not raw");
      size_t n = size_t{w} * h * bpp;
      if (!c->recv_exact(n)) die("rectangle pixels: " + c->error());
      pixel_bytes += n;
    }
  }
  std::printf("label=%s mech=%s ssf=%u width=%u height=%u name=%s updates=%llu pixel_bytes=%llu\n",
              a.get("label", "probe").c_str(), mech.c_str(), ssf, init.width, init.height,
              init.name.c_str(), updates, pixel_bytes);
  return 0;
}

// Round trips over several paths at once, in alternating blocks, so every
// path sees the same machine conditions (on a small VM, wakeup latency
// drifts with load and idle states more than the paths differ).
// --path "LABEL,PORT,none" or "LABEL,PORT,sasl,MECH,MIN_SSF,MAX_SSF[,CONNECT_PATH]"
int cmd_rtt(const Args &a) {
  struct Path {
    std::string label;
    std::unique_ptr<RfbSaslTestClient> client;
    std::vector<double> rtt;
  };
  std::vector<Path> paths;
  for (const auto &spec : a.paths) {
    std::vector<std::string> f;
    for (size_t at = 0;;) {
      size_t comma = spec.find(',', at);
      f.push_back(spec.substr(at, comma == std::string::npos ? std::string::npos : comma - at));
      if (comma == std::string::npos) break;
      at = comma + 1;
    }
    if (f.size() < 3 || (f[2] == "sasl" && f.size() < 6)) die("bad --path " + spec);
    Args conn = a;
    conn.kv["port"] = f[1];
    conn.kv["auth"] = f[2];
    if (f[2] == "sasl") {
      conn.kv["mech"] = f[3];
      conn.kv["min-ssf"] = f[4];
      conn.kv["max-ssf"] = f[5];
    }
    if (f.size() > 6) conn.kv["connect"] = f[6];
    std::string mech;
    unsigned ssf = 0;
    paths.push_back({f[0], open_session(conn, mech, ssf), {}});
  }
  if (paths.empty()) die("rtt needs at least one --path");
  unsigned pings = static_cast<unsigned>(a.num("pings", 10000));
  unsigned blocks = std::max(1u, static_cast<unsigned>(a.num("blocks", 20)));
  size_t size = a.num("ping-size", 64);
  for (unsigned b = 0; b < blocks; ++b)
    for (auto &p : paths) pingpong(*p.client, pings / blocks, 20, size, p.rtt);
  for (auto &p : paths) {
    command(*p.client, kOpQuit, 0);
    std::sort(p.rtt.begin(), p.rtt.end());
    std::printf("label=%s rtt_p50_us=%.1f rtt_p99_us=%.1f pings=%zu\n", p.label.c_str(),
                percentile(p.rtt, 50), percentile(p.rtt, 99), p.rtt.size());
  }
  return 0;
}

long vm_rss_kib(long pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::strtol(line.c_str() + 6, nullptr, 10);
  die("no VmRSS for pid " + std::to_string(pid) + " (process gone?)");
}

int cmd_sessions(const Args &a) {
  long pid = static_cast<long>(a.num("pid", 0));
  if (pid <= 0) die("sessions needs --pid");
  unsigned count = static_cast<unsigned>(a.num("count", 1000));
  unsigned warmup = static_cast<unsigned>(a.num("warmup", 20));
  std::vector<std::unique_ptr<RfbSaslTestClient>> sessions;
  sessions.reserve(count + warmup);
  std::string mech;
  unsigned ssf = 0;
  // The warm-up sessions stay open: one-time costs (plugins, first
  // allocations) land in the baseline, not in the per-session figure.
  for (unsigned i = 0; i < warmup; ++i) sessions.push_back(open_session(a, mech, ssf));
  long before = vm_rss_kib(pid);
  auto t0 = Clock::now();
  for (unsigned i = 0; i < count; ++i) sessions.push_back(open_session(a, mech, ssf));
  double secs = seconds_since(t0);
  // Every session got its ServerInit through the relay, so the daemon has
  // finished setting each one up.
  long after = vm_rss_kib(pid);
  std::printf(
      "label=%s mech=%s ssf=%u sessions=%u rss_before_kib=%ld rss_after_kib=%ld "
      "kib_per_session=%.1f open_per_s=%.0f\n",
      a.get("label", "sessions").c_str(), mech.c_str(), ssf, count, before, after,
      static_cast<double>(after - before) / count, count / secs);
  // Optional: keep the sessions open a while to inspect the daemon by hand.
  if (unsigned long long hold = a.num("hold-ms", 0)) usleep(static_cast<useconds_t>(hold * 1000));
  return 0;
}

// Complete logins (handshake, ServerInit through the relay, close), one
// after another: what a login costs the daemon once it is over. Closed
// sessions should give everything back, so kib_per_login is ~0 unless
// something leaks. The daemon frees a session from an idle callback after
// the close, so the last reading waits until RSS stops moving (bounded).
int cmd_logins(const Args &a) {
  long pid = static_cast<long>(a.num("pid", 0));
  if (pid <= 0) die("logins needs --pid");
  unsigned count = static_cast<unsigned>(a.num("count", 300));
  unsigned warmup = static_cast<unsigned>(a.num("warmup", 50));
  long settle_ms = static_cast<long>(a.num("settle-ms", 300));
  std::string mech;
  unsigned ssf = 0;
  // Warm-up logins: plugin loading, allocator arenas and caches grow to
  // their working size here, not in the measured part.
  for (unsigned i = 0; i < warmup; ++i) open_session(a, mech, ssf);
  usleep(static_cast<useconds_t>(settle_ms * 1000));
  long before = vm_rss_kib(pid);
  auto t0 = Clock::now();
  for (unsigned i = 0; i < count; ++i) open_session(a, mech, ssf);
  double secs = seconds_since(t0);
  usleep(static_cast<useconds_t>(settle_ms * 1000));
  long after = vm_rss_kib(pid);
  std::printf(
      "label=%s mech=%s ssf=%u logins=%u rss_before_kib=%ld rss_after_kib=%ld "
      "kib_per_login=%.2f logins_per_s=%.0f\n",
      a.get("label", "logins").c_str(), mech.c_str(), ssf, count, before, after,
      static_cast<double>(after - before) / count, count / secs);
  return 0;
}

int cmd_free_port() {
  std::string err;
  uint16_t port = 0;
  int fd = vncgate::testing::listen_tcp("127.0.0.1", 0, port, err);
  if (fd < 0) die(err);
  close(fd);
  std::printf("%u\n", port);
  return 0;
}

int cmd_wait_tcp(const std::string &host, uint16_t port, long timeout_ms) {
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  std::string err;
  for (;;) {
    vncgate::testing::TimedSocket s(1000);
    if (s.connect(host, port, err)) return 0;
    if (Clock::now() >= deadline)
      die("nothing listening on " + host + ":" + std::to_string(port) + " after " +
          std::to_string(timeout_ms) + " ms: " + err);
    usleep(20000);
  }
}

// Binds a unix datagram socket and waits for sd_notify's "READY=1".
int cmd_wait_notify(const std::string &path, long timeout_ms) {
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  if (path.size() >= sizeof addr.sun_path) die("socket path too long: " + path);
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  unlink(path.c_str());
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr *>(&addr), sizeof addr) != 0)
    die("binding " + path + ": " + std::strerror(errno));
  auto deadline = Clock::now() + std::chrono::milliseconds(timeout_ms);
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0)
      die("no READY=1 on " + path + " within " + std::to_string(timeout_ms) + " ms");
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[4096];
    ssize_t n = recv(fd, buf, sizeof buf - 1, 0);
    if (n <= 0) continue;
    buf[n] = 0;
    std::string msg(buf);
    for (size_t at = 0; at < msg.size();) {
      size_t nl = msg.find('\n', at);
      std::string line = msg.substr(at, nl == std::string::npos ? std::string::npos : nl - at);
      if (line == "READY=1") {
        std::printf("ready\n");
        return 0;
      }
      if (nl == std::string::npos) break;
      at = nl + 1;
    }
  }
}

}  // namespace

int main(int argc, char **argv) {
  std::setvbuf(stdout, nullptr, _IOLBF, 0);
  std::string cmd = argc > 1 ? argv[1] : "";
  if (cmd == "run") return cmd_run(parse_args(argc, argv, 2));
  if (cmd == "rtt") return cmd_rtt(parse_args(argc, argv, 2));
  if (cmd == "probe") return cmd_probe(parse_args(argc, argv, 2));
  if (cmd == "sessions") return cmd_sessions(parse_args(argc, argv, 2));
  if (cmd == "logins") return cmd_logins(parse_args(argc, argv, 2));
  if (cmd == "free-port") return cmd_free_port();
  if (cmd == "wait-tcp" && argc == 5)
    return cmd_wait_tcp(argv[2], static_cast<uint16_t>(std::atoi(argv[3])), std::atol(argv[4]));
  if (cmd == "wait-notify" && argc == 4) return cmd_wait_notify(argv[2], std::atol(argv[3]));
  std::fprintf(stderr,
               "usage: vncgate-bench run|rtt|probe|sessions|logins CONN... | free-port | wait-tcp "
               "HOST PORT MS | "
               "wait-notify SOCKET MS\n");
  return 2;
}
