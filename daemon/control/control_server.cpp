#include "control/control_server.h"

#include <gio/gunixsocketaddress.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "control/json_fields.h"
#include "control/json_reply.h"
#include "io/bulk_io_stream.h"
#include "logging.h"
#include "rfb/http_connect.h"
#include "text/clean_utf8.h"

namespace vncgate {
namespace {

constexpr size_t kMaxBody = 64 * 1024;

// Every listener's connections reach libsoup through a request guard (see
// io/request_head.h: libsoup 3.2 leaks on a request with a body header it
// cannot use).
ListenerOptions guarded(const std::string &name) {
  ListenerOptions o;
  o.wrap = [name](GIOStream *stream, GSocketAddress *remote) {
    std::string who = "a local client";
    if (remote && G_IS_INET_SOCKET_ADDRESS(remote)) {
      g_autofree gchar *ip = g_inet_address_to_string(
          g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote)));
      who = ip;
    }
    return bulk_io_stream_new_guarded(
        stream, BodyRule::WellFormed, [name, who](const std::string &why) {
          static LogThrottle refusals;  // a flood of bad requests is one line a second
          refusals.info(name + ": refused a request from " + who + ": " + why);
        });
  };
  return o;
}

// A bound and listening socket for `addr`; null with `error` set on failure.
GSocket *listen_on(GSocketAddress *addr, GError **err) {
  g_autoptr(GSocket) sock = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                                         G_SOCKET_PROTOCOL_DEFAULT, err);
  if (!sock) return nullptr;
  g_socket_set_listen_backlog(sock, SOMAXCONN);
  if (!g_socket_bind(sock, addr, TRUE, err) || !g_socket_listen(sock, err)) return nullptr;
  return static_cast<GSocket *>(g_steal_pointer(&sock));
}

}  // namespace

ControlServer::ControlServer(Private, ControlHost &host, ControlSettings s)
    : host_(host),
      settings_(std::move(s)),
      api_(host, settings_.public_host, settings_.public_port,
           {settings_.web_port, settings_.web_tls}) {}

std::unique_ptr<ControlServer> ControlServer::start(ControlHost &host, const ControlSettings &s,
                                                    std::string &error) {
  auto cs = std::make_unique<ControlServer>(Private{}, host, s);
  if (!cs->load_credentials(error)) return nullptr;
  // TLS is done by ControlListener, not by libsoup (see control_listener.h).
  cs->server_.reset(
      SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "server-header", "vncgated", nullptr)));
  soup_server_add_handler(cs->server_.get(), nullptr, &ControlServer::on_request, cs.get(),
                          nullptr);
  g_signal_connect(cs->server_.get(), "request-started",
                   G_CALLBACK(&ControlServer::on_request_started), cs.get());
  if (!s.socket_path.empty() && !cs->listen_unix(error)) return nullptr;
  if (s.listen && !cs->listen_tcp(error)) return nullptr;
  if (s.health_listen && !cs->listen_health(error)) return nullptr;
  return cs;
}

bool ControlServer::load_credentials(std::string &error) {
  const ControlSettings &s = settings_;
  if (!s.listen) return true;
  if (s.cert.empty() || s.key.empty()) {
    error = "[control] listen needs cert and key (the TCP control API is TLS only)";
    return false;
  }
  g_autoptr(GError) err = nullptr;
  cert_.reset(g_tls_certificate_new_from_files(s.cert.c_str(), s.key.c_str(), &err));
  if (!cert_) {
    error = std::string("[control] cert/key: ") + err->message;
    return false;
  }
  if (!s.ca.empty()) {
    client_ca_.reset(g_tls_file_database_new(s.ca.c_str(), &err));
    if (!client_ca_) {
      error = std::string("[control] ca: ") + err->message;
      return false;
    }
  }
  return true;
}

