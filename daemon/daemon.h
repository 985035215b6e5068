// vncgated's lifecycle: listeners, sessions, console registry, reload on
// SIGHUP and an orderly stop on SIGTERM/SIGINT.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "admission.h"
#include "config.h"
#include "console_registry.h"
#include "control/control_server.h"
#include "control/token_store.h"
#include "listener.h"
#include "session.h"

namespace vncgate {

class Daemon : public SessionHost, public ControlHost {
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
  TokenCheck use_token(const std::string &secret, const std::string &console,
                       TokenRecord &record) override;
  bool settle_token(const std::string &id, bool consumed) override;
  LoginLimits &login_limits() override;
  bool session_slot_free() const override;
  WorkerPool *sasl_workers() override { return sasl_pool_.get(); }

  // ControlHost
  TokenStore &tokens() override { return tokens_; }
  bool tokens_changed() override;
  std::vector<SessionInfo> session_list() const override;
  bool end_session(uint64_t id, const std::string &reason) override;
  size_t end_token_sessions(const std::string &token_id, const std::string &reason) override;
  std::vector<ConsoleInfo> console_list() const override;
  int put_console(const ConsoleConfig &c, std::string &error) override;
  int delete_console(const std::string &name, std::string &error) override;
  std::string metrics_text() const override;

 private:
  void on_accept(GSocketConnection *conn, const std::optional<std::string> &console);
  bool apply_listeners(const Config &c, bool at_start);
  void reload();
  void recheck_sessions();  // after a reload: authorization stays live
  void stop(const char *why);
  void notify_systemd(const std::string &state);
  // File configuration plus consoles added through the control API.
  Config effective(const Config &file) const;
  void apply(Config fresh);
  void start_control();
  ControlSettings control_settings() const;
  bool control_settings_changed() const;
  void save_runtime_consoles();
  void load_state();
  bool save_state(const char *name, const std::string &text);  // false: not saved (logged)

  std::string config_path_;
  std::shared_ptr<const Config> config_;
  Config file_config_;  // as read from the file, before runtime consoles
  std::map<std::string, ConsoleConfig> runtime_consoles_;
  TokenStore tokens_;
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
  guint reap_idle_ = 0;
  guint trim_timer_ = 0;  // malloc_trim after a flood of handshake buffers
  uint64_t next_id_ = 1;
  GMainLoop *loop_ = nullptr;
  std::vector<guint> signal_sources_;
  bool stopping_ = false;
  int exit_status_ = 0;
};

}  // namespace vncgate
