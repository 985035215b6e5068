#include "control/control_listener.h"

#include <cerrno>

#include "logging.h"

namespace vncgate {
namespace {

constexpr const char *kPeerCertificateKey = "vncgate-tls-peer-certificate";
constexpr const char *kSocketKey = "vncgate-socket";
constexpr unsigned kFirstBackoffMs = 50;
constexpr unsigned kMaxBackoffMs = 1000;

}  // namespace

// A TLS handshake under way. The listener may go first (a reload that
// changes [control]): it then cancels the handshake and clears `owner`.
struct ControlListener::Handshake {
  ControlListener *owner;
  GTlsConnection *tls;
  GSocketAddress *local, *remote;
};

void ControlListener::finish_handshake(GObject *source, GAsyncResult *res, gpointer data) {
  auto *h = static_cast<Handshake *>(data);
  GError *err = nullptr;
  bool ok = g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), res, &err);
  if (h->owner) h->owner->handshakes_.erase(h);
  if (ok && !h->owner) {
    g_io_stream_close(G_IO_STREAM(h->tls), nullptr, nullptr);
  } else if (ok) {
    // libsoup 3.2 does not see the peer certificate of a connection it is
    // given (soup_server_message_get_tls_peer_certificate() is null): keep it
    // on the remote address object, which libsoup hands back per message.
    if (GTlsCertificate *peer = g_tls_connection_get_peer_certificate(h->tls))
      g_object_set_data_full(G_OBJECT(h->remote), kPeerCertificateKey, g_object_ref(peer),
                             g_object_unref);
    soup_server_accept_iostream(h->owner->server_, G_IO_STREAM(h->tls), h->local, h->remote,
                                nullptr);
  } else {
    if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      log_debug("control: TLS handshake failed: " + std::string(err->message));
    g_error_free(err);
    g_io_stream_close(G_IO_STREAM(h->tls), nullptr, nullptr);
  }
  g_object_unref(h->tls);
  g_object_unref(h->local);
  g_object_unref(h->remote);
  delete h;
}

namespace {

// After an early refusal: the answer, then a lingering close. Closing at
// once while the client is still sending its body would make the kernel
// reset the connection, and the client would lose the answer (a Unix
// socket even drops the unread answer). So the write side is shut (the
// client sees the answer end) and what the client still sends is read and
// dropped, for a bounded time and amount, before the close.
constexpr int64_t kLingerMicroseconds = 2 * G_USEC_PER_SEC;
constexpr size_t kLingerBytes = 16 << 20;

struct Refusal {
  GIOStream *stream;
  GSocket *socket;
  std::string text;
  GSource *source = nullptr;
  int64_t deadline = 0;
  size_t drained = 0;
};

void finish_refusal(Refusal *r) {
  if (r->source) {
    g_source_destroy(r->source);
    g_source_unref(r->source);
  }
  g_io_stream_close(r->stream, nullptr, nullptr);  // closes the socket
  g_object_unref(r->stream);
  g_object_unref(r->socket);
  delete r;
}

gboolean drain(GSocket *sock, GIOCondition, gpointer data) {
  auto *r = static_cast<Refusal *>(data);
  static char scratch[64 * 1024];
  for (int i = 0; i < 16; ++i) {
    gssize n =
        g_socket_receive_with_blocking(sock, scratch, sizeof scratch, FALSE, nullptr, nullptr);
    if (n < 0) break;  // would block (or an error, checked below)
    r->drained += static_cast<size_t>(n);
    if (n == 0 || r->drained > kLingerBytes) {
      r->deadline = 0;  // EOF, or enough of this
      break;
    }
  }
  if (g_get_monotonic_time() >= r->deadline || g_socket_is_closed(sock) ||
      !g_socket_is_connected(sock)) {
    finish_refusal(r);
    return G_SOURCE_REMOVE;
  }
  return G_SOURCE_CONTINUE;
}

void refusal_written(GObject *source, GAsyncResult *res, gpointer data) {
  auto *r = static_cast<Refusal *>(data);
  GError *err = nullptr;
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, nullptr, &err)) {
    g_error_free(err);
    finish_refusal(r);
    return;
  }
  g_socket_shutdown(r->socket, FALSE, TRUE, nullptr);
  r->deadline = g_get_monotonic_time() + kLingerMicroseconds;
  g_socket_set_timeout(r->socket, 1);  // the source also wakes up when nothing comes
  r->source = g_socket_create_source(r->socket, G_IO_IN, nullptr);
  g_source_set_callback(r->source, G_SOURCE_FUNC(+drain), r, nullptr);
  g_source_attach(r->source, nullptr);
}

}  // namespace

