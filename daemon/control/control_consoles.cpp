// ControlApi: the console endpoints (list, add or replace, remove) and
// link minting.
#include <json-glib/json-glib.h>

#include "control/console_json.h"
#include "control/control_api.h"
#include "control/deferred_reply.h"
#include "control/json_fields.h"
#include "control/json_reply.h"
#include "link/console_link.h"
#include "logging.h"

namespace vncgate {
namespace {

constexpr size_t kMaxBody = 64 * 1024;

// The request body as a JSON object; null (and the refusal sent) otherwise.
JsonNode *read_object_body(SoupServerMessage *msg) {
  SoupMessageBody *body = soup_server_message_get_request_body(msg);
  if (body->length > static_cast<goffset>(kMaxBody)) {
    respond_error(msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "request body larger than 64 KiB");
    return nullptr;
  }
  std::string error = "empty body";
  g_autoptr(JsonNode) root =
      body->length ? parse_json(body->data, static_cast<size_t>(body->length), error) : nullptr;
  if (!root) {
    respond_error(msg, SOUP_STATUS_BAD_REQUEST, "malformed JSON: " + error);
    return nullptr;
  }
  if (!JSON_NODE_HOLDS_OBJECT(root)) {
    respond_error(msg, SOUP_STATUS_BAD_REQUEST, "expected a JSON object");
    return nullptr;
  }
  return static_cast<JsonNode *>(g_steal_pointer(&root));
}

}  // namespace

void ControlApi::get_consoles(const Request &r) {
  g_autoptr(JsonBuilder) b = json_builder_new();
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
  respond_json(r.msg, SOUP_STATUS_OK, json_builder_get_root(b));
}

void ControlApi::put_console(const Request &r) {
  const std::string &name = r.args[0];
  g_autoptr(JsonNode) body = read_object_body(r.msg);
  if (!body) return;
  std::string error;
  auto con = console_from_json(json_node_get_object(body), name, error);
  if (!con) return respond_error(r.msg, SOUP_STATUS_BAD_REQUEST, error);
  unsigned status = SOUP_STATUS_OK;
  switch (host_.put_console(*con)) {
    case PutConsoleResult::DefinedInFile:
      return respond_error(r.msg, SOUP_STATUS_CONFLICT,
                           "console " + name + " is defined in the configuration file");
    case PutConsoleResult::Added:
      status = SOUP_STATUS_CREATED;
      break;
    case PutConsoleResult::Replaced:
      break;
  }
  soup_server_message_set_status(r.msg, status, nullptr);
  soup_server_message_set_response(r.msg, "application/json", SOUP_MEMORY_STATIC, "{}", 2);
}

void ControlApi::delete_console(const Request &r) {
  const std::string &name = r.args[0];
  switch (host_.delete_console(name)) {
    case DeleteConsoleResult::DefinedInFile:
      return respond_error(r.msg, SOUP_STATUS_CONFLICT,
                           "console " + name + " is defined in the configuration file");
    case DeleteConsoleResult::Unknown:
      return respond_error(r.msg, SOUP_STATUS_NOT_FOUND, "unknown console " + name);
    case DeleteConsoleResult::Removed:
      break;
  }
  soup_server_message_set_status(r.msg, SOUP_STATUS_NO_CONTENT, nullptr);
}

namespace {

// Where a minted link points: the gateway port, or the web front.
struct LinkPlace {
  std::string public_host;
  uint16_t public_port = 0;
  bool web = false;
  WebFront web_front;
};

void answer_link(SoupServerMessage *msg, const MintLinkResult &minted, const std::string &name,
                 const std::string &user, int64_t ttl, bool one_time, const LinkPlace &place) {
  if (!minted.saved) {
    // A link the daemon forgets on restart (or a one-time link it cannot
    // mark used) must not exist: no link, and the caller can retry.
    log_error("control: no link minted for console " + name +
              ": the token could not be saved (state directory or cluster Redis)");
    return respond_error(msg, SOUP_STATUS_SERVICE_UNAVAILABLE,
                         "the link could not be saved (state directory or cluster Redis); no link "
                         "was made");
  }
  const TokenRecord &token = minted.token.record;
  ConsoleLink link;
  link.host = place.public_host;
  link.port = place.public_port;
  link.console = name;
  link.token = minted.token.secret;
  log_info("control: minted link token " + token.id + " for console " + name +
           (user.empty() ? "" : " bound to user " + log_safe(user)) + ", ttl " +
           std::to_string(ttl) + " s" + (one_time ? ", one-time" : "") +
           (place.web ? ", web" : ""));
  const std::string url = place.web ? web_link_url(place.web_front.tls, place.public_host,
                                                   place.web_front.port, name, minted.token.secret)
                                    : link.to_url();
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  json_builder_set_member_name(b, "url");
  json_builder_add_string_value(b, url.c_str());
  json_builder_set_member_name(b, "token_id");
  json_builder_add_string_value(b, token.id.c_str());
  json_builder_set_member_name(b, "expires_at");
  json_builder_add_string_value(b, iso8601_utc(token.expires_at).c_str());
  json_builder_end_object(b);
  respond_json(msg, SOUP_STATUS_CREATED, json_builder_get_root(b));
}

}  // namespace

void ControlApi::post_link(const Request &r) {
  const std::string &name = r.args[0];
  if (!host_.config()->consoles.count(name))
    return respond_error(r.msg, SOUP_STATUS_NOT_FOUND, "unknown console " + name);
  g_autoptr(JsonNode) body = read_object_body(r.msg);
  if (!body) return;
  JsonObject *o = json_node_get_object(body);
  std::string user, error;
  int64_t ttl = 300;
  bool one_time = true;
  std::string kind = "vncgate";
  bool ok = member_string(o, "user", user, error) && member_int(o, "ttl", ttl, error) &&
            member_bool(o, "one_time", one_time, error) && member_string(o, "kind", kind, error);
  if (ok && kind != "vncgate" && kind != "web") {
    error = "'kind' must be \"vncgate\" or \"web\"";
    ok = false;
  }
  // A browser has no other login: the link's user is the session's identity.
  if (ok && kind == "web" && user.empty()) {
    error = "a web link must name a 'user'";
    ok = false;
  }
  if (ok && (ttl < 1 || ttl > 7 * 24 * 3600)) {
    error = "'ttl' must be from 1 to 604800 seconds";
    ok = false;
  }
  if (ok && (user.size() > 256 || user.find_first_of(" \t\r\n") != std::string::npos)) {
    error = "'user' is not a valid user name";
    ok = false;
  }
  if (!ok) return respond_error(r.msg, SOUP_STATUS_BAD_REQUEST, error);
  if (kind == "web" && web_.port == 0)
    return respond_error(r.msg, SOUP_STATUS_CONFLICT, "the web front is not configured ([web])");
  // Answered when the token is stored (at once, or from [cluster] Redis);
  // the reply needs nothing of this object, which a reload may replace.
  auto reply = std::make_shared<DeferredReply>(r.msg);
  LinkPlace place{public_host_, public_port_, kind == "web", web_};
  host_.mint_link(name, user, ttl, one_time,
                  [reply, name, user, ttl, one_time, place](const MintLinkResult &minted) {
                    answer_link(reply->msg(), minted, name, user, ttl, one_time, place);
                    reply->answered();
                  });
  reply->wait();
}

}  // namespace vncgate
