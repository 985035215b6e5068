// vncgatectl: command-line client of vncgated's control API.
//   vncgatectl [--socket PATH | --url https://HOST:PORT [--auth-user U --password-file F]
//              [--cacert F]] [--json] COMMAND ...
// Exit status: 0 done, 1 the daemon refused, 2 usage, 3 the daemon is unreachable,
// 4 the daemon's reply could not be understood.
#include <gio/gunixsocketaddress.h>
#include <glib.h>
#include <glib/gi18n.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include <clocale>
#include <cstdio>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "control/control_server.h"
#include "text/clean_utf8.h"

namespace {

struct Options {
  std::string socket = "/run/vncgate/control.sock";
  std::string url, user, password_file, cacert, users_file;
  bool json = false;
};

struct Reply {
  unsigned status = 0;
  std::string body;
  std::string transport_error;
};

// A session for the socket or the URL; null with `error` set.
SoupSession *new_session(const Options &o, std::string &base, std::string &error) {
  if (o.url.empty()) {
    g_autoptr(GSocketAddress) addr = g_unix_socket_address_new(o.socket.c_str());
    base = "http://localhost";
    return SOUP_SESSION(g_object_new(SOUP_TYPE_SESSION, "remote-connectable", addr, nullptr));
  }
  base = o.url;
  g_autoptr(SoupSession) session = soup_session_new();
  if (!o.cacert.empty()) {
    g_autoptr(GError) err = nullptr;
    g_autoptr(GTlsDatabase) db = g_tls_file_database_new(o.cacert.c_str(), &err);
    if (!db) {
      error = err->message;
      return nullptr;
    }
    soup_session_set_tls_database(session, db);
  }
  return static_cast<SoupSession *>(g_steal_pointer(&session));
}

// HTTP Basic credentials: --auth-user and the first line of --password-file.
void add_basic_auth(const Options &o, SoupMessage *msg) {
  std::string pw;
  g_autofree gchar *text = nullptr;
  if (!o.password_file.empty() &&
      g_file_get_contents(o.password_file.c_str(), &text, nullptr, nullptr)) {
    pw = text;
    while (!pw.empty() && (pw.back() == '\n' || pw.back() == '\r')) pw.pop_back();
  }
  std::string cred = o.user + ":" + pw;
  g_autofree gchar *b64 =
      g_base64_encode(reinterpret_cast<const guchar *>(cred.data()), cred.size());
  soup_message_headers_replace(soup_message_get_request_headers(msg), "Authorization",
                               (std::string("Basic ") + b64).c_str());
}

Reply request(const Options &o, const char *method, const std::string &path,
              const std::string &body) {
  Reply r;
  std::string base;
  g_autoptr(SoupSession) session = new_session(o, base, r.transport_error);
  if (!session) return r;
  g_autoptr(SoupMessage) msg = soup_message_new(method, (base + path).c_str());
  if (!msg) {
    r.transport_error = "invalid URL " + base + path;
    return r;
  }
  if (!body.empty()) {
    g_autoptr(GBytes) b = g_bytes_new(body.data(), body.size());
    soup_message_set_request_body_from_bytes(msg, "application/json", b);
  }
  if (!o.user.empty()) add_basic_auth(o, msg);
  g_autoptr(GError) err = nullptr;
  g_autoptr(GBytes) reply = soup_session_send_and_read(session, msg, nullptr, &err);
  if (!reply) {
    r.transport_error = err->message;
    return r;
  }
  r.status = soup_message_get_status(msg);
  gsize n = 0;
  const char *d = static_cast<const char *>(g_bytes_get_data(reply, &n));
  r.body.assign(d ? d : "", n);
  return r;
}

JsonNode *parse(const std::string &text) {
  g_autoptr(JsonParser) p = json_parser_new();
  if (json_parser_load_from_data(p, text.c_str(), static_cast<gssize>(text.size()), nullptr) &&
      json_parser_get_root(p))
    return json_node_copy(json_parser_get_root(p));
  return nullptr;
}

// For the terminal: what the daemon relays came from clients (user names)
// and may hold control characters (an escape sequence would rewrite the
// screen) or, from an older daemon, bytes that are not UTF-8.
std::string printable(const std::string &text) {
  std::string in = vncgate::clean_utf8(text), out;
  for (size_t i = 0; i < in.size();) {
    uint32_t cp = 0;
    size_t len = vncgate::utf8_sequence_length(std::string_view(in).substr(i), cp);
    if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\x%02x", static_cast<unsigned>(cp));
      out += buf;
    } else {
      out.append(in, i, len);
    }
    i += len;
  }
  return out;
}

