#include "daemon.h"

#include <glib-unix.h>
#include <signal.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include "logging.h"
#include "security/sasl_server.h"

namespace vncgate {
namespace {

// Where each listener role listens: the gateway on [gateway] listen; each
// dedicated console port on the same hosts (loopback when none is set).
std::map<std::string, std::vector<HostPort>> wanted_listeners(const Config &c) {
  std::map<std::string, std::vector<HostPort>> out;
  if (!c.listen.empty()) out[""] = c.listen;
  std::vector<std::string> hosts;
  for (const auto &l : c.listen) {
    if (std::find(hosts.begin(), hosts.end(), l.host) == hosts.end()) hosts.push_back(l.host);
  }
  if (hosts.empty()) hosts = {"127.0.0.1", "::1"};
  for (const auto &[name, con] : c.consoles) {
    if (!con.port) continue;
    for (const auto &h : hosts) out[name].push_back(HostPort{h, *con.port});
  }
  return out;
}

}  // namespace

Daemon::Daemon(std::string config_path, Config config, std::shared_ptr<TlsCredentials> tls)
    : config_path_(std::move(config_path)),
      config_(std::make_shared<Config>(std::move(config))),
      tls_(std::move(tls)) {
  registry_.configure(*config_);
}

Daemon::~Daemon() {
  for (guint id : signal_sources_) g_source_remove(id);
  if (reap_idle_) g_source_remove(reap_idle_);
  listeners_.clear();
  sessions_.clear();
  ended_.clear();
  if (loop_) g_main_loop_unref(loop_);
}

void Daemon::notify_systemd(const std::string &state) {
#ifdef HAVE_LIBSYSTEMD
  sd_notify(0, state.c_str());
#else
  (void)state;
#endif
}

bool Daemon::start() {
  if (!apply_listeners(*config_, true)) return false;
  auto add_signal = [this](int sig, GSourceFunc fn) {
    signal_sources_.push_back(g_unix_signal_add(sig, fn, this));
  };
  add_signal(SIGTERM, [](gpointer d) -> gboolean {
    static_cast<Daemon *>(d)->stop("SIGTERM");
    return G_SOURCE_CONTINUE;
  });
  add_signal(SIGINT, [](gpointer d) -> gboolean {
    static_cast<Daemon *>(d)->stop("SIGINT");
    return G_SOURCE_CONTINUE;
  });
  add_signal(SIGHUP, [](gpointer d) -> gboolean {
    static_cast<Daemon *>(d)->reload();
    return G_SOURCE_CONTINUE;
  });
  std::string where;
  for (const auto &[key, l] : listeners_) {
    for (const auto &a : l->addresses()) {
      where += (where.empty() ? "" : ", ") + a.to_string() + (key.empty() ? "" : " (console " + key + ")");
    }
  }
  log_info("vncgated " VNCGATE_VERSION " ready, listening on " + where);
  notify_systemd("READY=1\nSTATUS=listening on " + where);
  return true;
}

int Daemon::run() {
  loop_ = g_main_loop_new(nullptr, FALSE);
  g_main_loop_run(loop_);
  return exit_status_;
}

bool Daemon::apply_listeners(const Config &c, bool at_start) {
  auto wanted = wanted_listeners(c);
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second->addresses()) {
      it = listeners_.erase(it);  // frees the port before it is bound again
    } else {
      ++it;
    }
  }
  bool ok = true;
  for (const auto &[key, addrs] : wanted) {
    if (listeners_.count(key)) continue;
    std::optional<std::string> console;
    if (!key.empty()) console = key;
    auto l = std::make_unique<Listener>(console, [this](GSocketConnection *conn,
                                                       const std::optional<std::string> &con) {
      on_accept(conn, con);
    });
    bool bound = true;
    for (const auto &a : addrs) {
      std::string error;
      if (!l->add(a, error)) {
        log_error(error);
        bound = false;
        break;
      }
    }
    if (!bound) {
      ok = false;
      if (at_start) return false;
      continue;
    }
    listeners_.emplace(key, std::move(l));
  }
  return ok;
}

