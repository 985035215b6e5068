// vncgate-soak: the load side of tests/bench/run-soak.sh (./run soak). For
// --seconds it mixes hostile clients with legitimate sessions against one
// running vncgated, samples the daemon's RSS and descriptors, then stops
// the hostile load, waits (bounded) for the daemon to settle and prints one
// report. Every hostile client binds its own 127/8 source addresses; the
// legitimate clients each have their own as well (127.0.1.N), as real users
// on distinct hosts would.
//
//   vncgate-soak --port P --pid PID --user U --password PW [--seconds 90]
//                [--sessions 50] [--control-socket PATH] [--console NAME]
//                [--guessed-user NAME (the account wrong passwords go to)]
//                [--hostile 0 (legitimate sessions only: a reference run)]
//
// Exit status: 0 when every legitimate login succeeded and no relayed byte
// was lost, 1 otherwise.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "bench_protocol.h"
#include "rfb_test_client.h"

namespace {

using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;
using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
using namespace vncgate::bench;

struct Options {
  uint16_t port = 0;
  pid_t pid = 0;
  std::string user, password, console = "bench", control_socket;
  std::string guessed_user = "guessed";  // the account the password guessers attack
  int seconds = 90;
  int sessions = 50;
  bool hostile = true;  // --hostile 0: the legitimate sessions alone (a reference run)
};

std::atomic<bool> stop_load{false};
Clock::time_point deadline;

bool running() {
  return !stop_load.load() && Clock::now() < deadline;
}

// ---- daemon figures ------------------------------------------------------------
size_t rss_kib(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoul(line.substr(6));
  return 0;
}

size_t fd_count(pid_t pid) {
  std::error_code ec;
  size_t n = 0;
  for (auto it = std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/fd", ec);
       !ec && it != std::filesystem::directory_iterator(); it.increment(ec))
    ++n;
  return n;
}

// ---- raw sockets for the hostile clients -----------------------------------------
int connect_from(const std::string &source, uint16_t port, bool wait) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in src{}, dst{};
  src.sin_family = dst.sin_family = AF_INET;
  inet_pton(AF_INET, source.c_str(), &src.sin_addr);
  inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
  dst.sin_port = htons(port);
  if (::bind(fd, reinterpret_cast<sockaddr *>(&src), sizeof src) != 0) {
    ::close(fd);
    return -1;
  }
  if (::connect(fd, reinterpret_cast<sockaddr *>(&dst), sizeof dst) != 0 && errno != EINPROGRESS) {
    ::close(fd);
    return -1;
  }
  if (wait) {
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    if (::poll(&p, 1, 5000) != 1 || getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0 || err) {
      ::close(fd);
      return -1;
    }
  }
  return fd;
}

bool closed_by_peer(int fd) {
  char c;
  ssize_t r = ::recv(fd, &c, 1, MSG_DONTWAIT);
  return r == 0 || (r < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
}

// Blocking-with-deadline helpers on a non-blocking fd.
bool send_all(int fd, const std::string &s, int timeout_ms = 5000) {
  size_t off = 0;
  while (off < s.size()) {
    ssize_t n = ::send(fd, s.data() + off, s.size() - off, MSG_NOSIGNAL);
    if (n > 0) {
      off += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno != EAGAIN) return false;
    pollfd p{fd, POLLOUT, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
  }
  return true;
}

bool read_exact(int fd, size_t n, std::string &out, int timeout_ms = 5000) {
  out.clear();
  char buf[4096];
  while (out.size() < n) {
    ssize_t r = ::recv(fd, buf, std::min(sizeof buf, n - out.size()), 0);
    if (r > 0) {
      out.append(buf, static_cast<size_t>(r));
      continue;
    }
    if (r == 0 || errno != EAGAIN) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, timeout_ms) != 1) return false;
  }
  return true;
}

std::string u32(uint32_t v) {
  return {char(v >> 24), char(v >> 16), char(v >> 8), char(v)};
}

// ---- the loads --------------------------------------------------------------------
struct Counters {
  std::atomic<uint64_t> idle_connects{0}, slowloris_connects{0}, sasl_fields{0}, wrong_passwords{0},
      control_requests{0}, control_errors{0};
} hostile;

