#include "socket_fd.h"

#ifdef _WIN32
#include <winsock2.h>
#else
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#endif

namespace vncgate::viewer {

#ifdef _WIN32

int duplicate_socket(int fd) {
  WSAPROTOCOL_INFOW info{};
  if (WSADuplicateSocketW(static_cast<SOCKET>(fd), GetCurrentProcessId(), &info) != 0) return -1;
  SOCKET copy = WSASocketW(FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, FROM_PROTOCOL_INFO, &info, 0,
                           WSA_FLAG_OVERLAPPED);
  return copy == INVALID_SOCKET ? -1 : static_cast<int>(copy);
}

void close_socket(int fd) {
  closesocket(static_cast<SOCKET>(fd));
}

void set_blocking_with_timeout(int fd, int seconds) {
  u_long nonblocking = 0;
  ioctlsocket(static_cast<SOCKET>(fd), FIONBIO, &nonblocking);
  const DWORD ms = static_cast<DWORD>(seconds) * 1000;  // Windows takes milliseconds
  setsockopt(static_cast<SOCKET>(fd), SOL_SOCKET, SO_RCVTIMEO, reinterpret_cast<const char *>(&ms),
             sizeof ms);
  setsockopt(static_cast<SOCKET>(fd), SOL_SOCKET, SO_SNDTIMEO, reinterpret_cast<const char *>(&ms),
             sizeof ms);
}

namespace {
long io_send(int fd, const char *p, std::size_t n) {
  return send(static_cast<SOCKET>(fd), p, static_cast<int>(n), 0);
}
long io_recv(int fd, char *p, std::size_t n) {
  return recv(static_cast<SOCKET>(fd), p, static_cast<int>(n), 0);
}
}  // namespace

#else

int duplicate_socket(int fd) {
  return fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

void close_socket(int fd) {
  ::close(fd);
}

void set_blocking_with_timeout(int fd, int seconds) {
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  struct timeval tv {
    seconds, 0
  };
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

namespace {
long io_send(int fd, const char *p, std::size_t n) {
  return send(fd, p, n, MSG_NOSIGNAL);
}
long io_recv(int fd, char *p, std::size_t n) {
  return recv(fd, p, n, 0);
}
}  // namespace

#endif

bool send_all(int fd, const void *buf, std::size_t n) {
  auto *p = static_cast<const char *>(buf);
  while (n > 0) {
    long r = io_send(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

bool recv_exact(int fd, void *buf, std::size_t n) {
  auto *p = static_cast<char *>(buf);
  while (n > 0) {
    long r = io_recv(fd, p, n);
    if (r <= 0) return false;
    p += r;
    n -= static_cast<std::size_t>(r);
  }
  return true;
}

}  // namespace vncgate::viewer