// A reply that is not what the API promises (not JSON, or JSON of another
// shape): say so, never print half a table and succeed.
int unreadable_reply(const Reply &r) {
  std::fprintf(stderr,
               _("vncgatectl: cannot understand the reply of vncgated (HTTP %u, %zu bytes)\n"),
               r.status, r.body.size());
  return 4;
}

std::string field(JsonObject *o, const char *name) {
  if (!json_object_has_member(o, name)) return "";
  JsonNode *n = json_object_get_member(o, name);
  if (JSON_NODE_HOLDS_NULL(n)) return "-";
  if (json_node_get_value_type(n) == G_TYPE_STRING) return printable(json_node_get_string(n));
  if (json_node_get_value_type(n) == G_TYPE_INT64) return std::to_string(json_node_get_int(n));
  if (json_node_get_value_type(n) == G_TYPE_BOOLEAN) return json_node_get_boolean(n) ? "yes" : "no";
  return "?";
}

void print_table(JsonNode *root, const std::vector<std::pair<const char *, const char *>> &cols) {
  if (!root || !JSON_NODE_HOLDS_ARRAY(root)) return;
  JsonArray *a = json_node_get_array(root);
  std::vector<std::vector<std::string>> rows;
  std::vector<size_t> width;
  std::vector<std::string> head;
  for (const auto &[key, title] : cols) {
    head.emplace_back(title);
    width.push_back(head.back().size());
  }
  for (guint i = 0; i < json_array_get_length(a); ++i) {
    JsonObject *o = json_array_get_object_element(a, i);
    std::vector<std::string> row;
    for (size_t c = 0; c < cols.size(); ++c) {
      row.push_back(o ? field(o, cols[c].first) : "");
      if (row.back().empty()) row.back() = "-";
      width[c] = std::max(width[c], g_utf8_strlen(row.back().c_str(), -1) + size_t{0});
    }
    rows.push_back(std::move(row));
  }
  auto line = [&](const std::vector<std::string> &r) {
    std::string s;
    for (size_t c = 0; c < r.size(); ++c) {
      s += r[c];
      if (c + 1 < r.size())
        s += std::string(width[c] - static_cast<size_t>(g_utf8_strlen(r[c].c_str(), -1)) + 2, ' ');
    }
    std::printf("%s\n", s.c_str());
  };
  line(head);
  for (const auto &r : rows) line(r);
}

int usage() {
  std::fprintf(stderr, "%s",
               _("usage: vncgatectl [OPTIONS] COMMAND\n"
                 "commands:\n"
                 "  link CONSOLE [--user USER] [--ttl SECONDS] [--reusable]   mint a console link\n"
                 "       [--web]                                              a web link (needs "
                 "--user)\n"
                 "  consoles                                                  list consoles\n"
                 "  sessions                                                  list sessions\n"
                 "  kill SESSION-ID [--node NODE]                             end a session\n"
                 "  revoke TOKEN-ID                                           revoke a link and "
                 "end its sessions\n"
                 "  passwd USER --users-file FILE                             set a control API "
                 "password (read from stdin)\n"
                 "  lockouts                                                  list sources and "
                 "users limited after failed logins\n"
                 "  unlock KEY                                                lift one of them "
                 "(KEY as listed)\n"
                 "  drain                                                     refuse new clients, "
                 "keep running sessions\n"
                 "  undrain                                                   accept new clients "
                 "again\n"
                 "options:\n"
                 "  --socket PATH        control socket (default /run/vncgate/control.sock)\n"
                 "  --url https://H:P    the TCP control API instead of the socket\n"
                 "  --auth-user U --password-file F   HTTP Basic credentials for --url\n"
                 "  --cacert FILE        CA for --url\n"
                 "  --json               print the daemon's JSON\n"));
  return 2;
}

int finish(const Options &o, const Reply &r,
           const std::vector<std::pair<const char *, const char *>> &cols, const char *what) {
  if (!r.transport_error.empty()) {
    std::fprintf(stderr, _("vncgatectl: cannot reach vncgated (%s): %s\n"),
                 o.url.empty() ? o.socket.c_str() : o.url.c_str(), r.transport_error.c_str());
    return 3;
  }
  g_autoptr(JsonNode) root = parse(r.body);
  if (r.status >= 300) {
    std::string err = r.body;
    if (root && JSON_NODE_HOLDS_OBJECT(root)) err = field(json_node_get_object(root), "error");
    err = printable(err);
    if (r.status == 401 || r.status == 403)
      std::fprintf(stderr, _("vncgatectl: access denied: %s\n"), err.c_str());
    else
      std::fprintf(stderr, "vncgatectl: %s (HTTP %u)\n", err.c_str(), r.status);
    return 1;
  }
  // A body must be JSON (a table: an array of objects); 204 has none.
  bool readable =
      r.body.empty() ? cols.empty() : root && (cols.empty() || JSON_NODE_HOLDS_ARRAY(root));
  if (readable && !cols.empty()) {
    JsonArray *a = json_node_get_array(root);
    for (guint i = 0; readable && i < json_array_get_length(a); ++i)
      readable = JSON_NODE_HOLDS_OBJECT(json_array_get_element(a, i));
  }
  if (!readable || (!r.body.empty() &&
                    !g_utf8_validate(r.body.data(), static_cast<gssize>(r.body.size()), nullptr)))
    return unreadable_reply(r);
  if (o.json || cols.empty()) {
    if (!r.body.empty())
      std::printf("%s\n", r.body.c_str());
    else if (what)
      std::printf("%s\n", what);
  } else {
    print_table(root, cols);
  }
  return 0;
}

