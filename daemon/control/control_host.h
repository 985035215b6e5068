// What the control API asks of the daemon (the Daemon implements it). The
// answers are typed; only the control layer (control_api.*) turns them into
// HTTP statuses and JSON.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "control/token_store.h"
#include "login_limits.h"

namespace vncgate {

struct SessionInfo {
  uint64_t id;
  std::string client, console, user, mechanism, state, token_id;
  int64_t started_at;  // unix seconds
  uint64_t bytes_to_client, bytes_from_client;
  std::string node;  // [cluster]: the node holding it, in a cluster-wide list
};

struct ConsoleInfo {
  std::string name, kind, state;  // kind: mkvterm|static; state: closed|opening|open|closing
  size_t sessions;
  int64_t idle_deadline;  // unix seconds, 0 when none
  bool runtime;           // added through the API
};

enum class PutConsoleResult { Added, Replaced, DefinedInFile };
enum class DeleteConsoleResult { Removed, Unknown, DefinedInFile };

struct MintLinkResult {
  bool saved = false;  // false: nothing minted (a restart would forget it)
  TokenStore::Minted token;
};

struct RevokeTokenResult {
  // Unavailable: [cluster] Redis unreachable, nothing revoked.
  enum class Status { Revoked, Unknown, NotSaved, Unavailable } status = Status::Unknown;
  size_t sessions_ended = 0;  // also when NotSaved: revoked in this run
};

class ControlHost {
 public:
  virtual ~ControlHost() = default;
  virtual std::shared_ptr<const Config> config() const = 0;
  virtual std::vector<SessionInfo> session_list() const = 0;
  virtual bool end_session(uint64_t id, const std::string &reason) = 0;
  virtual std::vector<ConsoleInfo> console_list() const = 0;
  // A link token for `console`, kept in the state directory (or [cluster]
  // Redis) before it is handed out. `done` is called once, at once or
  // later from the main loop.
  using MintLinkFn = std::function<void(const MintLinkResult &)>;
  virtual void mint_link(const std::string &console, const std::string &user, int64_t ttl,
                         bool one_time, MintLinkFn done) = 0;
  // Revokes a token and ends the sessions opened with it; `done` as above.
  using RevokeTokenFn = std::function<void(const RevokeTokenResult &)>;
  virtual void revoke_token(const std::string &id, RevokeTokenFn done) = 0;
  virtual PutConsoleResult put_console(const ConsoleConfig &c) = 0;
  virtual DeleteConsoleResult delete_console(const std::string &name) = 0;
  virtual std::string metrics_text() const = 0;
  // Password-guessing limits (Basic auth, GET/DELETE /v1/lockouts).
  virtual LoginLimits &login_limits() = 0;
  // Drain: while on, new clients are refused ("gateway draining") and
  // running sessions continue. Kept across reloads, not across a restart.
  virtual bool draining() const = 0;
  virtual void set_draining(bool on) = 0;
  // [cluster]: every node's sessions, each with its node (ok false: Redis
  // could not be asked); without a cluster, this node's.
  using AllSessionsFn = std::function<void(bool ok, std::vector<SessionInfo> sessions)>;
  virtual void all_sessions(AllSessionsFn done) { done(true, session_list()); }
  // [cluster]: ends session `id` of another node (found false: not listed).
  virtual void end_node_session(const std::string &node, uint64_t id,
                                std::function<void(bool found)> done) {
    (void)node;
    (void)id;
    done(false);
  }
  // [cluster] node-name; empty without a cluster.
  virtual std::string node_name() const { return {}; }
};

}  // namespace vncgate
