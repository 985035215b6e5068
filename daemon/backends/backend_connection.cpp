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
                                     std::optional<TlsClientSettings> tls, Done done)
    : address_(std::move(address)),
      handshake_(std::move(password), tls.has_value()),
      done_(std::move(done)),
      tls_settings_(std::move(tls)) {
  cancel_ = g_cancellable_new();
  GSocketClient *client = g_socket_client_new();
  g_socket_client_set_timeout(client, 0);
  // Backends are local or on the management network: never via a proxy
  // from the daemon's environment.
  g_socket_client_set_enable_proxy(client, FALSE);
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
  self->watch_ =
      std::make_unique<FdWatch>(self->fd_, [self](GIOCondition c) { self->on_event(c); });
  self->watch_->set_events(G_IO_IN);
}

void BackendConnection::on_event(GIOCondition cond) {
  if (cond & G_IO_OUT) {
    if (!send_pending()) return;
  }
  if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
    uint8_t buf[16384];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n == 0) return fail("closed the connection during the RFB handshake");
    if (n < 0 && errno != EAGAIN && errno != EINTR)
      return fail(std::string("recv: ") + std::strerror(errno));
    if (n > 0 && !on_input(buf, static_cast<size_t>(n))) return;
    if (finished_) return;
  }
  watch_->set_events(out_.empty() ? G_IO_IN : GIOCondition(G_IO_IN | G_IO_OUT));
}

bool BackendConnection::on_input(const uint8_t *data, size_t len) {
  if (tls_ && !tls_up_) {
    std::string error;
    auto r = tls_->handshake(data, len, out_, error);
    if (r == TlsSession::Handshake::Failed) {
      fail(error);
      return false;
    }
    if (!send_pending()) return false;
    if (r == TlsSession::Handshake::NeedMore) return true;
    tls_up_ = true;
    data = nullptr;
    len = 0;  // records that came with the handshake are decoded below
  }
  if (tls_up_) {
    if (!tls_->decode(data, len, in_)) {
      fail("TLS record layer error");
      return false;
    }
    tls_->take_output(out_);
  } else {
    in_.insert(in_.end(), data, data + len);
  }
  if (in_.size() > kMaxHandshakeInput) {
    fail("sent too much during the RFB handshake");
    return false;
  }
  return run_handshake();
}

bool BackendConnection::run_handshake() {
  for (;;) {
    auto step = handshake_.feed(in_);
    if (step.status == ParseStatus::Error) {
      fail(handshake_.error());
      return false;
    }
    in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(step.consumed));
    if (!step.reply.empty()) {
      if (tls_up_) {
        if (!tls_->encode(step.reply.data(), step.reply.size(), out_)) {
          fail("TLS record layer error");
          return false;
        }
      } else {
        out_.insert(out_.end(), step.reply.begin(), step.reply.end());
      }
    }
    if (step.start_tls) {
      std::string error;
      tls_ = TlsClientSession::create(*tls_settings_, error);
      if (!tls_) {
        fail(error);
        return false;
      }
      // Whatever followed the VeNCrypt accept byte is TLS already.
      Bytes early = std::move(in_);
      in_.clear();
      return on_input(early.data(), early.size());
    }
    if (step.status == ParseStatus::Ok) {
      // The final reply (if any) must be written before we hand over.
      if (!send_pending()) return false;
      if (!out_.empty()) {
        fail("cannot complete the handshake (backend not reading)");
        return false;
      }
      finish();
      return false;
    }
    if (step.consumed == 0) break;
  }
  return send_pending();
}

bool BackendConnection::send_pending() {
  while (!out_.empty()) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
    if (n <= 0) {
      fail(std::string("send: ") + std::strerror(errno));
      return false;
    }
    out_.erase(out_.begin(), out_.begin() + n);
  }
  return true;
}

void BackendConnection::fail(std::string why) {
  if (watch_) watch_->cancel();
  Done d = std::move(done_);
  done_ = nullptr;
  finished_ = true;
  d(nullptr, {}, nullptr, address_.to_string() + ": " + why);  // must not destroy this
}

void BackendConnection::finish() {
  watch_->cancel();
  GSocketConnection *c = conn_;
  conn_ = nullptr;
  Done d = std::move(done_);
  done_ = nullptr;
  Bytes rest = std::move(in_);
  finished_ = true;
  std::unique_ptr<SecurityLayer> layer = std::move(tls_);
  d(c, std::move(rest), std::move(layer), {});  // the callee owns `c`; must not destroy this
}

}  // namespace vncgate
