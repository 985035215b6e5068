// Daemon: what the control API asks of it (ControlHost) and the control
// server's settings.
#include "control/capacity_metrics.h"
#include "control/metrics.h"
#include "daemon.h"
#include "logging.h"

namespace vncgate {

Config Daemon::effective(const Config &file) const {
  Config c = file;
  for (const auto &[name, con] : state_.runtime_consoles()) {
    if (!c.consoles.count(name)) c.consoles[name] = con;
  }
  return c;
}

bool Daemon::control_settings_changed() const {
  return !control_ || control_->settings() != control_settings();
}

ControlSettings Daemon::control_settings() const {
  ControlSettings s;
  s.socket_path = config_->control_socket;
  s.socket_group = config_->control_group;
  s.listen = config_->control_listen;
  s.health_listen = config_->control_health_listen;
  s.cert = config_->control_cert;
  s.key = config_->control_key;
  s.ca = config_->control_ca;
  s.users_file = config_->control_users_file;
  s.public_host = config_->public_host.empty() ? g_get_host_name() : config_->public_host;
  s.public_port = config_->listen.empty() ? 5901 : config_->listen.front().port;
  if (web_ && !web_->ports().empty()) s.web_port = web_->ports().front();
  s.web_tls = !config_->web_cert.empty();
  return s;
}

void Daemon::start_control() {
  control_.reset();  // frees the socket path before binding it again
  std::string error;
  control_ = ControlServer::start(*this, control_settings(), error);
  if (!control_) log_error("control API not available: " + error);
}

std::vector<SessionInfo> Daemon::session_list() const {
  std::vector<SessionInfo> out;
  for (const auto &[id, s] : sessions_) out.push_back(s->info());
  return out;
}

void Daemon::all_sessions(AllSessionsFn done) {
  if (!session_directory_) return done(true, session_list());
  session_directory_->list(std::move(done));
}

void Daemon::end_node_session(const std::string &node, uint64_t id,
                              std::function<void(bool found)> done) {
  if (!session_directory_) return done(false);
  session_directory_->end(node, id, std::move(done));
}

std::string Daemon::node_name() const {
  return cluster_ ? cluster_->config().node_name : std::string();
}

bool Daemon::end_session(uint64_t id, const std::string &reason) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return false;
  it->second->stop(reason);
  return true;
}

size_t Daemon::end_token_sessions(const std::string &token_id, const std::string &reason) {
  std::vector<uint64_t> ids;
  for (const auto &[id, s] : sessions_) {
    if (s->token_id() == token_id) ids.push_back(id);
  }
  for (uint64_t id : ids) end_session(id, reason);
  return ids.size();
}

std::vector<ConsoleInfo> Daemon::console_list() const {
  std::vector<ConsoleInfo> out;
  for (const auto &[name, con] : config_->consoles) {
    auto snap = registry_.snapshot(name);
    out.push_back(ConsoleInfo{
        name, con.lpar_id ? "mkvterm" : "static", snap.state, snap.sessions, snap.idle_deadline,
        state_.has_runtime_console(name) && !file_config_.consoles.count(name)});
  }
  return out;
}

void Daemon::mint_link(const std::string &console, const std::string &user, int64_t ttl,
                       bool one_time, MintLinkFn done) {
  int64_t now = g_get_real_time() / 1000000;
  MintLinkResult result;
  // Minted by the local store (the secret and record are made the same
  // way), then kept in Redis instead of the state directory when clustered.
  result.token = state_.tokens().mint(console, user, ttl, one_time, now);
  if (cluster_) {
    state_.tokens().forget(result.token.record.id);
    return cluster_->tokens().mint(result.token.record, now,
                                   [result, done = std::move(done)](bool stored) mutable {
                                     result.saved = stored;
                                     done(result);
                                   });
  }
  result.saved = state_.save_tokens(now);
  if (!result.saved) state_.tokens().forget(result.token.record.id);
  done(result);
}

