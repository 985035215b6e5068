// Why not hiredis' adapters/glib.h: its dispatch calls redisAsyncHandleRead
// after redisAsyncHandleWrite without checking that the write (a failed
// connect, a reset connection) did not free the context, and it never
// dispatches on G_IO_HUP/G_IO_ERR alone. The source below is the same
// GPollFD bridge with the context cleared by hiredis' cleanup hook.
#include "cluster/redis_client.h"

#include <glib.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdint>

#include "config.h"
#include "control/metrics.h"
#include "logging.h"

namespace vncgate {

struct RedisClient::Source {
  GSource base;  // first: GLib allocates and frees the whole struct
  redisAsyncContext *ac;
  GPollFD poll;

  static Source *of(void *p) { return static_cast<Source *>(p); }
  static void add_read(void *p) { of(p)->poll.events |= G_IO_IN; }
  static void del_read(void *p) { of(p)->poll.events &= ~G_IO_IN; }
  static void add_write(void *p) { of(p)->poll.events |= G_IO_OUT; }
  static void del_write(void *p) { of(p)->poll.events &= ~G_IO_OUT; }
  // hiredis frees the context: nothing may touch it after this.
  static void cleanup(void *p) {
    Source *s = of(p);
    s->ac = nullptr;
    s->poll.events = 0;
  }
  static bool ready(GSource *g) {
    Source *s = reinterpret_cast<Source *>(g);
    return s->ac && (s->poll.revents & (s->poll.events | G_IO_ERR | G_IO_HUP)) != 0;
  }
  static gboolean prepare(GSource *g, gint *timeout) {
    *timeout = -1;
    return ready(g);
  }
  static gboolean check(GSource *g) { return ready(g); }
  static gboolean dispatch(GSource *g, GSourceFunc, gpointer) {
    Source *s = reinterpret_cast<Source *>(g);
    gushort revents = s->poll.revents;
    s->poll.revents = 0;
    bool failed = revents & (G_IO_ERR | G_IO_HUP);
    if (s->ac && (revents & G_IO_OUT || (failed && (s->poll.events & G_IO_OUT))))
      redisAsyncHandleWrite(s->ac);
    if (s->ac && (revents & G_IO_IN || failed)) redisAsyncHandleRead(s->ac);
    return G_SOURCE_CONTINUE;
  }

  static Source *attach(redisAsyncContext *ac) {
    static GSourceFuncs funcs = {prepare, check, dispatch, nullptr, nullptr, nullptr};
    Source *s = reinterpret_cast<Source *>(g_source_new(&funcs, sizeof(Source)));
    s->ac = ac;
    s->poll.fd = ac->c.fd;
    s->poll.events = 0;
    s->poll.revents = 0;
    g_source_add_poll(&s->base, &s->poll);
    ac->ev.addRead = add_read;
    ac->ev.delRead = del_read;
    ac->ev.addWrite = add_write;
    ac->ev.delWrite = del_write;
    ac->ev.cleanup = cleanup;
    ac->ev.data = s;
    g_source_attach(&s->base, g_main_context_get_thread_default());
    return s;
  }
  static void destroy(Source *s) {
    if (!s) return;
    g_source_destroy(&s->base);
    g_source_unref(&s->base);
  }
};

namespace {

int64_t monotonic_ms() {
  return g_get_monotonic_time() / 1000;
}

// hiredis carries one pointer per command: the command's number, not an object.
void *id_to_privdata(uint64_t id) {
  return reinterpret_cast<void *>(static_cast<uintptr_t>(id));
}
uint64_t privdata_to_id(void *p) {
  return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p));
}

}  // namespace

unsigned RedisClient::backoff_ms(unsigned attempt) {
  unsigned ms = 100;
  for (unsigned i = 0; i < attempt && ms < 5000; ++i) ms *= 2;
  return std::min(ms, 5000u);
}

RedisClient::RedisClient(RedisAddress address, std::string password_file, std::string role,
                         bool report_metric)
    : address_(std::move(address)),
      password_file_(std::move(password_file)),
      role_(std::move(role)),
      report_metric_(report_metric) {
  if (report_metric_) metrics().cluster_redis_up = 0;
}

