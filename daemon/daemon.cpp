#include "daemon.h"

#include <glib-unix.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
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

AdmissionLimits admission_limits(const Config &c) {
  return AdmissionLimits{c.max_handshakes_per_source, c.max_handshakes,
                         size_t(c.handshake_buffer_mib) << 20};
}

}  // namespace

Daemon::Daemon(std::string config_path, Config config, std::shared_ptr<TlsCredentials> tls)
    : config_path_(std::move(config_path)),
      config_(std::make_shared<Config>(config)),
      file_config_(std::move(config)),
      tls_(std::move(tls)) {
  state_.set_dir(file_config_.state_dir);
  state_.load();
  config_ = std::make_shared<Config>(effective(file_config_));
  registry_.configure(*config_);
  admission_.set_limits(admission_limits(*config_));
#if defined(__GLIBC__)
  // glibc keeps freed handshake buffers in its heap; after a flood of large
  // SASL fields, hand them back so RSS returns to its baseline.
  // Deferred a little, so the sessions that just ended have been reaped.
  admission_.on_drained = [this] {
    if (trim_timer_.active()) return;
    trim_timer_.once(250, [] { malloc_trim(0); });
  };
#endif
}

Daemon::~Daemon() {
  signal_sources_.clear();
  reap_idle_.cancel();
  trim_timer_.cancel();
  listeners_.clear();
  sessions_.clear();
  ended_.clear();
}

void Daemon::notify_systemd(const std::string &state) {
#ifdef HAVE_LIBSYSTEMD
  sd_notify(0, state.c_str());
#else
  (void)state;
#endif
}

// The source is owned (signal_sources_) and destroyed with the Daemon, so
// `this` is never called after it.
void Daemon::add_signal(int signum, GSourceFunc handler) {
  GSource *source = g_unix_signal_source_new(signum);
  g_source_set_callback(source, handler, this, nullptr);
  g_source_attach(source, nullptr);
  signal_sources_.emplace_back(source);
}

bool Daemon::start() {
  if (config_->cluster) {
    // A reservation is settled before the handshake timeout ends the
    // login; the lease only matters when this node dies mid-login.
    cluster_ = std::make_unique<Cluster>(*config_->cluster, config_->handshake_timeout + 5);
    share_login_failures();
    share_token_revocations();
    const ClusterConfig &cc = cluster_->config();
    directory_redis_ =
        std::make_unique<RedisClient>(cc.redis, cc.password_file, "directory", false);
    session_directory_ = std::make_unique<SessionDirectory>(
        *directory_redis_, cluster_->subscriber(), cluster_->config().node_name,
        [this] { return session_list(); },
        [this](uint64_t id) {
          if (end_session(id, "ended by operator on another node"))
            log_info("cluster: session " + std::to_string(id) + " ended from another node");
        });
    session_directory_->start();
    shared_consoles_ = std::make_unique<SharedConsoles>(
        *directory_redis_, cluster_->subscriber(),
        [this](const std::map<std::string, ConsoleConfig> &c) { apply_shared_consoles(c); });
    shared_consoles_->start();
    cluster_->start();
    directory_redis_->start();
  }
  if (config_->sasl_workers > 0)
    sasl_pool_ =
        std::make_unique<WorkerPool>(config_->sasl_workers, WorkerPool::Priority::Background);
  if (!apply_listeners(*config_, true)) return false;
  if (config_->web && !start_web())
    return false;  // before the control API: web links name its port
  if (config_->control) {
    start_control();
    if (!control_) return false;
  }
  if (!config_->state_dir.empty()) adopt_vterms();
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
      where += (where.empty() ? "" : ", ") + a.to_string() +
               (key.empty() ? "" : " (console " + key + ")");
    }
  }
  if (web_) {
    for (uint16_t port : web_->ports()) where += ", web port " + std::to_string(port);
  }
  log_info("vncgated " VNCGATE_VERSION " ready, listening on " + where);
  notify_systemd("READY=1\nSTATUS=listening on " + where);
  return true;
}

