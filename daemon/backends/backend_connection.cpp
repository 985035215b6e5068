#include "backends/backend_connection.h"

namespace vncgate {

namespace {
constexpr size_t kMaxHandshakeInput = 64 * 1024;
}

BackendConnection::BackendConnection(HostPort address, std::optional<std::string> password,
                                     std::optional<TlsClientSettings> tls, Done done)
    : address_(std::move(address)),
      handshake_(std::move(password), tls.has_value()),
      done_(std::move(done)),
      cancel_(GObjectPtr<GCancellable>::adopt(g_cancellable_new())),
      tls_settings_(std::move(tls)) {
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 0);
  // Backends are local or on the management network: never via a proxy
  // from the daemon's environment.
  g_socket_client_set_enable_proxy(client, FALSE);
  // `this` is safe as the callback's data: the destructor cancels first,
  // and a cancelled callback does not touch it.
  g_socket_client_connect_to_host_async(client, address_.host.c_str(), address_.port, cancel_.get(),
                                        &BackendConnection::on_connected, this);
}

BackendConnection::~BackendConnection() {
  g_cancellable_cancel(cancel_.get());
}

void BackendConnection::on_connected(GObject *src, GAsyncResult *res, gpointer data) {
  g_autoptr(GError) err = nullptr;
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host_finish(G_SOCKET_CLIENT(src), res, &err);
  if (g_error_matches(err, G_IO_ERROR, G_IO_ERROR_CANCELLED)) return;  // owner is gone
  auto *self = static_cast<BackendConnection *>(data);
  if (!conn) return self->fail(std::string("cannot connect: ") + err->message);
  self->transport_ = std::make_unique<Transport>(conn);
  self->transport_->set_input_limit(kMaxHandshakeInput);
  self->transport_->set_handler({
      .input = [self] { self->on_input(); },
      .failed =
          [self](const TransportError &e) {
            switch (e.kind) {
              case TransportError::Kind::Eof:
                return self->fail("closed the connection during the RFB handshake");
              case TransportError::Kind::InputLimit:
                return self->fail("sent too much during the RFB handshake");
              case TransportError::Kind::LayerDecode:
              case TransportError::Kind::LayerEncode:
                return self->fail("TLS record layer error");
              default:
                return self->fail(e.describe("backend"));
            }
          },
  });
  self->transport_->resume_reading();
}

void BackendConnection::on_input() {
  for (;;) {
    if (finished_) return;
    auto step = handshake_.feed(transport_->input());
    if (step.status == ParseStatus::Error) return fail(handshake_.error());
    transport_->consume(step.consumed);
    if (!step.reply.empty() && !transport_->write(step.reply)) return;  // failure reported
    if (step.start_tls) return start_tls();
    if (step.status == ParseStatus::Ok) {
      // Pending output (the last reply) goes with the transport.
      transport_->pause_reading();
      transport_->set_handler({});
      finished_ = true;
      report(std::move(transport_), {});
      return;
    }
    if (step.consumed == 0) return;
  }
}

// Whatever followed the VeNCrypt accept byte is TLS already: the transport
// feeds it to the handshake, then offers the plaintext to on_input().
void BackendConnection::start_tls() {
  std::string error;
  std::unique_ptr<TlsClientSession> tls = TlsClientSession::create(*tls_settings_, error);
  if (!tls) return fail(error);
  transport_->start_tls(std::move(tls), [this](bool ok, const std::string &why) {
    if (!ok) fail(why);
  });
}

void BackendConnection::fail(std::string why) {
  if (finished_) return;
  finished_ = true;
  if (transport_) {
    transport_->close();
    transport_->set_handler({});
  }
  report(nullptr, address_.to_string() + ": " + why);
}

void BackendConnection::report(std::unique_ptr<Transport> transport, std::string error) {
  // std::function needs a copyable callable: the transport rides in a
  // shared_ptr until the idle call hands it on.
  auto handed = std::make_shared<std::unique_ptr<Transport>>(std::move(transport));
  report_.idle(
      [this, handed, error = std::move(error)] {
        Done done = std::move(done_);
        done_ = nullptr;
        if (done) done(std::move(*handed), error);
      },
      G_PRIORITY_DEFAULT);
}

}  // namespace vncgate