// Idle sockets: `per_source` from each of `sources` addresses, reopened as
// the daemon closes them.
void idle_flood(const Options &o, int first, int sources, int per_source) {
  std::vector<std::pair<std::string, int>> socks;
  for (int s = 0; s < sources; ++s)
    for (int i = 0; i < per_source; ++i)
      socks.emplace_back("127.0.2." + std::to_string(first + s), -1);
  while (running()) {
    for (auto &[src, fd] : socks) {
      if (fd >= 0 && !closed_by_peer(fd)) continue;
      if (fd >= 0) ::close(fd);
      fd = connect_from(src, o.port, false);
      if (fd >= 0) hostile.idle_connects++;
    }
    std::this_thread::sleep_for(200ms);  // load pacing, not synchronisation
  }
  for (auto &[src, fd] : socks)
    if (fd >= 0) ::close(fd);
}

// Slowloris: a CONNECT line one byte a second, never finished.
void slowloris(const Options &o, int sources, int per_source) {
  const std::string line =
      "CONNECT /console/" + o.console + " HTTP/1.1\r\nX-Slow: " + std::string(4000, 'z');
  struct Slow {
    std::string src;
    int fd = -1;
    size_t sent = 0;
  };
  std::vector<Slow> socks;
  for (int s = 0; s < sources; ++s)
    for (int i = 0; i < per_source; ++i) socks.push_back({"127.0.3." + std::to_string(1 + s)});
  while (running()) {
    for (auto &s : socks) {
      if (s.fd >= 0 && (closed_by_peer(s.fd) || s.sent >= line.size())) {
        ::close(s.fd);
        s.fd = -1;
      }
      if (s.fd < 0) {
        s.fd = connect_from(s.src, o.port, false);
        s.sent = 0;
        if (s.fd >= 0) hostile.slowloris_connects++;
        continue;
      }
      if (::send(s.fd, line.data() + s.sent, 1, MSG_NOSIGNAL) == 1) s.sent++;
    }
    std::this_thread::sleep_for(1s);
  }
  for (auto &s : socks)
    if (s.fd >= 0) ::close(s.fd);
}

// Maximal SASL fields: every connection declares a 64 KiB field and sends
// all of it but the terminator, so the daemon holds it until the timeout.
bool hold_sasl_field(int fd, const std::string &console) {
  std::string got, head;
  if (!send_all(fd, "CONNECT /console/" + console + " HTTP/1.1\r\n\r\n")) return false;
  while (head.find("\r\n\r\n") == std::string::npos && head.size() < 1000) {
    if (!read_exact(fd, 1, got)) return false;
    head += got;
  }
  if (head.rfind("HTTP/1.1 200", 0) != 0) return false;
  if (!read_exact(fd, 12, got) || !send_all(fd, "RFB 003.008\n")) return false;
  if (!read_exact(fd, 1, got) || got[0] == 0) return false;
  std::string types;
  if (!read_exact(fd, static_cast<uint8_t>(got[0]), types) ||
      types.find('\x14') == std::string::npos)
    return false;
  if (!send_all(fd, std::string(1, '\x14')) || !read_exact(fd, 4, got)) return false;
  uint32_t len =
      (uint8_t(got[0]) << 24) | (uint8_t(got[1]) << 16) | (uint8_t(got[2]) << 8) | uint8_t(got[3]);
  if (!read_exact(fd, len, got)) return false;
  const size_t field = 64 * 1024;
  return send_all(fd, u32(10) + "DIGEST-MD5" + u32(field + 1) + std::string(field, 'k'));
}