RedisClient::~RedisClient() {
  if (ac_) {
    // Pending callbacks are called with null by redisAsyncFree: with the
    // context's data cleared they find no client and do nothing.
    ac_->data = nullptr;
    redisAsyncFree(ac_);
    ac_ = nullptr;
  }
  Source::destroy(source_);
  if (report_metric_) metrics().cluster_redis_up = -1;
}

void RedisClient::start() {
  if (state_ == State::Down && !ac_) connect();
  watchdog_.every(500, [this] {
    drop_if_overdue();
    return true;
  });
}

// Outside any hiredis callback (a timer): freeing the context here is
// allowed, and fails every pending command at once.
void RedisClient::drop_if_overdue() {
  if (!ac_ || pending_.empty()) return;
  if (monotonic_ms() - pending_.begin()->second.sent_ms < kReplyTimeoutMs) return;
  const std::string why = "no reply within " + std::to_string(kReplyTimeoutMs / 1000) + " s";
  log_warning("cluster: Redis " + address_.to_string() + " (" + role_ + "): " + why +
              ", dropping the connection and its " + std::to_string(pending_.size()) +
              " pending commands");
  redisAsyncContext *ac = ac_;
  redisAsyncFree(ac);  // calls the disconnect callback when it was connected
  if (ac_ == ac) connection_lost(why);
}

void RedisClient::connect() {
  std::string password;
  if (!password_file_.empty()) {
    std::string error;
    if (!read_password_file(password_file_, password, error))
      return connection_lost("cannot read the password-file: " + error);
  }
  redisAsyncContext *ac = address_.is_unix()
                              ? redisAsyncConnectUnix(address_.unix_path.c_str())
                              : redisAsyncConnect(address_.host.c_str(), address_.port);
  if (!ac || ac->err) {
    std::string why = ac ? ac->errstr : "out of memory";
    if (ac) redisAsyncFree(ac);
    return connection_lost(why);
  }
  ac_ = ac;
  ac_->data = this;
  source_ = Source::attach(ac_);
  redisAsyncSetConnectCallback(ac_, connect_trampoline);
  redisAsyncSetDisconnectCallback(ac_, disconnect_trampoline);
  state_ = State::Connecting;
  // AUTH, SELECT and PING go first in the pipeline; commands given while
  // connecting queue behind them. Up only once all three answered.
  if (!password_file_.empty()) {
    uint64_t id = next_id_++;
    pending_[id] = {
        [this](const RedisValue *r) {
          if (r && r->is_error() && ac_) {
            log_error("cluster: Redis (" + role_ + ") refused the password: " + log_safe(r->str));
            redisAsyncDisconnect(ac_);
          }
        },
        monotonic_ms()};
    send({"AUTH", password}, id);
  }
  if (address_.db != 0) {
    uint64_t id = next_id_++;
    pending_[id] = {[this](const RedisValue *r) {
                      if (r && r->is_error() && ac_) {
                        log_error("cluster: Redis refused SELECT " + std::to_string(address_.db) +
                                  ": " + log_safe(r->str));
                        redisAsyncDisconnect(ac_);
                      }
                    },
                    monotonic_ms()};
    send({"SELECT", std::to_string(address_.db)}, id);
  }
  uint64_t id = next_id_++;
  pending_[id] = {[this](const RedisValue *r) { handshake_done(r); }, monotonic_ms()};
  send({"PING"}, id);
}

void RedisClient::send(const std::vector<std::string> &argv, uint64_t id) {
  std::vector<const char *> args;
  std::vector<size_t> lens;
  for (const auto &a : argv) {
    args.push_back(a.data());
    lens.push_back(a.size());
  }
  if (redisAsyncCommandArgv(ac_, reply_trampoline, id_to_privdata(id),
                            static_cast<int>(args.size()), args.data(), lens.data()) != REDIS_OK) {
    auto it = pending_.find(id);
    if (it == pending_.end()) return;
    ReplyFn done = std::move(it->second.done);
    pending_.erase(it);
    fail_later(std::move(done));
  }
}

void RedisClient::handshake_done(const RedisValue *reply) {
  if (!reply || reply->is_error()) return;  // the AUTH/SELECT callback disconnects
  attempt_ = 0;
  set_state(State::Up, "");
  send_subscriptions();
}

void RedisClient::send_subscriptions() {
  for (const auto &[channel, fn] : subscriptions_) {
    const char *args[] = {"SUBSCRIBE", channel.c_str()};
    size_t lens[] = {9, channel.size()};
    redisAsyncCommandArgv(ac_, message_trampoline, nullptr, 2, args, lens);
  }
}

