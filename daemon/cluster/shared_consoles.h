// Consoles added through the control API, shared by the nodes of a
// cluster ([cluster], docs/cluster.md): the hash "vncgate:consoles" (name
// → the console's JSON, control/console_json.h) is the list, and a message
// on the channel "vncgate:consoles" says it changed. Each node loads the
// hash at start, at each message and every few seconds (which also covers
// a Redis that came back), and applies it as its runtime consoles.
// Consoles of a node's configuration file stay that node's own.
#pragma once

#include <functional>
#include <map>
#include <string>

#include "cluster/redis_client.h"
#include "config.h"
#include "io/callback_guard.h"
#include "io/main_loop_timer.h"

namespace vncgate {

// Pure (unit tested): HGETALL's reply → the consoles it defines (entries
// that do not parse are left out, with their names in `bad`).
std::map<std::string, ConsoleConfig> shared_consoles_from_reply(const RedisValue &reply,
                                                                std::vector<std::string> &bad);
std::string shared_console_json(const ConsoleConfig &c);

class SharedConsoles {
 public:
  static constexpr unsigned kRefreshMs = 5000;
  using ApplyFn = std::function<void(const std::map<std::string, ConsoleConfig> &)>;

  SharedConsoles(RedisClient &redis, RedisClient &subscriber, ApplyFn apply);
  void start();
  void put(const ConsoleConfig &c);
  void erase(const std::string &name);

 private:
  void load();

  RedisClient &redis_;
  RedisClient &subscriber_;
  ApplyFn apply_;
  MainLoopTimer refresh_;
  CallbackGuard guard_;
};

}  // namespace vncgate