void sasl_fields(const Options &o, int sources, int per_source) {
  std::vector<std::pair<std::string, int>> socks;
  for (int s = 0; s < sources; ++s)
    for (int i = 0; i < per_source; ++i) socks.emplace_back("127.0.4." + std::to_string(1 + s), -1);
  while (running()) {
    for (auto &[src, fd] : socks) {
      if (!running()) break;
      if (fd >= 0 && !closed_by_peer(fd)) continue;
      if (fd >= 0) ::close(fd);
      fd = connect_from(src, o.port, true);
      if (fd >= 0 && hold_sasl_field(fd, o.console)) {
        hostile.sasl_fields++;
      } else if (fd >= 0) {
        ::close(fd);
        fd = -1;
      }
    }
    std::this_thread::sleep_for(200ms);
  }
  for (auto &[src, fd] : socks)
    if (fd >= 0) ::close(fd);
}

// Cyrus SASL's client side is not safe to use from many threads at once,
// so the clients that authenticate run in processes of their own, forked
// before any thread starts, and report through a pipe at the end.
void wrong_passwords(const Options &o, int source) {
  while (running()) {
    RfbSaslTestClient c(10000);
    c.set_source_address("127.0.5." + std::to_string(source));
    SaslClientOptions so;
    so.authname = o.guessed_user;
    so.password = "wrong-" + std::to_string(source);
    so.force_mechlist = "DIGEST-MD5";
    if (c.connect("127.0.0.1", o.port)) c.handshake_sasl("/console/" + o.console, so);
    hostile.wrong_passwords++;
  }
}

