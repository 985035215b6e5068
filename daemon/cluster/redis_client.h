// One connection to the cluster's Redis, non-blocking on the GLib main
// loop (hiredis' async API through a GSource, see redis_client.cpp for why
// not hiredis' own adapters/glib.h). It authenticates from the password
// file (the password is never logged), selects the database, and only
// then counts as up. Lost, it reconnects with a bounded exponential backoff
// (100 ms doubling to 5 s) and logs the change once each way; the
// vncgate_cluster_redis_up gauge follows the main client.
//
// Replies come on the main loop, never from inside command(): a command
// given while Redis is down fails from an idle callback. A Redis that
// accepts and then stops answering (stopped, overloaded, a dead network
// path) is dropped once a reply is 3 s late: its commands fail and the
// client reconnects. A failed command
// (down, connection lost, error reply) is answered with a null value or an
// Error value and counted. Destroying the client drops every pending
// callback uncalled, so an owner that destroys it never hears back; an
// owner shorter-lived than the client guards its callbacks (CallbackGuard).
// A reply callback must not destroy the client (hiredis is still on the
// stack): the owner destroys it from the main loop.
//
// A subscriber client (subscribe()) holds the SUBSCRIBE state hiredis
// needs for pub/sub and subscribes again after every reconnect.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "cluster/redis_address.h"
#include "cluster/redis_value.h"
#include "io/main_loop_timer.h"

struct redisAsyncContext;

namespace vncgate {

class RedisClient {
 public:
  // `reply` is null when the command did not reach Redis or its answer was lost.
  using ReplyFn = std::function<void(const RedisValue *reply)>;
  using MessageFn = std::function<void(const std::string &payload)>;
  using StateFn = std::function<void(bool up)>;

  // `role` names the connection in log lines ("main", "subscriber");
  // `report_metric`: this client drives vncgate_cluster_redis_up.
  RedisClient(RedisAddress address, std::string password_file, std::string role,
              bool report_metric);
  ~RedisClient();
  RedisClient(const RedisClient &) = delete;
  RedisClient &operator=(const RedisClient &) = delete;

  void start();
  bool up() const { return state_ == State::Up; }
  void on_state_change(StateFn fn) { on_state_ = std::move(fn); }

  void command(std::vector<std::string> argv, ReplyFn done);
  // Subscriber only: `on_message` gets every message on `channel`, from
  // now on and after every reconnect.
  void subscribe(const std::string &channel, MessageFn on_message);

  // Backoff before the n-th reconnect in a row (pure, unit tested).
  static unsigned backoff_ms(unsigned attempt);
  static constexpr int64_t kReplyTimeoutMs = 3000;

 private:
  enum class State { Down, Connecting, Up };
  class Source;

  void connect();
  void send(const std::vector<std::string> &argv, uint64_t id);
  void handshake_done(const RedisValue *reply);
  void connection_lost(const std::string &why);
  void set_state(State s, const std::string &why);
  void deliver(uint64_t id, const RedisValue *reply);
  void fail_later(ReplyFn done);
  void send_subscriptions();
  void drop_if_overdue();

  static void reply_trampoline(redisAsyncContext *ac, void *reply, void *privdata);
  static void message_trampoline(redisAsyncContext *ac, void *reply, void *privdata);
  static void connect_trampoline(const redisAsyncContext *ac, int status);
  static void disconnect_trampoline(const redisAsyncContext *ac, int status);

  RedisAddress address_;
  std::string password_file_;
  std::string role_;
  bool report_metric_;
  State state_ = State::Down;
  bool ever_up_ = false;
  bool logged_down_ = false;
  unsigned attempt_ = 0;
  redisAsyncContext *ac_ = nullptr;
  Source *source_ = nullptr;  // a GSource; owned through its GLib reference
  uint64_t next_id_ = 1;
  struct Pending {
    ReplyFn done;
    int64_t sent_ms;  // monotonic
  };
  std::map<uint64_t, Pending> pending_;  // by id: the first is the oldest
  std::vector<ReplyFn> failed_;
  std::map<std::string, MessageFn> subscriptions_;
  StateFn on_state_;
  MainLoopTimer reconnect_timer_;
  MainLoopTimer fail_idle_;
  MainLoopTimer watchdog_;
};

}  // namespace vncgate