bool ControlServer::listen_unix(std::string &error) {
  const std::string &path = settings_.socket_path;
  g_autofree gchar *dir = g_path_get_dirname(path.c_str());
  g_mkdir_with_parents(dir, 0750);
  unlink(path.c_str());  // a stale socket from a previous run
  g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(path.c_str());
  g_autoptr(GError) err = nullptr;
  g_autoptr(GSocket) sock = listen_on(addr, &err);
  if (!sock) {
    error = "control socket " + path + ": " + (err ? err->message : "failed");
    return false;
  }
  chmod(path.c_str(), 0660);
  const std::string &group = settings_.socket_group;
  if (!group.empty()) {
    struct group *gr = getgrnam(group.c_str());
    if (!gr || chown(path.c_str(), static_cast<uid_t>(-1), gr->gr_gid) != 0)
      log_warning("[control] group " + group + ": cannot give the socket to it");
  }
  listeners_.push_back(std::make_unique<ControlListener>(
      server_.get(), sock, ControlListener::Tls{}, "control " + path));
  return true;
}

// Plain HTTP: what it serves (the health status) is no secret, and a load
// balancer checks it without certificates or credentials.
bool ControlServer::listen_health(std::string &error) {
  const HostPort &where = *settings_.health_listen;
  GObjectPtr<GSocket> sock = listen_inet(where, "health listener", error);
  if (!sock) return false;
  listeners_.push_back(std::make_unique<ControlListener>(
      server_.get(), sock.get(), ControlListener::Tls{}, "control " + where.to_string(),
      guarded("control " + where.to_string())));
  return true;
}

GObjectPtr<GSocket> ControlServer::listen_inet(const HostPort &where, const char *what,
                                               std::string &error) {
  g_autoptr(GInetAddress) ia =
      g_inet_address_new_from_string(where.host.empty() ? "0.0.0.0" : where.host.c_str());
  if (!ia) {
    error = std::string(what) + " " + where.to_string() + ": not an IP address";
    return {};
  }
  g_autoptr(GSocketAddress) addr = g_inet_socket_address_new(ia, where.port);
  g_autoptr(GError) err = nullptr;
  GObjectPtr<GSocket> sock(listen_on(addr, &err));
  if (!sock) error = std::string(what) + " " + where.to_string() + ": " + err->message;
  return sock;
}

bool ControlServer::listen_tcp(std::string &error) {
  const HostPort &where = *settings_.listen;
  GObjectPtr<GSocket> sock = listen_inet(where, "control listener", error);
  if (!sock) return false;
  ControlListener::Tls tls{cert_.get(), client_ca_.get(),
                           [this](GTlsCertificate *c) { return client_cert_ok(c); }};
  listeners_.push_back(std::make_unique<ControlListener>(server_.get(), sock.get(), std::move(tls),
                                                         "control " + where.to_string(),
                                                         guarded("control " + where.to_string())));
  return true;
}

ControlServer::~ControlServer() {
  listeners_.clear();  // they hand connections to server_
  if (server_) soup_server_disconnect(server_.get());
  if (!settings_.socket_path.empty()) unlink(settings_.socket_path.c_str());
}

bool ControlServer::client_cert_ok(GTlsCertificate *cert) const {
  if (!cert || !client_ca_) return false;
  // GIO checks a peer certificate as if it named a server; for a client
  // only the chain to our CA (and its validity) matters.
  GTlsCertificateFlags flags = g_tls_database_verify_chain(
      client_ca_.get(), cert, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_CLIENT, nullptr, nullptr,
      G_TLS_DATABASE_VERIFY_NONE, nullptr, nullptr);
  return flags == 0;
}

