#include "cluster/shared_consoles.h"

#include <json-glib/json-glib.h>

#include <optional>

#include "control/console_json.h"
#include "logging.h"
#include "rfb/http_connect.h"

namespace vncgate {
namespace {

constexpr const char *kKey = "vncgate:consoles";
constexpr const char *kChannel = "vncgate:consoles";

}  // namespace

std::string shared_console_json(const ConsoleConfig &c) {
  g_autoptr(JsonBuilder) b = json_builder_new();
  console_to_json(b, c);
  g_autoptr(JsonNode) root = json_builder_get_root(b);
  g_autofree gchar *text = json_to_string(root, FALSE);
  return text;
}

std::map<std::string, ConsoleConfig> shared_consoles_from_reply(const RedisValue &reply,
                                                                std::vector<std::string> &bad) {
  std::map<std::string, ConsoleConfig> out;
  const auto &e = reply.elements;
  for (size_t i = 0; i + 1 < e.size(); i += 2) {
    const std::string &name = e[i].str;
    g_autoptr(JsonParser) p = json_parser_new();
    std::string error;
    std::optional<ConsoleConfig> c;
    if (is_valid_console_name(name) &&
        json_parser_load_from_data(p, e[i + 1].str.c_str(),
                                   static_cast<gssize>(e[i + 1].str.size()), nullptr) &&
        json_parser_get_root(p) && JSON_NODE_HOLDS_OBJECT(json_parser_get_root(p)))
      c = console_from_json(json_node_get_object(json_parser_get_root(p)), name, error);
    if (c)
      out[name] = *c;
    else
      bad.push_back(name);
  }
  return out;
}

SharedConsoles::SharedConsoles(RedisClient &redis, RedisClient &subscriber, ApplyFn apply)
    : redis_(redis), subscriber_(subscriber), apply_(std::move(apply)) {}

void SharedConsoles::start() {
  subscriber_.subscribe(kChannel, guard_.wrap(std::function<void(const std::string &)>(
                                      [this](const std::string &) { load(); })));
  refresh_.every(kRefreshMs, [this] {
    load();
    return true;
  });
  load();
}

void SharedConsoles::load() {
  redis_.command({"HGETALL", kKey},
                 guard_.wrap(std::function<void(const RedisValue *)>([this](const RedisValue *r) {
                   if (!r || r->type != RedisValue::Type::Array) return;
                   std::vector<std::string> bad;
                   auto consoles = shared_consoles_from_reply(*r, bad);
                   for (const auto &name : bad)
                     log_warning("cluster: shared console " + log_safe(name) +
                                 " in Redis is not a console definition");
                   apply_(consoles);
                 })));
}

void SharedConsoles::put(const ConsoleConfig &c) {
  redis_.command({"HSET", kKey, c.name, shared_console_json(c)}, nullptr);
  redis_.command({"PUBLISH", kChannel, c.name}, nullptr);
}

void SharedConsoles::erase(const std::string &name) {
  redis_.command({"HDEL", kKey, name}, nullptr);
  redis_.command({"PUBLISH", kChannel, name}, nullptr);
}

}  // namespace vncgate