// [web] is read at start only (a reload keeps the web front as it was).
bool Daemon::start_web() {
  WebSettings s;
  s.listen = config_->web_listen;
  s.cert = config_->web_cert;
  s.key = config_->web_key;
  s.allowed_origins = config_->web_allowed_origins;
  s.novnc_dir = config_->novnc_dir;
  s.max_pending = config_->max_handshakes;
  s.max_connections = config_->max_sessions + config_->max_handshakes;
  s.first_message_ms = config_->handshake_timeout * 1000u;
  std::string error;
  web_ = WebServer::start(*this, std::move(s), error);
  if (!web_) log_error("cannot start the web front: " + error);
  return web_ != nullptr;
}

int Daemon::run() {
  loop_.reset(g_main_loop_new(nullptr, FALSE));
  g_main_loop_run(loop_.get());
  return exit_status_;
}

bool Daemon::apply_listeners(const Config &c, bool at_start) {
  auto wanted = wanted_listeners(c);
  for (auto it = listeners_.begin(); it != listeners_.end();) {
    auto w = wanted.find(it->first);
    if (w == wanted.end() || w->second != it->second->addresses()) {
      it = listeners_.erase(it);  // frees the port before it is bound again
    } else {
      it->second->set_backlog(static_cast<int>(c.listen_backlog));
      ++it;
    }
  }
  bool ok = true;
  for (const auto &[key, addrs] : wanted) {
    if (listeners_.count(key)) continue;
    std::optional<std::string> console;
    if (!key.empty()) console = key;
    auto l = std::make_unique<Listener>(
        console, static_cast<int>(c.listen_backlog),
        [this](GSocketConnection *conn, const std::optional<std::string> &con) {
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

// Vterms a previous run opened (it may have crashed): closed after the
// grace unless someone uses them. From now on the registry reports each change.
void Daemon::adopt_vterms() {
  registry_.on_vterms_changed(
      [this](const std::vector<std::pair<std::string, int>> &v) { state_.save_vterms(v); });
  auto adopt = state_.load_vterms();
  if (!adopt.empty()) registry_.adopt(adopt);
}

// [cluster]: password-guessing failures counted on every node (login_limits.h).
void Daemon::share_login_failures() {
  static constexpr const char *kChannel = "vncgate:login-failures";
  const std::string node = cluster_->config().node_name;
  login_limits_.share_with([this, node](const std::string &source, const std::string &account) {
    cluster_->redis().command(
        {"PUBLISH", kChannel, shared_failure_message(SharedFailure{node, source, account})},
        nullptr);
  });
  cluster_->subscriber().subscribe(kChannel, [this, node](const std::string &message) {
    login_limits().remote_failure(message, node);
  });
}

// [cluster]: a token revoked on any node ends its sessions on every node
// (the revoking node publishes its id, after the revocation is in Redis).
void Daemon::share_token_revocations() {
  cluster_->subscriber().subscribe(kRevokedTokensChannel, [this](const std::string &token_id) {
    const size_t ended = end_token_sessions(token_id, "token revoked");
    if (ended)
      log_info("cluster: token " + log_safe(token_id) + " revoked on another node: ended " +
               std::to_string(ended) + " sessions");
  });
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
  if (fresh.keytab != config_->keytab || fresh.replay_cache != config_->replay_cache)
    log_warning("[sasl] keytab and replay-cache changes only take effect after a restart");
  tls_ = std::move(fresh_tls);  // running sessions keep the credentials they started with
  if (fresh.cluster != file_config_.cluster)
    log_warning("[cluster] changes only take effect after a restart");
  file_config_ = fresh;
  state_.set_dir(fresh.state_dir);
  Config eff = effective(fresh);
  if (!apply_listeners(eff, false))
    log_error("reload: some listeners could not be bound (see above); the rest is applied");
  registry_.configure(eff);
  admission_.set_limits(admission_limits(eff));
  config_ = std::make_shared<Config>(std::move(eff));
  if (config_->control && (!control_ || control_settings_changed())) start_control();
  if (!config_->control) control_.reset();
  recheck_sessions();
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
  control_.reset();
  web_.reset();
  std::vector<uint64_t> ids;
  for (const auto &[id, s] : sessions_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = sessions_.find(id);
    if (it != sessions_.end()) it->second->stop("daemon stopping");
  }
  registry_.shutdown([this] {
    log_info("stopped");
    g_main_loop_quit(loop_.get());
  });
}

}  // namespace vncgate