void RedisClient::subscribe(const std::string &channel, MessageFn on_message) {
  bool now = !subscriptions_.count(channel) && state_ == State::Up && ac_;
  subscriptions_[channel] = std::move(on_message);
  if (now) {
    const char *args[] = {"SUBSCRIBE", channel.c_str()};
    size_t lens[] = {9, channel.size()};
    redisAsyncCommandArgv(ac_, message_trampoline, nullptr, 2, args, lens);
  }
}

void RedisClient::command(std::vector<std::string> argv, ReplyFn done) {
  if (!ac_) return fail_later(std::move(done));
  uint64_t id = next_id_++;
  pending_[id] = {std::move(done), monotonic_ms()};
  send(argv, id);
}

void RedisClient::fail_later(ReplyFn done) {
  metrics().cluster_redis_failed_commands++;
  failed_.push_back(std::move(done));
  if (!fail_idle_.active()) {
    fail_idle_.idle(
        [this] {
          auto failed = std::move(failed_);
          failed_.clear();
          for (auto &fn : failed)
            if (fn) fn(nullptr);
        },
        G_PRIORITY_DEFAULT);
  }
}

void RedisClient::deliver(uint64_t id, const RedisValue *reply) {
  auto it = pending_.find(id);
  if (it == pending_.end()) return;
  ReplyFn done = std::move(it->second.done);
  pending_.erase(it);
  if (!reply || reply->is_error()) metrics().cluster_redis_failed_commands++;
  if (done) done(reply);
}

void RedisClient::set_state(State s, const std::string &why) {
  State before = state_;
  state_ = s;
  if (report_metric_) metrics().cluster_redis_up = s == State::Up ? 1 : 0;
  if (s == State::Up && before != State::Up) {
    log_info("cluster: Redis " + address_.to_string() + " (" + role_ + ") is " +
             (ever_up_ ? "reachable again" : "connected"));
    ever_up_ = true;
    logged_down_ = false;
    if (on_state_) on_state_(true);
  } else if (s == State::Down && (before == State::Up || !logged_down_)) {
    // One line per outage, not one per reconnect attempt.
    log_warning("cluster: Redis " + address_.to_string() + " (" + role_ +
                ") is unreachable: " + why + "; retrying with backoff up to 5 s");
    logged_down_ = true;
    if (before == State::Up && on_state_) on_state_(false);
  }
}

void RedisClient::connection_lost(const std::string &why) {
  ac_ = nullptr;  // hiredis frees it once the callback returns
  Source::destroy(source_);
  source_ = nullptr;
  set_state(State::Down, why);
  reconnect_timer_.once(backoff_ms(attempt_++), [this] { connect(); });
}

void RedisClient::reply_trampoline(redisAsyncContext *ac, void *reply, void *privdata) {
  auto *self = static_cast<RedisClient *>(ac->data);
  if (!self) return;
  if (!reply) return self->deliver(privdata_to_id(privdata), nullptr);
  RedisValue v = RedisValue::from_hiredis(*static_cast<redisReply *>(reply));
  self->deliver(privdata_to_id(privdata), &v);
}

void RedisClient::message_trampoline(redisAsyncContext *ac, void *reply, void *) {
  auto *self = static_cast<RedisClient *>(ac->data);
  if (!self || !reply) return;
  RedisValue v = RedisValue::from_hiredis(*static_cast<redisReply *>(reply));
  // ["message", channel, payload]; the subscribe confirmations are skipped.
  if (v.type != RedisValue::Type::Array || v.elements.size() != 3 || v.elements[0].str != "message")
    return;
  auto it = self->subscriptions_.find(v.elements[1].str);
  if (it != self->subscriptions_.end() && it->second) it->second(v.elements[2].str);
}

void RedisClient::connect_trampoline(const redisAsyncContext *ac, int status) {
  auto *self = static_cast<RedisClient *>(ac->data);
  if (self && status != REDIS_OK) self->connection_lost(ac->errstr);
}

void RedisClient::disconnect_trampoline(const redisAsyncContext *ac, int status) {
  auto *self = static_cast<RedisClient *>(ac->data);
  if (self) self->connection_lost(status == REDIS_OK ? "connection closed" : ac->errstr);
}

}  // namespace vncgate
