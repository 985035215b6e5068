// Every node's sessions in the cluster's Redis ([cluster], docs/cluster.md):
// each node rewrites the hash "vncgate:sessions:<node>" (session id → the
// session as JSON) every second, with a TTL of a few seconds, so a node
// that died drops out of the listing by itself. GET /v1/sessions on any
// node lists them all, each with its node; ending a session held by
// another node is a message on the channel "vncgate:end-session"
// ("<node> <id>"), which that node acts on.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "cluster/redis_client.h"
#include "control/control_host.h"
#include "io/callback_guard.h"
#include "io/main_loop_timer.h"

namespace vncgate {

// Pure (unit tested): a session as its hash value, and back.
std::string session_to_json(const SessionInfo &s);
bool session_from_json(const std::string &text, SessionInfo &out);

class SessionDirectory {
 public:
  static constexpr unsigned kHeartbeatMs = 1000;
  static constexpr unsigned kTtlSeconds = 5;

  using LocalFn = std::function<std::vector<SessionInfo>()>;
  using EndLocalFn = std::function<void(uint64_t id)>;
  using ListFn = std::function<void(bool ok, std::vector<SessionInfo> sessions)>;

  SessionDirectory(RedisClient &redis, RedisClient &subscriber, std::string node, LocalFn local,
                   EndLocalFn end_local);
  // Subscribes and starts the heartbeat.
  void start();
  // This node's sessions (live) and the other nodes' (from Redis);
  // ok false when Redis could not be asked (this node's are still given).
  void list(ListFn done);
  // Ends session `id` of `node`: found false when Redis lists no such session.
  void end(const std::string &node, uint64_t id, std::function<void(bool found)> done);
  // Publishes this node's sessions now.
  void publish();
  // A session ended: publishes within 100 ms, once for a burst of ends
  // (a flood of refused handshakes costs Redis one write).
  void publish_soon();

 private:
  RedisClient &redis_;
  RedisClient &subscriber_;
  std::string node_;
  LocalFn local_;
  EndLocalFn end_local_;
  MainLoopTimer heartbeat_;
  MainLoopTimer soon_;
  CallbackGuard guard_;
};

}  // namespace vncgate
