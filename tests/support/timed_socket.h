// A blocking-style TCP socket for tests and benchmarks where every operation
// has a deadline: the fd is non-blocking, reads and writes retry under poll()
// until the timeout. Errors are returned as readable strings, never thrown.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace vncgate::testing {

class TimedSocket {
 public:
  explicit TimedSocket(int timeout_ms = 10000) : timeout_ms_(timeout_ms) {}
  ~TimedSocket();
  TimedSocket(const TimedSocket &) = delete;
  TimedSocket &operator=(const TimedSocket &) = delete;
  TimedSocket(TimedSocket &&other) noexcept;
  TimedSocket &operator=(TimedSocket &&other) noexcept;

  // Wraps an accepted or otherwise connected fd (made non-blocking here).
  static TimedSocket adopt(int fd, int timeout_ms);

  // Resolves `host` (IPv4 or IPv6 literal or name) and connects within the
  // timeout, trying each address in turn. Sets TCP_NODELAY.
  bool connect(const std::string &host, uint16_t port, std::string &error);
  // IPv4 literal to bind as the source address of later connect()s (e.g.
  // 127.0.0.2, so a loopback test can play another client); empty = any.
  void set_source(std::string ipv4) { source_ = std::move(ipv4); }

  // Writes all of `data` or fails (timeout, peer gone).
  bool write_all(std::span<const uint8_t> data, std::string &error);

  // Reads up to `max` bytes; waits at most the timeout for the first byte.
  // Returns the count, 0 on EOF, -1 on error/timeout (message in `error`).
  long read_some(uint8_t *buf, size_t max, std::string &error);

  // Waits for EOF or error from the peer, discarding data; true if the peer
  // closed (or reset) within `timeout_ms`.
  bool wait_closed(int timeout_ms, std::string &error);

  void close();
  int fd() const { return fd_; }
  bool is_open() const { return fd_ >= 0; }
  int timeout_ms() const { return timeout_ms_; }
  void set_timeout_ms(int ms) { timeout_ms_ = ms; }

  // "IP;PORT" strings as Cyrus SASL wants them (empty when unknown).
  std::string local_address() const;
  std::string remote_address() const;

 private:
  // Waits for `events` on the fd, bounded by the timeout.
  bool wait_for(short events, const char *what, std::string &error);

  int fd_ = -1;
  int timeout_ms_;
  std::string source_;
};

// Binds a listening TCP socket on host:port (port 0 = any free port).
// Returns the fd or -1; `bound_port` receives the actual port.
int listen_tcp(const std::string &host, uint16_t port, uint16_t &bound_port, std::string &error);

}  // namespace vncgate::testing