// Every request is checked when its headers have arrived, before libsoup
// reads any body: a request that is refused (no credentials, or a body over
// 64 KiB announced or streamed) is answered on a connection taken from
// libsoup and then closed, so its body is never read. libsoup 3.2 itself
// would read the whole body before any answer, even with a status set.
void ControlServer::on_request_started(SoupServer *, SoupServerMessage *msg, gpointer data) {
  // After libsoup's own got-headers handler, which validates the request line.
  g_signal_connect_after(msg, "got-headers", G_CALLBACK(+[](SoupServerMessage *m, gpointer d) {
                           static_cast<ControlServer *>(d)->on_got_headers(m);
                         }),
                         data);
  g_signal_connect(msg, "got-chunk", G_CALLBACK(+[](SoupServerMessage *m, GBytes *, gpointer d) {
                     static_cast<ControlServer *>(d)->on_got_chunk(m);
                   }),
                   data);
}

void ControlServer::on_got_headers(SoupServerMessage *msg) {
  if (unsigned status = soup_server_message_get_status(msg)) {
    // libsoup refused the request line or headers (e.g. a bad %-escape, an
    // unknown Transfer-Encoding) and reads no body: its answer stands, in
    // JSON for a malformed request, and the connection closes after it.
    if (status == SOUP_STATUS_BAD_REQUEST) respond_error(msg, status, "malformed request");
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
    return;
  }
  if (on_health_listener(msg)) {
    // [control] health-listen: plain HTTP for a load balancer's check,
    // which carries no credentials; it answers GET /v1/health (the status
    // alone) and nothing else.
    if (!is_health_request(msg)) {
      refuse_early(msg, SOUP_STATUS_NOT_FOUND, "this listener serves GET /v1/health only");
      return;
    }
    g_object_set_data(G_OBJECT(msg), "vncgate-anonymous", GINT_TO_POINTER(1));
    g_object_set_data(G_OBJECT(msg), "vncgate-authorized", GINT_TO_POINTER(1));
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                                 "close");
    return;
  }
  if (!authorized(msg)) {
    if (soup_server_message_get_status(msg) == kHttpTooManyRequests) {
      // The password-guessing limits answered (control_limits.cpp): their
      // answer and its Retry-After go out the early way too.
      g_autoptr(GBytes) b = soup_message_body_flatten(soup_server_message_get_response_body(msg));
      gsize n = 0;
      const char *d = static_cast<const char *>(g_bytes_get_data(b, &n));
      std::string body(d ? d : "", n);
      const char *retry = soup_message_headers_get_one(
          soup_server_message_get_response_headers(msg), "Retry-After");
      send_early(msg, kHttpTooManyRequests, clean_utf8(body, CleanUtf8::JsonDocument),
                 retry ? "Retry-After: " + std::string(retry) + "\r\n" : std::string());
      return;
    }
    refuse_early(msg, SOUP_STATUS_UNAUTHORIZED, "authentication required",
                 "WWW-Authenticate: Basic realm=\"vncgate\"\r\n");
    return;
  }
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  if (soup_message_headers_get_content_length(h) > static_cast<goffset>(kMaxBody)) {
    refuse_early(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "request body larger than 64 KiB");
    return;
  }
  g_object_set_data(G_OBJECT(msg), "vncgate-authorized", GINT_TO_POINTER(1));
  // libsoup 3.2 (Debian 12's 3.2.3) leaks every keep-alive connection that
  // the client closes while it is idle: the socket stays in CLOSE-WAIT and
  // its descriptor open for good (fixed upstream in 3.3, commit d20c6601,
  // "server-connection: fix dep cycle and connection leak"). One request per
  // connection avoids that state: libsoup closes the connection after the
  // response.
  soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Connection",
                               "close");
}

void ControlServer::on_got_chunk(SoupServerMessage *msg) {
  // Chunked bodies carry no Content-Length: count while they stream.
  if (soup_server_message_get_request_body(msg)->length > static_cast<goffset>(kMaxBody))
    refuse_early(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "request body larger than 64 KiB");
}

void ControlServer::refuse_early(SoupServerMessage *msg, unsigned status, const char *error,
                                 const char *extra_headers) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, error);
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  send_early(msg, status, json_text(root, false), extra_headers);
}

