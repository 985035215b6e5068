// vncgated's lifecycle: listeners, sessions, console registry, reload on
// SIGHUP and an orderly stop on SIGTERM/SIGINT.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admission.h"
#include "cluster/cluster.h"
#include "cluster/session_directory.h"
#include "cluster/shared_consoles.h"
#include "config.h"
#include "console_registry.h"
#include "control/control_server.h"
#include "control/state_store.h"
#include "io/main_loop_timer.h"
#include "listener.h"
#include "session.h"
#include "web/web_server.h"

namespace vncgate {

class Daemon : public SessionHost, public ControlHost, public WebHost {
 public:
  Daemon(std::string config_path, Config config, std::shared_ptr<TlsCredentials> tls);
  ~Daemon() override;

  // Binds every listener; false (with the reason logged) on failure.
  bool start();
  // Runs the main loop until stopped; returns the exit status.
  int run();

  ConsoleRegistry &registry() override { return registry_; }
  std::shared_ptr<const Config> config() const override { return config_; }
  std::shared_ptr<TlsCredentials> tls() const override { return tls_; }
  void session_ended(uint64_t id) override;
  void use_token(const std::string &secret, const std::string &console, TokenUseFn done) override;
  void settle_token(const std::string &id, bool consumed, TokenSettledFn done) override;
  LoginLimits &login_limits() override;
  bool tokenless_login_allowed() const override {
    return !cluster_ || cluster_->redis_up() || cluster_->config().tokenless_logins_without_redis;
  }
  bool session_slot_free() const override;
  WorkerPool *sasl_workers() override;

  // ControlHost (daemon_control.cpp)
  std::vector<SessionInfo> session_list() const override;
  bool end_session(uint64_t id, const std::string &reason) override;
  std::vector<ConsoleInfo> console_list() const override;
  void mint_link(const std::string &console, const std::string &user, int64_t ttl, bool one_time,
                 MintLinkFn done) override;
  void revoke_token(const std::string &id, RevokeTokenFn done) override;
  PutConsoleResult put_console(const ConsoleConfig &c) override;
  DeleteConsoleResult delete_console(const std::string &name) override;
  std::string metrics_text() const override;
  bool draining() const override { return draining_; }
  AdmissionControl::Ticket admit_proxied_client(uint64_t id, GInetAddress *client,
                                                std::string &why) override;
  void set_draining(bool on) override;
  void all_sessions(AllSessionsFn done) override;
  void end_node_session(const std::string &node, uint64_t id,
                        std::function<void(bool found)> done) override;
  std::string node_name() const override;

  // WebHost (daemon_sessions.cpp)
  bool web_console_known(const std::string &name) const override;
  void start_web_session(GSocketAddress *remote, const std::string &console, WebPeer peer) override;

 private:
  struct SignalSourceDestroy {
    void operator()(GSource *s) const {
      g_source_destroy(s);
      g_source_unref(s);
    }
  };
  struct MainLoopUnref {
    void operator()(GMainLoop *l) const { g_main_loop_unref(l); }
  };

  // daemon_sessions.cpp: admission of a connection, sessions' end.
  void on_accept(GSocketConnection *conn, const std::optional<std::string> &console);
  void admit(GSocketConnection *conn, GSocketAddress *remote,
             const std::optional<std::string> &console, std::optional<WebPeer> web);
  bool start_web();
  void refuse_connection(GSocket *sock, const std::string &who, const std::string &source,
                         const std::string &why);
  std::string admission_refusal(AdmissionControl::Refusal why, const std::string &source) const;
  void evict_handshake(uint64_t victim);
  bool apply_listeners(const Config &c, bool at_start);
  void add_signal(int signum, GSourceFunc handler);
  void reload();
  void recheck_sessions();  // after a reload: authorization stays live
  void stop(const char *why);
  void notify_systemd(const std::string &state);
  // File configuration plus consoles added through the control API.
  Config effective(const Config &file) const;
  // Applies the consoles of the state store after a change through the API.
  void apply_runtime_consoles();
  // [cluster]: the runtime consoles become those in Redis (daemon_control.cpp).
  void apply_shared_consoles(const std::map<std::string, ConsoleConfig> &shared);
  void start_control();
  void adopt_vterms();
  ControlSettings control_settings() const;
  bool control_settings_changed() const;
  size_t end_token_sessions(const std::string &token_id, const std::string &reason);
  bool settle_local_token(const std::string &id, bool consumed);
  void share_login_failures();
  void share_token_revocations();
  static constexpr const char *kRevokedTokensChannel = "vncgate:revoked-tokens";

  std::string config_path_;
  std::shared_ptr<const Config> config_;
  Config file_config_;                // as read from the file, before runtime consoles
  StateStore state_;                  // tokens, runtime consoles, opened vterms
  std::unique_ptr<Cluster> cluster_;  // [cluster]: tokens in Redis instead of state_
  // [cluster]: the connection of the session directory and the shared
  // consoles, apart from the token's one: their heartbeat must not change
  // how a token command meets a hung Redis.
  std::unique_ptr<RedisClient> directory_redis_;
  // [cluster]: every node's sessions; destroyed before the clients it uses.
  std::unique_ptr<SessionDirectory> session_directory_;
  std::unique_ptr<SharedConsoles> shared_consoles_;  // [cluster]: runtime consoles
  LoginLimits login_limits_;
  std::unique_ptr<ControlServer> control_;
  std::shared_ptr<TlsCredentials> tls_;
  ConsoleRegistry registry_;
  // key: "" for the gateway port, else the console name
  std::map<std::string, std::unique_ptr<Listener>> listeners_;
  AdmissionControl admission_;  // outlives the sessions, which hold its tickets
  // [sasl] workers (null: SASL on the main loop); outlives the sessions.
  std::unique_ptr<WorkerPool> sasl_pool_;
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::vector<std::unique_ptr<Session>> ended_;
  MainLoopTimer reap_idle_;
  // [web]: destroyed before the sessions it may still be bridging to.
  std::unique_ptr<WebServer> web_;
  MainLoopTimer trim_timer_;  // malloc_trim after a flood of handshake buffers
  uint64_t next_id_ = 1;
  std::unique_ptr<GMainLoop, MainLoopUnref> loop_;
  std::vector<std::unique_ptr<GSource, SignalSourceDestroy>> signal_sources_;
  bool stopping_ = false;
  bool draining_ = false;  // vncgatectl drain: survives SIGHUP, not a restart
  int exit_status_ = 0;
};

}  // namespace vncgate
