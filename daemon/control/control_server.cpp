#include "control/control_server.h"

#include <gio/gunixsocketaddress.h>
#include <grp.h>
#include <json-glib/json-glib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstring>
#include <sstream>

#include "control/json_reply.h"
#include "logging.h"
#include "rfb/http_connect.h"
#include "text/clean_utf8.h"

namespace vncgate {
namespace {

constexpr size_t kMaxBody = 64 * 1024;

// Parses a JSON object body; null (and a response sent) on failure.
JsonObject *parse_body(SoupServerMessage *msg, JsonParser *parser) {
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  if (body->length > static_cast<goffset>(kMaxBody)) {
    respond_error(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "request body larger than 64 KiB");
    return nullptr;
  }
  GError *err = nullptr;
  if (body->length == 0 ||
      !json_parser_load_from_data(parser, body->data, static_cast<gssize>(body->length), &err)) {
    respond_error(msg, SOUP_STATUS_BAD_REQUEST,
                  std::string("malformed JSON: ") + (err ? err->message : "empty body"));
    if (err) g_error_free(err);
    return nullptr;
  }
  JsonNode *root = json_parser_get_root(parser);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) {
    respond_error(msg, SOUP_STATUS_BAD_REQUEST, "expected a JSON object");
    return nullptr;
  }
  return json_node_get_object(root);
}

bool member_string(JsonObject *o, const char *name, std::string &out, std::string &error) {
  if (!json_object_has_member(o, name)) return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_STRING) {
    error = std::string("'") + name + "' must be a string";
    return false;
  }
  out = json_node_get_string(n);
  return true;
}

bool member_int(JsonObject *o, const char *name, int64_t &out, std::string &error) {
  if (!json_object_has_member(o, name)) return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_INT64) {
    error = std::string("'") + name + "' must be an integer";
    return false;
  }
  out = json_node_get_int(n);
  return true;
}

bool member_bool(JsonObject *o, const char *name, bool &out, std::string &error) {
  if (!json_object_has_member(o, name)) return true;
  JsonNode *n = json_object_get_member(o, name);
  if (!JSON_NODE_HOLDS_VALUE(n) || json_node_get_value_type(n) != G_TYPE_BOOLEAN) {
    error = std::string("'") + name + "' must be true or false";
    return false;
  }
  out = json_node_get_boolean(n);
  return true;
}

std::vector<std::string> split_path(const std::string &path) {
  std::vector<std::string> parts;
  gchar **v = g_strsplit(path.c_str(), "/", -1);
  for (gchar **p = v; *p; ++p) {
    if (**p) parts.emplace_back(*p);
  }
  g_strfreev(v);
  return parts;
}

// A bound and listening socket for `addr`; null with `error` set on failure.
GSocket *listen_on(GSocketAddress *addr, GError **err) {
  GSocket *sock = g_socket_new(g_socket_address_get_family(addr), G_SOCKET_TYPE_STREAM,
                               G_SOCKET_PROTOCOL_DEFAULT, err);
  if (!sock) return nullptr;
  g_socket_set_listen_backlog(sock, SOMAXCONN);
  if (!g_socket_bind(sock, addr, TRUE, err) || !g_socket_listen(sock, err)) {
    g_object_unref(sock);
    return nullptr;
  }
  return sock;
}

}  // namespace

