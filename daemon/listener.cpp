#include "listener.h"

namespace vncgate {

Listener::Listener(std::optional<std::string> console, Accept accept)
    : console_(std::move(console)), accept_(std::move(accept)), service_(g_socket_service_new()) {
  g_signal_connect(service_, "incoming", G_CALLBACK(&Listener::on_incoming), this);
}

Listener::~Listener() {
  g_socket_service_stop(service_);
  g_socket_listener_close(G_SOCKET_LISTENER(service_));
  g_signal_handlers_disconnect_by_data(service_, this);
  g_object_unref(service_);
}

bool Listener::add(const HostPort &address, std::string &error) {
  GError *err = nullptr;
  bool ok;
  if (address.host.empty()) {
    ok = g_socket_listener_add_inet_port(G_SOCKET_LISTENER(service_), address.port, nullptr, &err);
  } else {
    GInetAddress *ia = g_inet_address_new_from_string(address.host.c_str());
    GSocketAddress *sa = g_inet_socket_address_new(ia, address.port);
    g_object_unref(ia);
    ok = g_socket_listener_add_address(G_SOCKET_LISTENER(service_), sa, G_SOCKET_TYPE_STREAM,
                                       G_SOCKET_PROTOCOL_TCP, nullptr, nullptr, &err);
    g_object_unref(sa);
  }
  if (!ok) {
    error = "cannot listen on " + address.to_string() + ": " + err->message;
    g_error_free(err);
    return false;
  }
  addresses_.push_back(address);
  return true;
}

gboolean Listener::on_incoming(GSocketService *, GSocketConnection *conn, GObject *, gpointer data) {
  auto *self = static_cast<Listener *>(data);
  self->accept_(conn, self->console_);
  return TRUE;
}

}  // namespace vncgate
