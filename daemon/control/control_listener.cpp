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
// The handshake's callback owns it: g_tls_connection_handshake_async()
// carries it as its data, released there and taken back in
// finish_handshake(), which GIO calls exactly once (also when cancelled).
struct ControlListener::Handshake {
  ControlListener *owner;
  GObjectPtr<GTlsConnection> tls;
  GObjectPtr<GSocketAddress> local, remote;
};

void ControlListener::finish_handshake(GObject *source, GAsyncResult *res, gpointer data) {
  std::unique_ptr<Handshake> h(static_cast<Handshake *>(data));
  g_autoptr(GError) err = nullptr;
  bool ok = g_tls_connection_handshake_finish(G_TLS_CONNECTION(source), res, &err);
  if (h->owner) h->owner->handshakes_.erase(h.get());
  if (ok && !h->owner) {
    g_io_stream_close(G_IO_STREAM(h->tls.get()), nullptr, nullptr);
  } else if (ok) {
    // libsoup 3.2 does not see the peer certificate of a connection it is
    // given (soup_server_message_get_tls_peer_certificate() is null): keep it
    // on the remote address object, which libsoup hands back per message.
    if (GTlsCertificate *peer = g_tls_connection_get_peer_certificate(h->tls.get()))
      g_object_set_data_full(G_OBJECT(h->remote.get()), kPeerCertificateKey, g_object_ref(peer),
                             g_object_unref);
    h->owner->hand_over(G_IO_STREAM(h->tls.get()), h->local.get(), h->remote.get());
  } else {
    if (!g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED))
      log_debug(h->owner ? h->owner->name_ + ": TLS handshake failed: " + err->message
                         : std::string("TLS handshake failed: ") + err->message);
    g_io_stream_close(G_IO_STREAM(h->tls.get()), nullptr, nullptr);
  }
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

// Owned by the pending write, then by its drain source (see refuse_and_close).
struct Refusal {
  GObjectPtr<GIOStream> stream;
  GObjectPtr<GSocket> socket;
  std::string text;
  int64_t deadline = 0;
  size_t drained = 0;
  ~Refusal() { g_io_stream_close(stream.get(), nullptr, nullptr); }  // closes the socket
};

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
  // Removing the source destroys the Refusal (its destroy notify).
  if (g_get_monotonic_time() >= r->deadline || g_socket_is_closed(sock) ||
      !g_socket_is_connected(sock))
    return G_SOURCE_REMOVE;
  return G_SOURCE_CONTINUE;
}

void refusal_written(GObject *source, GAsyncResult *res, gpointer data) {
  std::unique_ptr<Refusal> r(static_cast<Refusal *>(data));
  if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), res, nullptr, nullptr)) return;
  g_socket_shutdown(r->socket.get(), FALSE, TRUE, nullptr);
  r->deadline = g_get_monotonic_time() + kLingerMicroseconds;
  g_socket_set_timeout(r->socket.get(), 1);  // the source also wakes up when nothing comes
  g_autoptr(GSource) drain_source = g_socket_create_source(r->socket.get(), G_IO_IN, nullptr);
  // The source owns the Refusal from here: its destroy notify deletes it.
  g_source_set_callback(drain_source, G_SOURCE_FUNC(+drain), r.release(),
                        [](gpointer d) { delete static_cast<Refusal *>(d); });
  g_source_attach(drain_source, nullptr);
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
  auto r = std::make_unique<Refusal>(GObjectPtr<GIOStream>(stream), GObjectPtr<GSocket>(socket),
                                     std::move(response));
  const std::string &text = r->text;
  // The write's callback takes the Refusal back (refusal_written).
  g_output_stream_write_all_async(g_io_stream_get_output_stream(stream), text.data(), text.size(),
                                  G_PRIORITY_DEFAULT, nullptr, refusal_written, r.release());
}

ControlListener::ControlListener(SoupServer *server, GSocket *socket, Tls tls, std::string name,
                                 ListenerOptions options)
    : server_(server),
      socket_(G_SOCKET(g_object_ref(socket))),
      tls_(std::move(tls)),
      name_(std::move(name)),
      options_(std::move(options)),
      cancel_(g_cancellable_new()) {
  g_socket_set_blocking(socket_.get(), FALSE);
  watch();
}

ControlListener::~ControlListener() {
  source_.reset();
  resume_.cancel();
  for (Handshake *h : handshakes_) {
    g_signal_handlers_disconnect_by_data(h->tls.get(), this);  // accept-certificate
    h->owner = nullptr;
  }
  g_cancellable_cancel(cancel_.get());
  clients_.clear();
  g_socket_close(socket_.get(), nullptr);
}