GTlsCertificate *control_peer_certificate(SoupServerMessage *msg) {
  GSocketAddress *remote = soup_server_message_get_remote_address(msg);
  if (!remote) return nullptr;
  return static_cast<GTlsCertificate *>(g_object_get_data(G_OBJECT(remote), kPeerCertificateKey));
}

GSocket *control_socket(SoupServerMessage *msg) {
  GSocketAddress *remote = soup_server_message_get_remote_address(msg);
  if (!remote) return nullptr;
  return static_cast<GSocket *>(g_object_get_data(G_OBJECT(remote), kSocketKey));
}

void refuse_and_close(GIOStream *stream, GSocket *socket, std::string response) {
  auto *r = new Refusal{stream, socket, std::move(response)};
  g_output_stream_write_all_async(g_io_stream_get_output_stream(stream), r->text.data(),
                                  r->text.size(), G_PRIORITY_DEFAULT, nullptr, refusal_written, r);
}

ControlListener::ControlListener(SoupServer *server, GSocket *socket, Tls tls, std::string name)
    : server_(server),
      socket_(G_SOCKET(g_object_ref(socket))),
      tls_(std::move(tls)),
      name_(std::move(name)),
      cancel_(g_cancellable_new()) {
  g_socket_set_blocking(socket_, FALSE);
  watch();
}

ControlListener::~ControlListener() {
  if (source_) {
    g_source_destroy(source_);
    g_source_unref(source_);
  }
  if (resume_id_) g_source_remove(resume_id_);
  for (Handshake *h : handshakes_) {
    g_signal_handlers_disconnect_by_data(h->tls, this);  // accept-certificate
    h->owner = nullptr;
  }
  g_cancellable_cancel(cancel_);
  g_object_unref(cancel_);
  for (GSocket *s : clients_) g_object_unref(s);
  g_socket_close(socket_, nullptr);
  g_object_unref(socket_);
}

void ControlListener::watch() {
  source_ = g_socket_create_source(socket_, G_IO_IN, nullptr);
  g_source_set_callback(source_, G_SOURCE_FUNC(+on_readable), this, nullptr);
  g_source_attach(source_, nullptr);
}

void ControlListener::pause(unsigned ms) {
  if (source_) {
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
  }
  if (!resume_id_) resume_id_ = g_timeout_add(ms, on_resume, this);
}

gboolean ControlListener::on_resume(gpointer data) {
  auto *self = static_cast<ControlListener *>(data);
  self->resume_id_ = 0;
  self->watch();
  self->accept_some();  // the source fires too, but not before the next poll
  return G_SOURCE_REMOVE;
}

gboolean ControlListener::on_readable(GSocket *, GIOCondition, gpointer data) {
  static_cast<ControlListener *>(data)->accept_some();
  return G_SOURCE_CONTINUE;
}

void ControlListener::prune() {
  std::erase_if(clients_, [](GSocket *s) {
    if (!g_socket_is_closed(s)) return false;
    g_object_unref(s);
    return true;
  });
}

size_t ControlListener::connections() {
  prune();
  return clients_.size();
}

