#include "control/control_api.h"

#include <json-glib/json-glib.h>

#include <memory>
#include <string_view>

#include "control/deferred_reply.h"
#include "control/json_reply.h"
#include "logging.h"
#include "rfb/http_connect.h"

namespace vncgate {

const ControlApi::Route ControlApi::kRoutes[] = {
    {"GET", "/metrics", &ControlApi::get_metrics},
    {"GET", "/v1/health", &ControlApi::get_health},
    {"PUT", "/v1/drain", &ControlApi::put_drain},
    {"DELETE", "/v1/drain", &ControlApi::delete_drain},
    {"GET", "/v1/consoles", &ControlApi::get_consoles},
    {"PUT", "/v1/consoles/{console}", &ControlApi::put_console},
    {"DELETE", "/v1/consoles/{console}", &ControlApi::delete_console},
    {"POST", "/v1/consoles/{console}/links", &ControlApi::post_link},
    {"GET", "/v1/sessions", &ControlApi::get_sessions},
    {"DELETE", "/v1/sessions/{id}", &ControlApi::delete_session},
    {"DELETE", "/v1/tokens/{id}", &ControlApi::delete_token},
    {"GET", "/v1/lockouts", &ControlApi::get_lockouts},
    {"DELETE", "/v1/lockouts/{key...}", &ControlApi::delete_lockout},
};

namespace {

struct Segment {
  std::string_view text;
  size_t offset;  // in the path it was cut from
};

// The non-empty '/'-separated segments of `path` ("//v1/health/" has two).
std::vector<Segment> segments(std::string_view path) {
  std::vector<Segment> out;
  size_t i = 0;
  while (i < path.size()) {
    size_t end = path.find('/', i);
    if (end == std::string_view::npos) end = path.size();
    if (end > i) out.push_back({path.substr(i, end - i), i});
    i = end + 1;
  }
  return out;
}

// Matches `path` against a route pattern, collecting the {captures}.
bool match(std::string_view pattern, std::string_view path, std::vector<std::string> &args) {
  auto want = segments(pattern);
  auto have = segments(path);
  args.clear();
  for (size_t i = 0; i < want.size(); ++i) {
    std::string_view w = want[i].text;
    if (i >= have.size()) return false;
    if (w.ends_with("...}")) {
      args.emplace_back(path.substr(have[i].offset));
      return true;
    }
    if (w.starts_with('{')) {
      args.emplace_back(have[i].text);
    } else if (w != have[i].text) {
      return false;
    }
  }
  return want.size() == have.size();
}

// A pattern's {console} argument that is not a console name.
bool bad_console_arg(std::string_view pattern, const std::vector<std::string> &args) {
  size_t arg = 0;
  for (const auto &seg : segments(pattern)) {
    if (!seg.text.starts_with('{')) continue;
    if (seg.text == "{console}" && !is_valid_console_name(args[arg])) return true;
    ++arg;
  }
  return false;
}

}  // namespace

void ControlApi::handle(SoupServerMessage *msg, const std::string &method, const std::string &path,
                        bool anonymous) {
  bool path_known = false;
  std::vector<std::string> args;
  for (const auto &route : kRoutes) {
    if (!match(route.pattern, path, args)) continue;
    // The name is checked before the method, as for any request naming a console.
    if (bad_console_arg(route.pattern, args))
      return respond_error(msg, SOUP_STATUS_BAD_REQUEST, "invalid console name");
    path_known = true;
    if (method == route.method)
      return (this->*route.handler)(Request{msg, std::move(args), anonymous});
  }
  if (path_known) return respond_error(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method not allowed");
  respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such endpoint");
}

void ControlApi::get_metrics(const Request &r) {
  std::string text = host_.metrics_text();
  soup_server_message_set_status(r.msg, SOUP_STATUS_OK, nullptr);
  soup_server_message_set_response(r.msg, "text/plain; version=0.0.4", SOUP_MEMORY_COPY,
                                   text.data(), text.size());
}

// A caller without credentials (a load balancer's check on the TCP
// listener) learns the status only, not the version or the load.
void ControlApi::get_health(const Request &r) {
  const bool draining = host_.draining();
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "status");
  json_builder_add_string_value(b, draining ? "draining" : "ok");
  if (!r.anonymous) {
    json_builder_set_member_name(b, "version");
    json_builder_add_string_value(b, VNCGATE_VERSION);
    json_builder_set_member_name(b, "sessions");
    json_builder_add_int_value(b, static_cast<gint64>(host_.session_list().size()));
  }
  json_builder_end_object(b);
  respond_json(r.msg, draining ? SOUP_STATUS_SERVICE_UNAVAILABLE : SOUP_STATUS_OK,
               json_builder_get_root(b));
}

void ControlApi::put_drain(const Request &r) {
  host_.set_draining(true);
  respond_drain(r);
}

void ControlApi::delete_drain(const Request &r) {
  host_.set_draining(false);
  respond_drain(r);
}

// {"draining": bool, "sessions": N}: what still runs on the node.
void ControlApi::respond_drain(const Request &r) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "draining");
  json_builder_add_boolean_value(b, host_.draining());
  json_builder_set_member_name(b, "sessions");
  json_builder_add_int_value(b, static_cast<gint64>(host_.session_list().size()));
  json_builder_end_object(b);
  respond_json(r.msg, SOUP_STATUS_OK, json_builder_get_root(b));
}