void Daemon::revoke_token(const std::string &id, RevokeTokenFn done) {
  RevokeTokenResult result;
  if (cluster_) {
    // This node's sessions end here, the other nodes' when they hear of it
    // (share_token_revocations).
    return cluster_->tokens().revoke(
        id, [this, id, done = std::move(done)](RedisTokenStore::RevokeResult r) {
          RevokeTokenResult result;
          if (r == RedisTokenStore::RevokeResult::Revoked) {
            result.status = RevokeTokenResult::Status::Revoked;
            result.sessions_ended = end_token_sessions(id, "token revoked");
            cluster_->redis().command({"PUBLISH", kRevokedTokensChannel, id}, nullptr);
          } else if (r == RedisTokenStore::RevokeResult::Unavailable) {
            result.status = RevokeTokenResult::Status::Unavailable;
          }
          done(result);
        });
  }
  if (!state_.tokens().revoke(id)) return done(result);  // Unknown
  bool saved = state_.save_tokens(g_get_real_time() / 1000000);
  result.sessions_ended = end_token_sessions(id, "token revoked");
  result.status = saved ? RevokeTokenResult::Status::Revoked : RevokeTokenResult::Status::NotSaved;
  done(result);
}

void Daemon::apply_runtime_consoles() {
  Config eff = effective(file_config_);
  registry_.configure(eff);
  config_ = std::make_shared<Config>(std::move(eff));
}

PutConsoleResult Daemon::put_console(const ConsoleConfig &c) {
  if (file_config_.consoles.count(c.name)) return PutConsoleResult::DefinedInFile;
  bool replaced = false;
  state_.put_runtime_console(c, replaced);
  apply_runtime_consoles();
  if (shared_consoles_) shared_consoles_->put(c);
  log_info("control: console " + c.name + (replaced ? " replaced" : " added"));
  return replaced ? PutConsoleResult::Replaced : PutConsoleResult::Added;
}

DeleteConsoleResult Daemon::delete_console(const std::string &name) {
  if (file_config_.consoles.count(name)) return DeleteConsoleResult::DefinedInFile;
  if (!state_.erase_runtime_console(name)) return DeleteConsoleResult::Unknown;
  apply_runtime_consoles();
  if (shared_consoles_) shared_consoles_->erase(name);
  log_info("control: console " + name + " removed (running sessions continue)");
  return DeleteConsoleResult::Removed;
}

// Redis holds the cluster's runtime consoles: those it lacks go, those it
// has (and the file does not define) come or change. Unchanged ones are
// left alone, so a refresh costs nothing.
void Daemon::apply_shared_consoles(const std::map<std::string, ConsoleConfig> &shared) {
  size_t changed = 0;
  for (const auto &[name, c] : shared) {
    if (file_config_.consoles.count(name)) continue;  // the file's own stays
    auto it = state_.runtime_consoles().find(name);
    if (it != state_.runtime_consoles().end() && it->second == c) continue;
    bool replaced = false;
    state_.put_runtime_console(c, replaced);
    ++changed;
  }
  std::vector<std::string> gone;
  for (const auto &[name, c] : state_.runtime_consoles())
    if (!shared.count(name)) gone.push_back(name);
  for (const auto &name : gone) state_.erase_runtime_console(name);
  if (!changed && gone.empty()) return;
  apply_runtime_consoles();
  log_info("cluster: runtime consoles from Redis: " + std::to_string(changed) +
           " added or changed, " + std::to_string(gone.size()) + " removed");
}

void Daemon::set_draining(bool on) {
  if (on == draining_) return;
  draining_ = on;
  if (on) {
    log_info("control: draining: new clients are refused, " + std::to_string(sessions_.size()) +
             " running sessions continue");
    notify_systemd("STATUS=draining");
  } else {
    log_info("control: drain ended: new clients are accepted again");
    notify_systemd("STATUS=serving");
  }
}

std::string Daemon::metrics_text() const {
  size_t open = 0;
  for (const auto &[name, con] : config_->consoles) {
    if (registry_.snapshot(name).state == "open") ++open;
  }
  metrics().lockouts_active = login_limits_.active();
  return metrics().render(sessions_.size(), open) + render_capacity_metrics(config_->max_sessions) +
         admission_.metrics_text() +
         "# HELP vncgate_draining 1 while the gateway is drained (new clients refused).\n"
         "# TYPE vncgate_draining gauge\n"
         "vncgate_draining " +
         (draining_ ? "1" : "0") + "\n";
}

}  // namespace vncgate