// Password-guessing limits (GET/DELETE /v1/lockouts).
int lockouts(const Options &o) {
  return finish(o, request(o, "GET", "/v1/lockouts", ""),
                {{"key", "KEY"},
                 {"kind", "KIND"},
                 {"failures", "FAILURES"},
                 {"lockouts", "LOCKOUTS"},
                 {"until", "UNTIL"}},
                nullptr);
}

int unlock(const Options &o, const std::string &key) {
  // A key may hold '/' (an IPv6 /64) or anything a user name holds.
  g_autofree gchar *escaped = g_uri_escape_string(key.c_str(), nullptr, FALSE);
  std::string path = std::string("/v1/lockouts/") + escaped;
  return finish(o, request(o, "DELETE", path, ""), {}, _("unlocked"));
}

// drain / undrain (PUT / DELETE /v1/drain): says how many sessions still run.
int drain(const Options &o, bool on) {
  Reply r = request(o, on ? "PUT" : "DELETE", "/v1/drain", "");
  if (o.json || r.status >= 300 || !r.transport_error.empty()) return finish(o, r, {}, nullptr);
  g_autoptr(JsonNode) n = parse(r.body);
  JsonObject *obj = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
  const std::string sessions = obj ? field(obj, "sessions") : "";
  if (sessions.empty() || sessions == "?") return unreadable_reply(r);
  if (on)
    std::printf(_("draining: new clients are refused, %s sessions still running\n"),
                sessions.c_str());
  else
    std::printf(_("accepting new clients, %s sessions running\n"), sessions.c_str());
  return 0;
}

// Reads the options before the command (and --json, --users-file after
// it) into `o` and the command's words into `args`; an exit status when
// there is nothing more to do.
std::optional<int> parse_options(int argc, char **argv, Options &o,
                                 std::vector<std::string> &args) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (!args.empty() && a != "--json" && a != "--users-file") {  // the command's own arguments
      args.push_back(a);
      continue;
    }
    auto value = [&](std::string &out) {
      if (i + 1 >= argc) return false;
      out = argv[++i];
      return true;
    };
    bool ok = true;
    if (a == "--socket")
      ok = value(o.socket);
    else if (a == "--url")
      ok = value(o.url);
    else if (a == "--auth-user")
      ok = value(o.user);
    else if (a == "--password-file")
      ok = value(o.password_file);
    else if (a == "--cacert")
      ok = value(o.cacert);
    else if (a == "--users-file")
      ok = value(o.users_file);
    else if (a == "--json")
      o.json = true;
    else if (a == "--help" || a == "-h") {
      usage();
      return 0;
    } else if (a == "--version") {
      std::printf("vncgatectl %s\n", VNCGATE_VERSION);
      return 0;
    } else
      args.push_back(a);
    if (!ok) return usage();
  }
  return std::nullopt;
}