std::unique_ptr<ControlServer> ControlServer::start(ControlHost &host, const ControlSettings &s,
                                                    std::string &error) {
  std::unique_ptr<ControlServer> cs(new ControlServer(host, s));
  GError *err = nullptr;
  if (s.listen) {
    if (s.cert.empty() || s.key.empty()) {
      error = "[control] listen needs cert and key (the TCP control API is TLS only)";
      return nullptr;
    }
    cs->cert_ = g_tls_certificate_new_from_files(s.cert.c_str(), s.key.c_str(), &err);
    if (!cs->cert_) {
      error = std::string("[control] cert/key: ") + err->message;
      g_error_free(err);
      return nullptr;
    }
  }
  // TLS is done by ControlListener, not by libsoup (see control_listener.h).
  cs->server_ = SOUP_SERVER(g_object_new(SOUP_TYPE_SERVER, "server-header", "vncgated", nullptr));
  if (s.listen && !s.ca.empty()) {
    GTlsDatabase *db = g_tls_file_database_new(s.ca.c_str(), &err);
    if (!db) {
      error = std::string("[control] ca: ") + err->message;
      g_error_free(err);
      return nullptr;
    }
    cs->client_ca_ = db;  // owned
  }
  soup_server_add_handler(cs->server_, nullptr, &ControlServer::on_request, cs.get(), nullptr);
  g_signal_connect(cs->server_, "request-started", G_CALLBACK(&ControlServer::on_request_started),
                   cs.get());

  if (!s.socket_path.empty()) {
    gchar *dir = g_path_get_dirname(s.socket_path.c_str());
    g_mkdir_with_parents(dir, 0750);
    g_free(dir);
    unlink(s.socket_path.c_str());  // a stale socket from a previous run
    GSocketAddress *addr = g_unix_socket_address_new(s.socket_path.c_str());
    GSocket *sock = listen_on(addr, &err);
    g_object_unref(addr);
    if (!sock) {
      error = "control socket " + s.socket_path + ": " + (err ? err->message : "failed");
      if (err) g_error_free(err);
      return nullptr;
    }
    chmod(s.socket_path.c_str(), 0660);
    if (!s.socket_group.empty()) {
      struct group *gr = getgrnam(s.socket_group.c_str());
      if (!gr || chown(s.socket_path.c_str(), static_cast<uid_t>(-1), gr->gr_gid) != 0)
        log_warning("[control] group " + s.socket_group + ": cannot give the socket to it");
    }
    cs->listeners_.push_back(std::make_unique<ControlListener>(
        cs->server_, sock, ControlListener::Tls{}, s.socket_path));
    g_object_unref(sock);
  }
  if (s.listen) {
    GInetAddress *ia =
        g_inet_address_new_from_string(s.listen->host.empty() ? "0.0.0.0" : s.listen->host.c_str());
    if (!ia) {
      error = "control listener " + s.listen->to_string() + ": not an IP address";
      return nullptr;
    }
    GSocketAddress *addr = g_inet_socket_address_new(ia, s.listen->port);
    g_object_unref(ia);
    GSocket *sock = listen_on(addr, &err);
    g_object_unref(addr);
    if (!sock) {
      error = "control listener " + s.listen->to_string() + ": " + err->message;
      g_error_free(err);
      return nullptr;
    }
    ControlServer *self = cs.get();
    ControlListener::Tls tls{cs->cert_, cs->client_ca_,
                             [self](GTlsCertificate *c) { return self->client_cert_ok(c); }};
    cs->listeners_.push_back(std::make_unique<ControlListener>(cs->server_, sock, std::move(tls),
                                                               s.listen->to_string()));
    g_object_unref(sock);
  }
  return cs;
}

ControlServer::~ControlServer() {
  listeners_.clear();  // they hand connections to server_
  if (server_) {
    soup_server_disconnect(server_);
    g_object_unref(server_);
  }
  if (client_ca_) g_object_unref(client_ca_);
  if (cert_) g_object_unref(cert_);
  if (!settings_.socket_path.empty()) unlink(settings_.socket_path.c_str());
}

