#include "cluster/session_directory.h"

#include <json-glib/json-glib.h>

namespace vncgate {
namespace {

constexpr const char *kKeyPrefix = "vncgate:sessions:";
constexpr const char *kEndChannel = "vncgate:end-session";

// KEYS[1] the node's hash; ARGV[1] the TTL, then id, session pairs. The
// hash is replaced whole, so a reader never sees half of it.
constexpr const char *kPublishScript = R"(
redis.call('DEL', KEYS[1])
for i = 2, #ARGV, 2 do redis.call('HSET', KEYS[1], ARGV[i], ARGV[i + 1]) end
if #ARGV > 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return 1
)";

// Every node's hash: key, {field, value, ...}, key, ...
constexpr const char *kListScript = R"(
local out = {}
for _, k in ipairs(redis.call('KEYS', ARGV[1] .. '*')) do
  out[#out + 1] = k
  out[#out + 1] = redis.call('HGETALL', k)
end
return out
)";

std::string member_string(JsonObject *o, const char *name) {
  JsonNode *n = json_object_get_member(o, name);
  return n && json_node_get_value_type(n) == G_TYPE_STRING ? json_node_get_string(n) : "";
}

int64_t member_int(JsonObject *o, const char *name) {
  JsonNode *n = json_object_get_member(o, name);
  return n && json_node_get_value_type(n) == G_TYPE_INT64 ? json_node_get_int(n) : 0;
}

}  // namespace

std::string session_to_json(const SessionInfo &s) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  json_builder_begin_object(b);
  auto add_string = [&](const char *name, const std::string &value) {
    json_builder_set_member_name(b, name);
    json_builder_add_string_value(b, value.c_str());
  };
  auto add_int = [&](const char *name, int64_t value) {
    json_builder_set_member_name(b, name);
    json_builder_add_int_value(b, value);
  };
  add_string("client", s.client);
  add_string("console", s.console);
  add_string("user", s.user);
  add_string("mechanism", s.mechanism);
  add_string("state", s.state);
  add_string("token_id", s.token_id);
  add_int("started_at", s.started_at);
  add_int("bytes_to_client", static_cast<int64_t>(s.bytes_to_client));
  add_int("bytes_from_client", static_cast<int64_t>(s.bytes_from_client));
  json_builder_end_object(b);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree gchar *text = json_to_string(root, FALSE);
  return text;
}

bool session_from_json(const std::string &text, SessionInfo &out) {
  g_autoptr(JsonParser) p = json_parser_new();
  if (!json_parser_load_from_data(p, text.c_str(), static_cast<gssize>(text.size()), nullptr))
    return false;
  JsonNode *root = json_parser_get_root(p);
  if (!root || !JSON_NODE_HOLDS_OBJECT(root)) return false;
  JsonObject *o = json_node_get_object(root);
  out.client = member_string(o, "client");
  out.console = member_string(o, "console");
  out.user = member_string(o, "user");
  out.mechanism = member_string(o, "mechanism");
  out.state = member_string(o, "state");
  out.token_id = member_string(o, "token_id");
  out.started_at = member_int(o, "started_at");
  out.bytes_to_client = static_cast<uint64_t>(member_int(o, "bytes_to_client"));
  out.bytes_from_client = static_cast<uint64_t>(member_int(o, "bytes_from_client"));
  return true;
}

SessionDirectory::SessionDirectory(RedisClient &redis, RedisClient &subscriber, std::string node,
                                   LocalFn local, EndLocalFn end_local)
    : redis_(redis),
      subscriber_(subscriber),
      node_(std::move(node)),
      local_(std::move(local)),
      end_local_(std::move(end_local)) {}

void SessionDirectory::start() {
  subscriber_.subscribe(
      kEndChannel,
      guard_.wrap(std::function<void(const std::string &)>([this](const std::string &message) {
        size_t space = message.rfind(' ');
        if (space == std::string::npos || message.substr(0, space) != node_) return;
        end_local_(g_ascii_strtoull(message.c_str() + space + 1, nullptr, 10));
      })));
  heartbeat_.every(kHeartbeatMs, [this] {
    publish();
    return true;
  });
  publish();
}

void SessionDirectory::publish() {
  std::vector<std::string> argv = {"EVAL", kPublishScript, "1", kKeyPrefix + node_,
                                   std::to_string(kTtlSeconds)};
  for (const auto &s : local_()) {
    argv.push_back(std::to_string(s.id));
    argv.push_back(session_to_json(s));
  }
  redis_.command(std::move(argv), nullptr);
}

void SessionDirectory::publish_soon() {
  if (!soon_.active()) soon_.once(100, [this] { publish(); });
}

void SessionDirectory::list(ListFn done) {
  std::vector<SessionInfo> mine = local_();
  for (auto &s : mine) s.node = node_;
  const std::string prefix = kKeyPrefix;
  redis_.command({"EVAL", kListScript, "0", prefix}, [mine = std::move(mine), node = node_, prefix,
                                                      done = std::move(done)](const RedisValue *r) {
    std::vector<SessionInfo> all = mine;
    if (!r || r->type != RedisValue::Type::Array) return done(false, std::move(all));
    const auto &e = r->elements;
    for (size_t i = 0; i + 1 < e.size(); i += 2) {
      const std::string other = e[i].str.substr(prefix.size());
      if (other == node) continue;  // this node's are live above
      const auto &fields = e[i + 1].elements;
      for (size_t f = 0; f + 1 < fields.size(); f += 2) {
        SessionInfo s{};
        if (!session_from_json(fields[f + 1].str, s)) continue;
        s.id = g_ascii_strtoull(fields[f].str.c_str(), nullptr, 10);
        s.node = other;
        all.push_back(std::move(s));
      }
    }
    done(true, std::move(all));
  });
}

void SessionDirectory::end(const std::string &node, uint64_t id,
                           std::function<void(bool found)> done) {
  RedisClient &redis = redis_;
  const std::string id_text = std::to_string(id);
  redis_.command({"HEXISTS", kKeyPrefix + node, id_text},
                 [&redis, node, id_text, done = std::move(done)](const RedisValue *r) {
                   const bool found = r && r->as_integer() == 1;
                   if (found)
                     redis.command({"PUBLISH", kEndChannel, node + " " + id_text}, nullptr);
                   done(found);
                 });
}

}  // namespace vncgate
