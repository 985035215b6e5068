#include "timed_socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <utility>

namespace vncgate::testing {
namespace {

std::string errno_text(const char *what, int err) {
  return std::string(what) + ": " + std::strerror(err);
}

bool set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0;
}

void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

std::string format_sockaddr(const sockaddr_storage &ss) {
  char host[INET6_ADDRSTRLEN] = {};
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    auto *sin = reinterpret_cast<const sockaddr_in *>(&ss);
    inet_ntop(AF_INET, &sin->sin_addr, host, sizeof host);
    port = ntohs(sin->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto *sin6 = reinterpret_cast<const sockaddr_in6 *>(&ss);
    inet_ntop(AF_INET6, &sin6->sin6_addr, host, sizeof host);
    port = ntohs(sin6->sin6_port);
  } else {
    return {};
  }
  return std::string(host) + ";" + std::to_string(port);
}

}  // namespace

TimedSocket::~TimedSocket() {
  close();
}

TimedSocket::TimedSocket(TimedSocket &&other) noexcept
    : fd_(std::exchange(other.fd_, -1)), timeout_ms_(other.timeout_ms_) {}

TimedSocket &TimedSocket::operator=(TimedSocket &&other) noexcept {
  if (this != &other) {
    close();
    fd_ = std::exchange(other.fd_, -1);
    timeout_ms_ = other.timeout_ms_;
  }
  return *this;
}

TimedSocket TimedSocket::adopt(int fd, int timeout_ms) {
  TimedSocket s(timeout_ms);
  s.fd_ = fd;
  set_nonblocking(fd);
  set_nodelay(fd);
  return s;
}

void TimedSocket::close() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

bool TimedSocket::wait_for(short events, const char *what, std::string &error) {
  pollfd p{fd_, events, 0};
  for (;;) {
    int r = ::poll(&p, 1, timeout_ms_);
    if (r > 0) return true;
    if (r == 0) {
      error = std::string(what) + ": timed out after " + std::to_string(timeout_ms_) + " ms";
      return false;
    }
    if (errno != EINTR) {
      error = errno_text(what, errno);
      return false;
    }
  }
}

namespace {

// Binds `fd` to `ip` (port 0) when `ip` is of `family`.
bool bind_source(int fd, int family, const std::string &ip, std::string &error) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  if (family == AF_INET) {
    auto *a = reinterpret_cast<sockaddr_in *>(&ss);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, ip.c_str(), &a->sin_addr) != 1)
      return (error = "not IPv4: " + ip, false);
    len = sizeof *a;
  } else {
    auto *a = reinterpret_cast<sockaddr_in6 *>(&ss);
    a->sin6_family = AF_INET6;
    if (inet_pton(AF_INET6, ip.c_str(), &a->sin6_addr) != 1)
      return (error = "not IPv6: " + ip, false);
    len = sizeof *a;
  }
  if (::bind(fd, reinterpret_cast<sockaddr *>(&ss), len) != 0) {
    error = "binding to " + ip + ": " + std::strerror(errno);
    return false;
  }
  return true;
}

}  // namespace

bool TimedSocket::connect(const std::string &host, uint16_t port, std::string &error) {
  close();
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo *res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0) {
    error = "resolving " + host + ": " + gai_strerror(rc);
    return false;
  }
  error = "connecting to " + host + ":" + service + ": no address";
  for (addrinfo *ai = res; ai != nullptr; ai = ai->ai_next) {
    int fd =
        ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai->ai_protocol);
    if (fd < 0) {
      error = errno_text("socket", errno);
      continue;
    }
    fd_ = fd;
    if (!source_.empty() && !bind_source(fd, ai->ai_family, source_, error)) {
      close();
      continue;
    }
    if (::connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
      if (errno != EINPROGRESS) {
        error = errno_text(("connecting to " + host + ":" + service).c_str(), errno);
        close();
        continue;
      }
      if (!wait_for(POLLOUT, ("connecting to " + host + ":" + service).c_str(), error)) {
        close();
        continue;
      }
      int soerr = 0;
      socklen_t len = sizeof soerr;
      getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len);
      if (soerr != 0) {
        error = errno_text(("connecting to " + host + ":" + service).c_str(), soerr);
        close();
        continue;
      }
    }
    set_nodelay(fd);
    error.clear();
    break;
  }
  freeaddrinfo(res);
  return fd_ >= 0;
}

bool TimedSocket::write_all(std::span<const uint8_t> data, std::string &error) {
  if (fd_ < 0) {
    error = "write: socket is closed";
    return false;
  }
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = ::send(fd_, data.data() + done, data.size() - done, MSG_NOSIGNAL);
    if (n > 0) {
      done += static_cast<size_t>(n);
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      if (!wait_for(POLLOUT, "write", error)) return false;
      continue;
    }
    error = errno_text("write", n < 0 ? errno : EPIPE);
    return false;
  }
  return true;
}

long TimedSocket::read_some(uint8_t *buf, size_t max, std::string &error) {
  if (fd_ < 0) {
    error = "read: socket is closed";
    return -1;
  }
  for (;;) {
    ssize_t n = ::recv(fd_, buf, max, 0);
    if (n >= 0) return n;
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (!wait_for(POLLIN, "read", error)) return -1;
      continue;
    }
    error = errno_text("read", errno);
    return -1;
  }
}

bool TimedSocket::wait_closed(int timeout_ms, std::string &error) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  uint8_t buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
    if (left < 0) left = 0;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(left));
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) {
      error = "peer did not close the connection within " + std::to_string(timeout_ms) + " ms";
      return false;
    }
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return true;
    if (n < 0 && errno != EINTR && errno != EAGAIN) return true;  // reset counts as closed
  }
}

std::string TimedSocket::local_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (fd_ < 0 || getsockname(fd_, reinterpret_cast<sockaddr *>(&ss), &len) != 0) return {};
  return format_sockaddr(ss);
}

std::string TimedSocket::remote_address() const {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (fd_ < 0 || getpeername(fd_, reinterpret_cast<sockaddr *>(&ss), &len) != 0) return {};
  return format_sockaddr(ss);
}

int listen_tcp(const std::string &host, uint16_t port, uint16_t &bound_port, std::string &error) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICHOST;
  addrinfo *res = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &res);
  if (rc != 0 || res == nullptr) {
    error = "listen address " + host + ": " + gai_strerror(rc);
    return -1;
  }
  int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    error = errno_text("socket", errno);
    freeaddrinfo(res);
    return -1;
  }
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 4096) != 0) {
    error = errno_text(("listening on " + host + ":" + service).c_str(), errno);
    ::close(fd);
    freeaddrinfo(res);
    return -1;
  }
  freeaddrinfo(res);
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(fd, reinterpret_cast<sockaddr *>(&ss), &len);
  bound_port = ss.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6 *>(&ss)->sin6_port)
                                        : ntohs(reinterpret_cast<sockaddr_in *>(&ss)->sin_port);
  return fd;
}

}  // namespace vncgate::testing