void Daemon::on_accept(GSocketConnection *conn, const std::optional<std::string> &console) {
  GSocket *sock = g_socket_connection_get_socket(conn);
  GSocketAddress *remote = g_socket_connection_get_remote_address(conn, nullptr);
  std::string who = "?";
  bool allowed = false;
  if (remote && G_IS_INET_SOCKET_ADDRESS(remote)) {
    GInetAddress *ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote));
    gchar *s = g_inet_address_to_string(ia);
    who = s;
    g_free(s);
    allowed = config_->allowed_clients.allows(ia);
  }
  if (remote) g_object_unref(remote);
  if (!allowed) {
    log_info("refused connection from " + who + ": not in allowed-clients");
    g_socket_close(sock, nullptr);
    return;
  }
  if (stopping_) {
    g_socket_close(sock, nullptr);
    return;
  }
  if (sessions_.size() >= config_->max_sessions) {
    log_warning("refused connection from " + who + ": max-sessions (" +
                std::to_string(config_->max_sessions) + ") reached");
    g_socket_close(sock, nullptr);
    return;
  }
  if (console && !config_->consoles.count(*console)) {
    g_socket_close(sock, nullptr);
    return;
  }
  uint64_t id = next_id_++;
  auto s = std::make_unique<Session>(*this, id, conn, console);
  Session *raw = s.get();
  sessions_.emplace(id, std::move(s));
  raw->start();
}

void Daemon::session_ended(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  ended_.push_back(std::move(it->second));
  sessions_.erase(it);
  // Destroy from the main loop, never inside the session's own callback.
  if (!reap_idle_) {
    reap_idle_ = g_idle_add(
        [](gpointer d) -> gboolean {
          auto *self = static_cast<Daemon *>(d);
          self->reap_idle_ = 0;
          self->ended_.clear();
          return G_SOURCE_REMOVE;
        },
        this);
  }
}

void Daemon::reload() {
  if (stopping_) return;
  notify_systemd("RELOADING=1");
  Config fresh;
  std::string error;
  if (!load_config(config_path_, fresh, error)) {
    log_error("reload failed, keeping the current configuration: " + error);
    notify_systemd("READY=1\nSTATUS=reload failed: " + error);
    return;
  }
  std::shared_ptr<TlsCredentials> fresh_tls;
  if (fresh.tls_configured()) {
    fresh_tls = TlsCredentials::load(fresh.tls, error);
    if (!fresh_tls) {
      log_error("reload failed, keeping the current configuration: " + error);
      notify_systemd("READY=1\nSTATUS=reload failed: " + error);
      return;
    }
  }
  if (fresh.sasl_app_name != config_->sasl_app_name) {
    log_warning("[sasl] app-name changes only take effect after a restart");
  }
  apply_listeners(fresh, false);
  registry_.configure(fresh);
  config_ = std::make_shared<Config>(std::move(fresh));
  tls_ = std::move(fresh_tls);  // running sessions keep the credentials they started with
  log_info("configuration reloaded from " + config_path_ + " (" +
           std::to_string(config_->consoles.size()) + " consoles, " +
           std::to_string(sessions_.size()) + " sessions kept)");
  notify_systemd("READY=1\nSTATUS=configuration reloaded");
}

void Daemon::stop(const char *why) {
  if (stopping_) return;
  stopping_ = true;
  notify_systemd("STOPPING=1");
  log_info(std::string("stopping (") + why + "): ending " + std::to_string(sessions_.size()) +
           " sessions");
  listeners_.clear();
  std::vector<uint64_t> ids;
  for (const auto &[id, s] : sessions_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = sessions_.find(id);
    if (it != sessions_.end()) it->second->stop("daemon stopping");
  }
  registry_.shutdown([this] {
    log_info("stopped");
    g_main_loop_quit(loop_);
  });
}

}  // namespace vncgate
