#include "io/byte_channel.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace vncgate {

SocketChannel::SocketChannel(GSocketConnection *conn)
    : conn_(GObjectPtr<GSocketConnection>::ref(conn)),
      fd_(g_socket_get_fd(g_socket_connection_get_socket(conn))),
      watch_(fd_, [this](GIOCondition c) {
        if (ready_) ready_(c);
      }) {
  g_socket_set_blocking(g_socket_connection_get_socket(conn), FALSE);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);  // fails harmlessly off TCP
}

ssize_t SocketChannel::receive(uint8_t *buf, size_t len) {
  return ::recv(fd_, buf, len, 0);
}

ssize_t SocketChannel::send(const uint8_t *data, size_t len) {
  return ::send(fd_, data, len, MSG_NOSIGNAL);
}

void SocketChannel::close() {
  watch_.cancel();
  g_socket_close(g_socket_connection_get_socket(conn_.get()), nullptr);
}

}  // namespace vncgate