namespace {

JsonNode *sessions_json(const std::vector<SessionInfo> &sessions) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto &s : sessions) {
    json_builder_begin_object(b);
    auto add_string = [&](const char *name, const std::string &value) {
      json_builder_set_member_name(b, name);
      json_builder_add_string_value(b, value.c_str());
    };
    add_string("id", std::to_string(s.id));
    if (!s.node.empty()) add_string("node", s.node);
    add_string("client", s.client);
    add_string("console", s.console);
    add_string("user", s.user);
    add_string("mechanism", s.mechanism);
    add_string("state", s.state);
    add_string("token_id", s.token_id);
    add_string("started_at", iso8601_utc(s.started_at));
    json_builder_set_member_name(b, "bytes_to_client");
    json_builder_add_int_value(b, static_cast<gint64>(s.bytes_to_client));
    json_builder_set_member_name(b, "bytes_from_client");
    json_builder_add_int_value(b, static_cast<gint64>(s.bytes_from_client));
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  return json_builder_get_root(b);
}

}  // namespace

// With [cluster], every node's sessions (the others' as their node last
// published them, at most a second ago).
void ControlApi::get_sessions(const Request &r) {
  auto reply = std::make_shared<DeferredReply>(r.msg);
  host_.all_sessions([reply](bool ok, std::vector<SessionInfo> sessions) {
    if (ok)
      respond_json(reply->msg(), SOUP_STATUS_OK, sessions_json(sessions));
    else
      respond_error(reply->msg(), SOUP_STATUS_SERVICE_UNAVAILABLE,
                    "the cluster's Redis is unreachable: the other nodes' sessions are unknown");
    reply->answered();
  });
  reply->wait();
}

// DELETE /v1/sessions/ID[?node=NODE]: another node's session ([cluster])
// is ended by that node.
void ControlApi::delete_session(const Request &r) {
  const std::string &arg = r.args[0];
  char *end = nullptr;
  unsigned long long id = g_ascii_strtoull(arg.c_str(), &end, 10);
  if (!end || *end || arg.empty())
    return respond_error(r.msg, SOUP_STATUS_BAD_REQUEST, "invalid session id");
  std::string node;
  GUri *uri = soup_server_message_get_uri(r.msg);
  if (const char *query = uri ? g_uri_get_query(uri) : nullptr) {
    g_autoptr(GHashTable) params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_NONE, nullptr);
    if (const char *n =
            params ? static_cast<const char *>(g_hash_table_lookup(params, "node")) : nullptr)
      node = n;
  }
  if (!node.empty() && node != host_.node_name()) {
    auto reply = std::make_shared<DeferredReply>(r.msg);
    host_.end_node_session(node, id, [reply](bool found) {
      if (found)
        soup_server_message_set_status(reply->msg(), SOUP_STATUS_NO_CONTENT, nullptr);
      else
        respond_error(reply->msg(), SOUP_STATUS_NOT_FOUND, "no such session");
      reply->answered();
    });
    return reply->wait();
  }
  if (!host_.end_session(id, "ended by operator"))
    return respond_error(r.msg, SOUP_STATUS_NOT_FOUND, "no such session");
  soup_server_message_set_status(r.msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

namespace {

void answer_revoke(SoupServerMessage *msg, const std::string &id, const RevokeTokenResult &result) {
  switch (result.status) {
    case RevokeTokenResult::Status::Unknown:
      return respond_error(msg, SOUP_STATUS_NOT_FOUND, "no such token");
    case RevokeTokenResult::Status::NotSaved:
      // Revoked in this run (and its sessions ended), but a restart would
      // bring it back: the caller must know.
      log_error("control: revoked token " + log_safe(id) + " until the next restart only: " +
                "the revocation could not be saved in the state directory");
      return respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "revoked until the daemon restarts: the revocation could not be saved "
                           "in the state directory");
    case RevokeTokenResult::Status::Unavailable:
      log_error("control: token " + log_safe(id) +
                " not revoked: the cluster's token store (Redis) is unreachable");
      return respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                           "the cluster's token store (Redis) is unreachable; nothing was revoked");
    case RevokeTokenResult::Status::Revoked:
      break;
  }
  log_info("control: revoked token " + log_safe(id) + ", ended " +
           std::to_string(result.sessions_ended) + " sessions");
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "revoked");
  json_builder_add_string_value(b, id.c_str());
  json_builder_set_member_name(b, "sessions_ended");
  json_builder_add_int_value(b, static_cast<gint64>(result.sessions_ended));
  json_builder_end_object(b);
  respond_json(msg, SOUP_STATUS_OK, json_builder_get_root(b));
}

}  // namespace

void ControlApi::delete_token(const Request &r) {
  auto reply = std::make_shared<DeferredReply>(r.msg);
  host_.revoke_token(r.args[0], [reply, id = r.args[0]](const RevokeTokenResult &result) {
    answer_revoke(reply->msg(), id, result);
    reply->answered();
  });
  reply->wait();
}

}  // namespace vncgate
