// vncgated's lifecycle: listeners, sessions, console registry, reload on
// SIGHUP and an orderly stop on SIGTERM/SIGINT.
#pragma once

#include <glib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "console_registry.h"
#include "listener.h"
#include "session.h"

namespace vncgate {

class Daemon : public SessionHost {
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

 private:
  void on_accept(GSocketConnection *conn, const std::optional<std::string> &console);
  bool apply_listeners(const Config &c, bool at_start);
  void reload();
  void stop(const char *why);
  void notify_systemd(const std::string &state);

  std::string config_path_;
  std::shared_ptr<const Config> config_;
  std::shared_ptr<TlsCredentials> tls_;
  ConsoleRegistry registry_;
  // key: "" for the gateway port, else the console name
  std::map<std::string, std::unique_ptr<Listener>> listeners_;
  std::map<uint64_t, std::unique_ptr<Session>> sessions_;
  std::vector<std::unique_ptr<Session>> ended_;
  guint reap_idle_ = 0;
  uint64_t next_id_ = 1;
  GMainLoop *loop_ = nullptr;
  std::vector<guint> signal_sources_;
  bool stopping_ = false;
  int exit_status_ = 0;
};

}  // namespace vncgate