void ControlListener::accept_some() {
  // A bounded batch per wakeup, so one busy listener cannot starve the loop.
  for (int i = 0; i < 32 && source_; ++i) {
    prune();
    if (clients_.size() >= kMaxConnections) {
      // Full: the backlog keeps the rest until a connection closes.
      pause(250);
      return;
    }
    GError *err = nullptr;
    GSocket *client = g_socket_accept(socket_, nullptr, &err);
    if (!client) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
        g_error_free(err);
        backoff_ms_ = 0;
        return;
      }
      // EMFILE/ENFILE above all, but any failure that is not "nothing to
      // accept" may repeat at once (ENOBUFS, ENOMEM): the listening socket
      // stays readable, so retrying now would spin. Back off instead; a
      // client that gave up before accept() costs one short pause.
      {
        backoff_ms_ = backoff_ms_ ? std::min(backoff_ms_ * 2, kMaxBackoffMs) : kFirstBackoffMs;
        int64_t now = g_get_monotonic_time();
        if (now - last_warning_us_ >= G_USEC_PER_SEC) {
          log_warning("control " + name_ + ": cannot accept: " + err->message +
                      (suppressed_
                           ? " (" + std::to_string(suppressed_) + " more since the last warning)"
                           : std::string()) +
                      "; accepting again in " + std::to_string(backoff_ms_) + " ms");
          last_warning_us_ = now;
          suppressed_ = 0;
        } else {
          ++suppressed_;
        }
        g_error_free(err);
        pause(backoff_ms_);
        return;
      }
    }
    backoff_ms_ = 0;
    serve(client);
    g_object_unref(client);
  }
}

void ControlListener::serve(GSocket *client) {
  clients_.push_back(G_SOCKET(g_object_ref(client)));
  // Bounds a client that connects and then says nothing (or stops half way):
  // GIO fails the pending read or write with G_IO_ERROR_TIMED_OUT.
  g_socket_set_timeout(client, kIdleTimeoutSeconds);
  GSocketAddress *local = g_socket_get_local_address(client, nullptr);
  GSocketAddress *remote = g_socket_get_remote_address(client, nullptr);
  GSocketConnection *conn = g_socket_connection_factory_create_connection(client);
  if (remote)  // for refuse_and_close(), through the message
    g_object_set_data_full(G_OBJECT(remote), kSocketKey, g_object_ref(client), g_object_unref);
  if (!local || !remote) {
    // Already gone (or an odd family): nothing to serve.
    g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
  } else if (!tls_.cert) {
    soup_server_accept_iostream(server_, G_IO_STREAM(conn), local, remote, nullptr);
  } else {
    GError *err = nullptr;
    GIOStream *tls = g_tls_server_connection_new(G_IO_STREAM(conn), tls_.cert, &err);
    if (!tls) {
      log_warning("control " + name_ + ": TLS: " + std::string(err->message));
      g_error_free(err);
      g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
    } else {
      if (tls_.ca) {
        g_object_set(tls, "database", tls_.ca, "authentication-mode",
                     G_TLS_AUTHENTICATION_REQUESTED, nullptr);
        g_signal_connect(tls, "accept-certificate",
                         G_CALLBACK(+[](GTlsConnection *, GTlsCertificate *cert,
                                        GTlsCertificateFlags, gpointer d) -> gboolean {
                           // A certificate that does not chain to our CA ends
                           // the handshake, as libsoup's own listener did.
                           return static_cast<ControlListener *>(d)->tls_.accept_client(cert);
                         }),
                         this);
      }
      auto *h = new Handshake{this, G_TLS_CONNECTION(tls), G_SOCKET_ADDRESS(g_object_ref(local)),
                              G_SOCKET_ADDRESS(g_object_ref(remote))};
      handshakes_.insert(h);
      g_tls_connection_handshake_async(G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT, cancel_,
                                       finish_handshake, h);
    }
  }
  if (local) g_object_unref(local);
  if (remote) g_object_unref(remote);
  g_object_unref(conn);
}

}  // namespace vncgate