void ControlServer::send_early(SoupServerMessage *msg, unsigned status, const std::string &body,
                               const std::string &extra_headers) {
  // libsoup 3.2 has no phrase for 429.
  const char *phrase =
      status == kHttpTooManyRequests ? "Too Many Requests" : soup_status_get_phrase(status);
  std::string text = "HTTP/1.1 " + std::to_string(status) + " " + phrase +
                     "\r\nServer: vncgated\r\nContent-Type: application/json\r\n" +
                     "Content-Length: " + std::to_string(body.size()) +
                     "\r\nConnection: close\r\n" + extra_headers + "\r\n" + body;
  // A reference of our own: libsoup drops its one with the connection.
  g_autoptr(GSocket) socket = control_socket(msg);
  if (socket) g_object_ref(socket);
  GIOStream *stream = socket ? soup_server_message_steal_connection(msg) : nullptr;
  if (stream) {
    refuse_and_close(stream, static_cast<GSocket *>(g_steal_pointer(&socket)), std::move(text));
    return;
  }
  // Not ours to take (cannot happen with HTTP/1): answer the usual way.
  soup_server_message_set_status(msg, status, nullptr);
}

bool ControlServer::is_health_request(SoupServerMessage *msg) {
  if (g_strcmp0(soup_server_message_get_method(msg), "GET") != 0) return false;
  GUri *uri = soup_server_message_get_uri(msg);
  return uri && g_strcmp0(g_uri_get_path(uri), "/v1/health") == 0;
}

// The connection came in on [control] health-listen: its port, and its
// address unless that listener takes every address.
bool ControlServer::on_health_listener(SoupServerMessage *msg) const {
  if (!settings_.health_listen) return false;
  GSocketAddress *local = soup_server_message_get_local_address(msg);
  if (!local || !G_IS_INET_SOCKET_ADDRESS(local)) return false;
  auto *isa = G_INET_SOCKET_ADDRESS(local);
  if (g_inet_socket_address_get_port(isa) != settings_.health_listen->port) return false;
  const std::string &host = settings_.health_listen->host;
  if (host.empty() || host == "0.0.0.0") return true;
  g_autoptr(GInetAddress) want = g_inet_address_new_from_string(host.c_str());
  return want && g_inet_address_equal(want, g_inet_socket_address_get_address(isa));
}

bool ControlServer::authorized(SoupServerMessage *msg) {
  GSocketAddress *local = soup_server_message_get_local_address(msg);
  if (local && G_IS_UNIX_SOCKET_ADDRESS(local)) return true;  // trusted by socket mode/group
  GTlsCertificate *peer = control_peer_certificate(msg);
  if (peer && client_cert_ok(peer)) return true;
  const char *auth =
      soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "Authorization");
  if (!auth || !g_str_has_prefix(auth, "Basic ") || settings_.users_file.empty()) return false;
  gsize len = 0;
  g_autofree guchar *dec = g_base64_decode(auth + 6, &len);
  std::string cred(reinterpret_cast<char *>(dec), len);
  size_t colon = cred.find(':');
  if (colon == std::string::npos) return false;
  return basic_auth_ok(msg, cred.substr(0, colon), cred.substr(colon + 1));
}

void ControlServer::on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                               gpointer data) {
  auto *self = static_cast<ControlServer *>(data);
  if (soup_server_message_get_status(msg) >= 400) return;  // libsoup's refusal, see on_got_headers
  if (!g_object_get_data(G_OBJECT(msg), "vncgate-authorized")) {  // set in on_got_headers
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "WWW-Authenticate",
                                 "Basic realm=\"vncgate\"");
    respond_error(msg, SOUP_STATUS_UNAUTHORIZED, "authentication required");
    return;
  }
  self->api_.handle(msg, soup_server_message_get_method(msg), path ? path : "/",
                    g_object_get_data(G_OBJECT(msg), "vncgate-anonymous") != nullptr);
}

}  // namespace vncgate