// Control API keep-alive spam on the Unix socket: 100 requests a connection.
void control_spam(const Options &o) {
  const std::string req = "GET /v1/sessions HTTP/1.1\r\nHost: localhost\r\n\r\n";
  while (running()) {
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::snprintf(a.sun_path, sizeof a.sun_path, "%s", o.control_socket.c_str());
    if (fd < 0 || ::connect(fd, reinterpret_cast<sockaddr *>(&a), sizeof a) != 0) {
      if (fd >= 0) ::close(fd);
      hostile.control_errors++;
      std::this_thread::sleep_for(100ms);
      continue;
    }
    timeval tv{5, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    for (int i = 0; i < 100 && running(); ++i) {
      if (::send(fd, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
        break;
      std::string head;
      char c;
      while (head.find("\r\n\r\n") == std::string::npos && ::recv(fd, &c, 1, 0) == 1) head += c;
      auto cl = head.find("Content-Length: ");
      if (cl == std::string::npos) cl = head.find("content-length: ");
      if (cl == std::string::npos) {
        hostile.control_errors++;
        break;
      }
      size_t body = std::strtoul(head.c_str() + cl + 16, nullptr, 10);
      std::string got;
      char buf[4096];
      while (got.size() < body) {
        ssize_t n = ::recv(fd, buf, std::min(sizeof buf, body - got.size()), 0);
        if (n <= 0) break;
        got.append(buf, static_cast<size_t>(n));
      }
      hostile.control_requests++;
    }
    ::close(fd);
  }
}

// ---- legitimate sessions ----------------------------------------------------------
struct Legit {
  std::mutex m;
  std::vector<double> login_ms;
  uint64_t ok = 0, failed = 0, relayed = 0, lost = 0;
  std::map<std::string, int> errors;
} legit;

void legit_session(const Options &o, int index) {
  const std::string source = "127.0.1." + std::to_string(1 + index);
  std::vector<uint8_t> out(16 * 1024), in(16 * 1024);
  for (size_t i = 0; i < out.size(); ++i) out[i] = static_cast<uint8_t>(i * 7 + index);
  while (running()) {
    auto t0 = Clock::now();
    RfbSaslTestClient c(15000);
    c.set_source_address(source);
    SaslClientOptions so;
    so.authname = o.user;
    so.password = o.password;
    so.force_mechlist = "DIGEST-MD5";
    so.min_ssf = 56;
    bool ok = c.connect("127.0.0.1", o.port) && c.handshake_sasl("/console/" + o.console, so) &&
              c.client_init() && c.read_server_init();
    double ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
    if (!ok) {
      {
        std::lock_guard<std::mutex> l(legit.m);
        legit.failed++;
        legit.errors[c.error().substr(0, 120)]++;
      }
      std::this_thread::sleep_for(200ms);  // a user retries, not a tight loop
      continue;
    }
    // 16 echo rounds of 16 KiB through the SASL security layer.
    uint64_t sent = 0, back = 0;
    for (int round = 0; round < 16; ++round) {
      uint8_t cmd[kCommandSize];
      encode_command(kOpEcho, out.size(), cmd);
      if (!c.send(std::span<const uint8_t>(cmd, kCommandSize)) ||
          !c.send(std::span<const uint8_t>(out.data(), out.size())))
        break;
      sent += out.size();
      if (!c.recv_exact(in.data(), in.size())) break;
      if (in == out) back += in.size();
    }
    uint8_t quit[kCommandSize];
    encode_command(kOpQuit, 0, quit);
    c.send(std::span<const uint8_t>(quit, kCommandSize));
    std::lock_guard<std::mutex> l(legit.m);
    legit.ok++;
    legit.login_ms.push_back(ms);
    legit.relayed += back;
    legit.lost += sent - back;
  }
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

[[noreturn]] void usage() {
  std::fprintf(stderr,
               "usage: vncgate-soak --port P --pid PID --user U --password PW "
               "[--seconds N] [--sessions N] [--control-socket PATH] [--console NAME]\n");
  std::exit(2);
}

}  // namespace

// Runs `body` in a child process; its stdout goes to the returned pipe.
struct Child {
  pid_t pid;
  int fd;
};
template <typename F>
Child fork_child(F body) {
  int p[2];
  if (pipe(p) != 0) std::exit(3);
  pid_t pid = fork();
  if (pid == 0) {
    ::close(p[0]);
    std::string report = body();
    size_t off = 0;
    while (off < report.size()) {
      ssize_t n = ::write(p[1], report.data() + off, report.size() - off);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
    _exit(0);
  }
  ::close(p[1]);
  return {pid, p[0]};
}

std::string read_child(const Child &c) {
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(c.fd, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
  ::close(c.fd);
  waitpid(c.pid, nullptr, 0);
  return out;
}

// One legitimate user's report: "ok MS" per login, "fail ERROR" per
// failure, then "bytes RELAYED LOST".
std::string legit_report(const Options &o, int index) {
  legit_session(o, index);
  std::string r;
  char line[64];
  for (double ms : legit.login_ms) {
    std::snprintf(line, sizeof line, "ok %.3f\n", ms);
    r += line;
  }
  for (const auto &[e, n] : legit.errors)
    for (int i = 0; i < n; ++i) r += "fail " + e + "\n";
  r += "bytes " + std::to_string(legit.relayed) + " " + std::to_string(legit.lost) + "\n";
  return r;
}

void merge_legit(const std::string &report) {
  size_t pos = 0;
  while (pos < report.size()) {
    size_t nl = report.find('\n', pos);
    if (nl == std::string::npos) nl = report.size();
    std::string line = report.substr(pos, nl - pos);
    pos = nl + 1;
    if (line.rfind("ok ", 0) == 0) {
      legit.ok++;
      legit.login_ms.push_back(std::strtod(line.c_str() + 3, nullptr));
    } else if (line.rfind("fail ", 0) == 0) {
      legit.failed++;
      legit.errors[line.substr(5)]++;
    } else if (line.rfind("bytes ", 0) == 0) {
      char *end = nullptr;
      legit.relayed += std::strtoull(line.c_str() + 6, &end, 10);
      legit.lost += std::strtoull(end, nullptr, 10);
    }
  }
}

int main(int argc, char **argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--port")
      o.port = static_cast<uint16_t>(std::atoi(v.c_str()));
    else if (k == "--pid")
      o.pid = std::atoi(v.c_str());
    else if (k == "--user")
      o.user = v;
    else if (k == "--password")
      o.password = v;
    else if (k == "--seconds")
      o.seconds = std::atoi(v.c_str());
    else if (k == "--sessions")
      o.sessions = std::atoi(v.c_str());
    else if (k == "--control-socket")
      o.control_socket = v;
    else if (k == "--console")
      o.console = v;
    else if (k == "--guessed-user")
      o.guessed_user = v;
    else if (k == "--hostile")
      o.hostile = v != "0";
    else
      usage();
  }
  if (!o.port || !o.pid || o.user.empty() || o.seconds < 1 || o.seconds > 150) usage();
  std::signal(SIGPIPE, SIG_IGN);  // a peer that closes is counted, not fatal

  size_t rss_before = rss_kib(o.pid), fds_before = fd_count(o.pid);
  size_t rss_peak = rss_before, fds_peak = fds_before;
  deadline = Clock::now() + std::chrono::seconds(o.seconds);

  std::vector<Child> legit_children, guessers;
  for (int i = 0; i < o.sessions; ++i)
    legit_children.push_back(fork_child([&o, i] { return legit_report(o, i); }));
  for (int i = 1; i <= 4 && o.hostile; ++i)
    guessers.push_back(fork_child([&o, i] {
      wrong_passwords(o, i);
      return std::to_string(hostile.wrong_passwords.load());
    }));
  std::vector<std::thread> threads;
  if (o.hostile) {
    threads.emplace_back(idle_flood, std::cref(o), 1, 8, 125);  // 1,000 idle sockets, 8 sources
    threads.emplace_back(slowloris, std::cref(o), 4, 16);       // 64 slow CONNECT lines
    threads.emplace_back(sasl_fields, std::cref(o), 25, 16);    // 400 maximal SASL fields
    if (!o.control_socket.empty()) threads.emplace_back(control_spam, std::cref(o));
  }

  while (Clock::now() < deadline) {
    std::this_thread::sleep_for(250ms);  // sampling period
    rss_peak = std::max(rss_peak, rss_kib(o.pid));
    fds_peak = std::max(fds_peak, fd_count(o.pid));
  }
  stop_load = true;
  for (auto &t : threads) t.join();
  for (const auto &c : legit_children) merge_legit(read_child(c));
  for (const auto &c : guessers)
    hostile.wrong_passwords += std::strtoull(read_child(c).c_str(), nullptr, 10);

  // Settle: every hostile socket is closed; wait (bounded) for the daemon's
  // descriptors to come back, then give the deferred malloc_trim its moment.
  auto settle_start = Clock::now();
  while (Clock::now() - settle_start < 20s && fd_count(o.pid) > fds_before + 2)
    std::this_thread::sleep_for(100ms);
  std::this_thread::sleep_for(1s);
  size_t rss_after = rss_kib(o.pid), fds_after = fd_count(o.pid);

  std::printf("soak: %d s of %s beside %d legitimate sessions\n", o.seconds,
              o.hostile ? "hostile load" : "no hostile load (reference run)", o.sessions);
  std::printf(
      "  legitimate logins: ok=%llu failed=%llu  login time p50=%.0f ms p99=%.0f ms max=%.0f ms\n",
      (unsigned long long)legit.ok, (unsigned long long)legit.failed,
      percentile(legit.login_ms, 0.5), percentile(legit.login_ms, 0.99),
      percentile(legit.login_ms, 1.0));
  std::printf("  relayed (echoed through the SASL layer): %llu bytes, lost: %llu bytes\n",
              (unsigned long long)legit.relayed, (unsigned long long)legit.lost);
  std::printf(
      "  hostile: idle connects=%llu slowloris connects=%llu maximal SASL fields=%llu "
      "wrong passwords=%llu control requests=%llu (errors %llu)\n",
      (unsigned long long)hostile.idle_connects.load(),
      (unsigned long long)hostile.slowloris_connects.load(),
      (unsigned long long)hostile.sasl_fields.load(),
      (unsigned long long)hostile.wrong_passwords.load(),
      (unsigned long long)hostile.control_requests.load(),
      (unsigned long long)hostile.control_errors.load());
  std::printf("  daemon RSS: before=%zu KiB peak=%zu KiB after=%zu KiB\n", rss_before, rss_peak,
              rss_after);
  std::printf("  daemon fds: before=%zu peak=%zu after=%zu\n", fds_before, fds_peak, fds_after);
  for (const auto &[e, n] : legit.errors) std::printf("  login failure x%d: %s\n", n, e.c_str());
  return legit.failed == 0 && legit.lost == 0 && legit.ok > 0 ? 0 : 1;
}