bool ControlServer::client_cert_ok(GTlsCertificate *cert) const {
  if (!cert || !client_ca_) return false;
  // GIO checks a peer certificate as if it named a server; for a client
  // only the chain to our CA (and its validity) matters.
  GTlsCertificateFlags flags =
      g_tls_database_verify_chain(client_ca_, cert, G_TLS_DATABASE_PURPOSE_AUTHENTICATE_CLIENT,
                                  nullptr, nullptr, G_TLS_DATABASE_VERIFY_NONE, nullptr, nullptr);
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
  if (!authorized(msg)) {
    if (soup_server_message_get_status(msg) == kHttpTooManyRequests) {
      // The password-guessing limits answered (control_limits.cpp): their
      // answer and its Retry-After go out the early way too.
      GBytes *b = soup_message_body_flatten(soup_server_message_get_response_body(msg));
      gsize n = 0;
      const char *d = static_cast<const char *>(g_bytes_get_data(b, &n));
      std::string body(d ? d : "", n);
      g_bytes_unref(b);
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
  JsonBuilder *b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "error");
  json_builder_add_string_value(b, error);
  json_builder_end_object(b);
  JsonNode *root = json_builder_get_root(b);
  gchar *body = json_to_string(root, FALSE);
  json_node_unref(root);
  g_object_unref(b);
  send_early(msg, status, body, extra_headers);
  g_free(body);
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
  GSocket *socket = control_socket(msg);
  if (socket) g_object_ref(socket);  // libsoup drops its own with the connection
  GIOStream *stream = socket ? soup_server_message_steal_connection(msg) : nullptr;
  if (stream) {
    refuse_and_close(stream, socket, std::move(text));
    return;
  }
  if (socket) g_object_unref(socket);
  // Not ours to take (cannot happen with HTTP/1): answer the usual way.
  soup_server_message_set_status(msg, status, nullptr);
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
  guchar *dec = g_base64_decode(auth + 6, &len);
  std::string cred(reinterpret_cast<char *>(dec), len);
  g_free(dec);
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
  self->handle(msg, soup_server_message_get_method(msg), path ? path : "/");
}

void ControlServer::handle(SoupServerMessage *msg, const std::string &method,
                           const std::string &path) {
  auto parts = split_path(path);
  auto cfg = host_.config();
  if (path == "/metrics" && method == "GET") {
    std::string text = host_.metrics_text();
    soup_server_message_set_status(msg, SOUP_STATUS_OK, nullptr);
    soup_server_message_set_response(msg, "text/plain; version=0.0.4", SOUP_MEMORY_COPY,
                                     text.data(), text.size());
    return;
  }
  if (path == "/v1/lockouts" || path.starts_with("/v1/lockouts/"))
    return handle_lockouts(msg, method, path);
  if (parts.empty() || parts[0] != "v1")
    return respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
  auto not_allowed = [&] {
    respond_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
  };

  if (parts.size() == 2 && parts[1] == "health") {
    if (method != "GET") return not_allowed();
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "status");
    json_builder_add_string_value(b, "ok");
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, VNCGATE_VERSION);
    json_builder_set_member_name(b, "sessions");
    json_builder_add_int_value(b, static_cast<gint64>(host_.session_list().size()));
    json_builder_end_object(b);
    respond_json(msg, SOUP_STATUS_OK, json_builder_get_root(b));
    g_object_unref(b);
    return;
  }

  if (parts.size() >= 2 && parts[1] == "consoles") {
    if (parts.size() == 2) {
      if (method != "GET") return not_allowed();
      JsonBuilder *b = json_builder_new();
      json_builder_begin_array(b);
      for (const auto &c : host_.console_list()) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "name");
        json_builder_add_string_value(b, c.name.c_str());
        json_builder_set_member_name(b, "kind");
        json_builder_add_string_value(b, c.kind.c_str());
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, c.state.c_str());
        json_builder_set_member_name(b, "sessions");
        json_builder_add_int_value(b, static_cast<gint64>(c.sessions));
        json_builder_set_member_name(b, "idle_deadline");
        if (c.idle_deadline)
          json_builder_add_string_value(b, iso8601_utc(c.idle_deadline).c_str());
        else
          json_builder_add_null_value(b);
        json_builder_set_member_name(b, "runtime");
        json_builder_add_boolean_value(b, c.runtime);
        json_builder_end_object(b);
      }
      json_builder_end_array(b);
      respond_json(msg, SOUP_STATUS_OK, json_builder_get_root(b));
      g_object_unref(b);
      return;
    }
    const std::string &name = parts[2];
    if (!is_valid_console_name(name))
      return respond_error(msg, SOUP_STATUS_BAD_REQUEST, "invalid console name");
    if (parts.size() == 4 && parts[3] == "links") {
      if (method != "POST") return not_allowed();
      if (!cfg->consoles.count(name))
        return respond_error(msg, SOUP_STATUS_NOT_FOUND, "unknown console " + name);
      JsonParser *parser = json_parser_new();
      JsonObject *o = parse_body(msg, parser);
      if (!o) return g_object_unref(parser);
      std::string user, error;
      int64_t ttl = 300;
      bool one_time = true;
      bool ok = member_string(o, "user", user, error) && member_int(o, "ttl", ttl, error) &&
                member_bool(o, "one_time", one_time, error);
      g_object_unref(parser);
      if (ok && (ttl < 1 || ttl > 7 * 24 * 3600)) {
        error = "'ttl' must be from 1 to 604800 seconds";
        ok = false;
      }
      if (ok && (user.size() > 256 || user.find_first_of(" \t\r\n") != std::string::npos)) {
        error = "'user' is not a valid user name";
        ok = false;
      }
      if (!ok) return respond_error(msg, SOUP_STATUS_BAD_REQUEST, error);
      auto minted = host_.tokens().mint(name, user, ttl, one_time, g_get_real_time() / 1000000);
      if (!host_.tokens_changed()) {
        // A link the daemon forgets on restart (or a one-time link it cannot
        // mark used) must not exist: no link, and the caller can retry.
        host_.tokens().forget(minted.record.id);
        log_error("control: no link minted for console " + name +
                  ": the token could not be saved in the state directory");
        return respond_error(
            msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
            "the link could not be saved in the state directory; no link was made");
      }
      std::string h = settings_.public_host;
      if (h.find(':') != std::string::npos) h = "[" + h + "]";
      std::string url = "vncgate://" + h + ":" + std::to_string(settings_.public_port) +
                        "/console/" + name + "?token=" + minted.secret;
      log_info("control: minted link token " + minted.record.id + " for console " + name +
               (user.empty() ? "" : " bound to user " + log_safe(user)) + ", ttl " +
               std::to_string(ttl) + " s" + (one_time ? ", one-time" : ""));
      JsonBuilder *b = json_builder_new();
      json_builder_begin_object(b);
      json_builder_set_member_name(b, "url");
      json_builder_add_string_value(b, url.c_str());
      json_builder_set_member_name(b, "token_id");
      json_builder_add_string_value(b, minted.record.id.c_str());
      json_builder_set_member_name(b, "expires_at");
      json_builder_add_string_value(b, iso8601_utc(minted.record.expires_at).c_str());
      json_builder_end_object(b);
      respond_json(msg, SOUP_STATUS_CREATED, json_builder_get_root(b));
      g_object_unref(b);
      return;
    }
    if (parts.size() != 3) return respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
    if (method == "DELETE") {
      std::string error;
      int status = host_.delete_console(name, error);
      if (status >= 300) return respond_error(msg, static_cast<unsigned>(status), error);
      soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
      return;
    }
    if (method != "PUT") return not_allowed();
    JsonParser *parser = json_parser_new();
    JsonObject *o = parse_body(msg, parser);
    if (!o) return g_object_unref(parser);
    ConsoleConfig con;
    con.name = name;
    std::string error, backend;
    int64_t lpar = -1;
    bool ok = member_int(o, "lpar_id", lpar, error) &&
              member_string(o, "backend", backend, error) &&
              member_bool(o, "force", con.force, error);
    if (ok && json_object_has_member(o, "allowed_users")) {
      JsonNode *n = json_object_get_member(o, "allowed_users");
      if (!JSON_NODE_HOLDS_ARRAY(n)) {
        error = "'allowed_users' must be an array of strings";
        ok = false;
      } else {
        JsonArray *a = json_node_get_array(n);
        for (guint i = 0; ok && i < json_array_get_length(a); ++i) {
          JsonNode *e = json_array_get_element(a, i);
          if (!JSON_NODE_HOLDS_VALUE(e) || json_node_get_value_type(e) != G_TYPE_STRING) {
            error = "'allowed_users' must be an array of strings";
            ok = false;
          } else {
            con.allowed_users.emplace_back(json_node_get_string(e));
          }
        }
      }
    }
    g_object_unref(parser);
    if (ok && (lpar >= 0) == !backend.empty()) {
      error = "give exactly one of 'lpar_id' and 'backend'";
      ok = false;
    }
    if (ok && lpar >= 0) {
      if (lpar > INT32_MAX) {
        error = "'lpar_id' out of range";
        ok = false;
      } else {
        con.lpar_id = static_cast<int>(lpar);
      }
    }
    if (ok && !backend.empty()) {
      std::string why;
      con.backend = parse_host_port(backend, true, why);
      if (!con.backend) {
        error = "'backend': " + why;
        ok = false;
      }
    }
    if (!ok) return respond_error(msg, SOUP_STATUS_BAD_REQUEST, error);
    int status = host_.put_console(con, error);
    if (status >= 300) return respond_error(msg, static_cast<unsigned>(status), error);
    soup_server_message_set_status(msg, static_cast<unsigned>(status), nullptr);
    soup_server_message_set_response(msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
    return;
  }

  if (parts.size() >= 2 && parts[1] == "sessions") {
    if (parts.size() == 2) {
      if (method != "GET") return not_allowed();
      JsonBuilder *b = json_builder_new();
      json_builder_begin_array(b);
      for (const auto &s : host_.session_list()) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "id");
        json_builder_add_string_value(b, std::to_string(s.id).c_str());
        json_builder_set_member_name(b, "client");
        json_builder_add_string_value(b, s.client.c_str());
        json_builder_set_member_name(b, "console");
        json_builder_add_string_value(b, s.console.c_str());
        json_builder_set_member_name(b, "user");
        json_builder_add_string_value(b, s.user.c_str());
        json_builder_set_member_name(b, "mechanism");
        json_builder_add_string_value(b, s.mechanism.c_str());
        json_builder_set_member_name(b, "state");
        json_builder_add_string_value(b, s.state.c_str());
        json_builder_set_member_name(b, "token_id");
        json_builder_add_string_value(b, s.token_id.c_str());
        json_builder_set_member_name(b, "started_at");
        json_builder_add_string_value(b, iso8601_utc(s.started_at).c_str());
        json_builder_set_member_name(b, "bytes_to_client");
        json_builder_add_int_value(b, static_cast<gint64>(s.bytes_to_client));
        json_builder_set_member_name(b, "bytes_from_client");
        json_builder_add_int_value(b, static_cast<gint64>(s.bytes_from_client));
        json_builder_end_object(b);
      }
      json_builder_end_array(b);
      respond_json(msg, SOUP_STATUS_OK, json_builder_get_root(b));
      g_object_unref(b);
      return;
    }
    if (parts.size() != 3) return respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
    if (method != "DELETE") return not_allowed();
    char *end = nullptr;
    unsigned long long id = g_ascii_strtoull(parts[2].c_str(), &end, 10);
    if (!end || *end || parts[2].empty())
      return respond_error(msg, SOUP_STATUS_BAD_REQUEST, "invalid session id");
    if (!host_.end_session(id, "ended by operator"))
      return respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such session");
    soup_server_message_set_status(msg, SOUP_STATUS_NO_CONTENT, nullptr);
    return;
  }

  if (parts.size() == 3 && parts[1] == "tokens") {
    if (method != "DELETE") return not_allowed();
    if (!host_.tokens().revoke(parts[2]))
      return respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such token");
    bool saved = host_.tokens_changed();
    size_t ended = host_.end_token_sessions(parts[2], "token revoked");
    if (!saved) {
      // Revoked in this run (and its sessions ended), but a restart would
      // bring it back: the caller must know.
      log_error("control: revoked token " + log_safe(parts[2]) + " until the next restart only: " +
                "the revocation could not be saved in the state directory");
      return respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "revoked until the daemon restarts: the revocation could not be saved "
                           "in the state directory");
    }
    log_info("control: revoked token " + log_safe(parts[2]) + ", ended " + std::to_string(ended) +
             " sessions");
    JsonBuilder *b = json_builder_new();
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "revoked");
    json_builder_add_string_value(b, parts[2].c_str());
    json_builder_set_member_name(b, "sessions_ended");
    json_builder_add_int_value(b, static_cast<gint64>(ended));
    json_builder_end_object(b);
    respond_json(msg, SOUP_STATUS_OK, json_builder_get_root(b));
    g_object_unref(b);
    return;
  }
  respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
}

}  // namespace vncgate