void ControlListener::watch() {
  source_.reset(g_socket_create_source(socket_.get(), G_IO_IN, nullptr));
  g_source_set_callback(source_.get(), G_SOURCE_FUNC(+on_readable), this, nullptr);
  g_source_attach(source_.get(), nullptr);
}

void ControlListener::pause(unsigned ms) {
  source_.reset();
  if (resume_.active()) return;
  resume_.once(ms, [this] {
    watch();
    accept_some();  // the source fires too, but not before the next poll
  });
}

gboolean ControlListener::on_readable(GSocket *, GIOCondition, gpointer data) {
  static_cast<ControlListener *>(data)->accept_some();
  return G_SOURCE_CONTINUE;
}

void ControlListener::prune() {
  std::erase_if(clients_, [](const GObjectPtr<GSocket> &s) { return g_socket_is_closed(s.get()); });
}

size_t ControlListener::connections() {
  prune();
  return clients_.size();
}

void ControlListener::accept_some() {
  // A bounded batch per wakeup, so one busy listener cannot starve the loop.
  for (int i = 0; i < 32 && source_; ++i) {
    prune();
    if (clients_.size() >= options_.max_connections) {
      // Full: the backlog keeps the rest until a connection closes.
      pause(250);
      return;
    }
    g_autoptr(GError) err = nullptr;
    g_autoptr(GSocket) client = g_socket_accept(socket_.get(), nullptr, &err);
    if (!client) {
      if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_WOULD_BLOCK)) {
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
          log_warning(name_ + ": cannot accept: " + err->message +
                      (suppressed_
                           ? " (" + std::to_string(suppressed_) + " more since the last warning)"
                           : std::string()) +
                      "; accepting again in " + std::to_string(backoff_ms_) + " ms");
          last_warning_us_ = now;
          suppressed_ = 0;
        } else {
          ++suppressed_;
        }
        pause(backoff_ms_);
        return;
      }
    }
    backoff_ms_ = 0;
    serve(client);
  }
}

void ControlListener::serve(GSocket *client) {
  clients_.emplace_back(G_SOCKET(g_object_ref(client)));
  // Bounds a client that connects and then says nothing (or stops half way):
  // GIO fails the pending read or write with G_IO_ERROR_TIMED_OUT.
  g_socket_set_timeout(client, kIdleTimeoutSeconds);
  g_autoptr(GSocketAddress) local = g_socket_get_local_address(client, nullptr);
  g_autoptr(GSocketAddress) remote = g_socket_get_remote_address(client, nullptr);
  g_autoptr(GSocketConnection) conn = g_socket_connection_factory_create_connection(client);
  if (remote)  // for refuse_and_close(), through the message
    g_object_set_data_full(G_OBJECT(remote), kSocketKey, g_object_ref(client), g_object_unref);
  if (!local || !remote) {
    // Already gone (or an odd family): nothing to serve.
    g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
  } else if (!tls_.cert) {
    hand_over(G_IO_STREAM(conn), local, remote);
  } else {
    g_autoptr(GError) err = nullptr;
    GIOStream *tls = g_tls_server_connection_new(G_IO_STREAM(conn), tls_.cert, &err);
    if (!tls) {
      log_warning(name_ + ": TLS: " + std::string(err->message));
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
      auto h = std::make_unique<Handshake>(
          Handshake{this, GObjectPtr<GTlsConnection>(G_TLS_CONNECTION(tls)),
                    GObjectPtr<GSocketAddress>(G_SOCKET_ADDRESS(g_object_ref(local))),
                    GObjectPtr<GSocketAddress>(G_SOCKET_ADDRESS(g_object_ref(remote)))});
      handshakes_.insert(h.get());
      g_tls_connection_handshake_async(G_TLS_CONNECTION(tls), G_PRIORITY_DEFAULT, cancel_.get(),
                                       finish_handshake, h.release());
    }
  }
}

void ControlListener::hand_over(GIOStream *stream, GSocketAddress *local, GSocketAddress *remote) {
  if (!options_.wrap) {
    soup_server_accept_iostream(server_, stream, local, remote, nullptr);
    return;
  }
  g_autoptr(GIOStream) wrapped = options_.wrap(stream, remote);
  soup_server_accept_iostream(server_, wrapped, local, remote, nullptr);
}

}  // namespace vncgate
