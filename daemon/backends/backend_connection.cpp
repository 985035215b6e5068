#include "backends/backend_connection.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>

namespace vncgate {

namespace {
constexpr size_t kMaxHandshakeInput = 64 * 1024;
}

BackendConnection::BackendConnection(HostPort address, std::optional<std::string> password,
                                     Done done)
    : address_(std::move(address)), handshake_(std::move(password)), done_(std::move(done)) {
  cancel_ = g_cancellable_new();
  GSocketClient *client = g_socket_client_new();
  g_socket_client_set_timeout(client, 0);
  g_socket_client_connect_to_host_async(client, address_.host.c_str(), address_.port, cancel_,
                                        &BackendConnection::on_connected, this);
  g_object_unref(client);
}

BackendConnection::~BackendConnection() {
  watch_.reset();
  g_cancellable_cancel(cancel_);
  g_object_unref(cancel_);
  if (conn_) g_object_unref(conn_);
}

void BackendConnection::on_connected(GObject *src, GAsyncResult *res, gpointer data) {
  GError *err = nullptr;
  GSocketConnection *conn = g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res, &err);
  if (!conn) {
    bool cancelled = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED);
    std::string msg = err->message;
    g_error_free(err);
    if (cancelled) return;  // owner is gone
    static_cast<BackendConnection *>(data)->fail("cannot connect: " + msg);
    return;
  }
  auto *self = static_cast<BackendConnection *>(data);
  self->conn_ = conn;
  GSocket *sock = g_socket_connection_get_socket(conn);
  g_socket_set_blocking(sock, FALSE);
  self->fd_ = g_socket_get_fd(sock);
  int one = 1;
  setsockopt(self->fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  self->watch_ = std::make_unique<FdWatch>(self->fd_, [self](GIOCondition c) { self->on_event(c); });
  self->watch_->set_events(G_IO_IN);
}

void BackendConnection::on_event(GIOCondition cond) {
  if (cond & G_IO_OUT) {
    while (!out_.empty()) {
      ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
      if (n <= 0) return fail(std::string("send: ") + std::strerror(errno));
      out_.erase(out_.begin(), out_.begin() + n);
    }
  }
  if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
    uint8_t buf[4096];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return fail("closed the connection during the RFB handshake");
    if (n < 0 && errno != EAGAIN && errno != EINTR) return fail(std::string("recv: ") + std::strerror(errno));
    if (n > 0) {
      in_.insert(in_.end(), buf, buf + n);
      if (in_.size() > kMaxHandshakeInput) return fail("sent too much during the RFB handshake");
    }
    for (;;) {
      auto step = handshake_.feed(in_);
      if (step.status == ParseStatus::Error) return fail(handshake_.error());
      in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(step.consumed));
      out_.insert(out_.end(), step.reply.begin(), step.reply.end());
      if (step.status == ParseStatus::Ok) {
        if (!out_.empty()) {
          // The final reply (if any) must go out before we hand over.
          ssize_t n2 = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
          if (n2 != static_cast<ssize_t>(out_.size())) return fail("cannot complete the handshake");
          out_.clear();
        }
        return finish();
      }
      if (step.consumed == 0) break;
    }
    if (!out_.empty()) {
      ssize_t n2 = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
      if (n2 > 0) out_.erase(out_.begin(), out_.begin() + n2);
      else if (n2 < 0 && errno != EAGAIN && errno != EINTR) return fail(std::string("send: ") + std::strerror(errno));
    }
  }
  watch_->set_events(out_.empty() ? G_IO_IN : GIOCondition(G_IO_IN | G_IO_OUT));
}

void BackendConnection::fail(std::string why) {
  if (watch_) watch_->cancel();
  Done d = std::move(done_);
  done_ = nullptr;
  d(nullptr, {}, address_.to_string() + ": " + why);  // may destroy this
}

void BackendConnection::finish() {
  watch_->cancel();
  GSocketConnection *c = conn_;
  conn_ = nullptr;
  Done d = std::move(done_);
  done_ = nullptr;
  Bytes rest = std::move(in_);
  d(c, std::move(rest), {});  // ownership of `c` passes to the callee; may destroy this
}

}  // namespace vncgate