// link CONSOLE [--user USER] [--ttl SECONDS] [--reusable] [--web]
int mint_link(const Options &o, const std::vector<std::string> &args) {
  std::string user;
  long ttl = 300;
  bool reusable = false, web = false;
  for (size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--reusable")
      reusable = true;
    else if (args[i] == "--web")
      web = true;
    else if (args[i].rfind("--user=", 0) == 0)
      user = args[i].substr(7);
    else if (args[i] == "--user" && i + 1 < args.size())
      user = args[++i];
    else if (args[i].rfind("--ttl=", 0) == 0)
      ttl = std::strtol(args[i].c_str() + 6, nullptr, 10);
    else if (args[i] == "--ttl" && i + 1 < args.size())
      ttl = std::strtol(args[++i].c_str(), nullptr, 10);
    else
      return usage();
  }
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  if (!user.empty()) {
    json_builder_set_member_name(b, "user");
    json_builder_add_string_value(b, user.c_str());
  }
  json_builder_set_member_name(b, "ttl");
  json_builder_add_int_value(b, ttl);
  json_builder_set_member_name(b, "one_time");
  json_builder_add_boolean_value(b, !reusable);
  if (web) {
    json_builder_set_member_name(b, "kind");
    json_builder_add_string_value(b, "web");
  }
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree gchar *body = json_to_string(root, FALSE);
  Reply r = request(o, "POST", "/v1/consoles/" + args[1] + "/links", body);
  if (o.json || r.status >= 300 || !r.transport_error.empty()) return finish(o, r, {}, nullptr);
  g_autoptr(JsonNode) n = parse(r.body);
  JsonObject *obj = n && JSON_NODE_HOLDS_OBJECT(n) ? json_node_get_object(n) : nullptr;
  std::string url = obj ? field(obj, "url") : "";
  // A web link is http:// only for a loopback web front without TLS.
  const bool expected = web ? url.starts_with("https://") || url.starts_with("http://")
                            : url.starts_with("vncgate://");
  if (!expected) return unreadable_reply(r);
  std::printf("%s\n", url.c_str());
  std::fprintf(stderr, _("token %s, valid until %s\n"), field(obj, "token_id").c_str(),
               field(obj, "expires_at").c_str());
  return 0;
}

// passwd USER --users-file FILE: the password is read from standard input.
int passwd(const Options &o, const std::string &user) {
  if (o.users_file.empty()) {
    std::fprintf(stderr, "%s", _("vncgatectl: passwd needs --users-file FILE\n"));
    return 2;
  }
  std::string pw;
  if (!std::getline(std::cin, pw) || pw.empty()) {
    std::fprintf(stderr, "%s", _("vncgatectl: no password on standard input\n"));
    return 2;
  }
  std::string error;
  if (!vncgate::users_file_set(o.users_file, user, pw, error)) {
    std::fprintf(stderr, "vncgatectl: %s\n", error.c_str());
    return 1;
  }
  return 0;
}

}  // namespace

int main(int argc, char **argv) {
  std::setlocale(LC_ALL, "");
  // VNCGATE_LOCALEDIR: other catalogs than the installed ones (the build
  // tree's, for the i18n tests).
  const char *localedir = g_getenv("VNCGATE_LOCALEDIR");
  bindtextdomain(GETTEXT_PACKAGE, localedir && *localedir ? localedir : LOCALEDIR);
  textdomain(GETTEXT_PACKAGE);
  Options o;
  std::vector<std::string> args;
  if (auto status = parse_options(argc, argv, o, args)) return *status;
  if (args.empty()) return usage();
  const std::string &cmd = args[0];
  if (cmd == "consoles" && args.size() == 1) {
    return finish(o, request(o, "GET", "/v1/consoles", ""),
                  {{"name", "CONSOLE"},
                   {"kind", "KIND"},
                   {"state", "STATE"},
                   {"sessions", "SESSIONS"},
                   {"idle_deadline", "IDLE CLOSE AT"}},
                  nullptr);
  }
  if (cmd == "sessions" && args.size() == 1) {
    return finish(o, request(o, "GET", "/v1/sessions", ""),
                  {{"id", "ID"},
                   {"client", "CLIENT"},
                   {"console", "CONSOLE"},
                   {"user", "USER"},
                   {"mechanism", "MECHANISM"},
                   {"state", "STATE"},
                   {"started_at", "STARTED"},
                   {"node", "NODE"}},
                  nullptr);
  }
  if (cmd == "kill" && args.size() == 2)
    return finish(o, request(o, "DELETE", "/v1/sessions/" + args[1], ""), {}, _("session ended"));
  if (cmd == "kill" && args.size() == 4 && args[2] == "--node") {  // [cluster]: another node's
    g_autofree gchar *node = g_uri_escape_string(args[3].c_str(), nullptr, FALSE);
    return finish(o, request(o, "DELETE", "/v1/sessions/" + args[1] + "?node=" + node, ""), {},
                  _("session ended"));
  }
  if (cmd == "revoke" && args.size() == 2)
    return finish(o, request(o, "DELETE", "/v1/tokens/" + args[1], ""), {}, nullptr);
  if (cmd == "lockouts" && args.size() == 1) return lockouts(o);
  if (cmd == "unlock" && args.size() == 2) return unlock(o, args[1]);
  if ((cmd == "drain" || cmd == "undrain") && args.size() == 1) return drain(o, cmd == "drain");
  if (cmd == "link" && args.size() >= 2) return mint_link(o, args);
  if (cmd == "passwd" && args.size() == 2) return passwd(o, args[1]);
  return usage();
}
