#include "daemon.h"

#include <glib-unix.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <signal.h>

#ifdef HAVE_LIBSYSTEMD
#include <systemd/sd-daemon.h>
#endif

#include <json-glib/json-glib.h>

#include "control/capacity_metrics.h"
#include "control/metrics.h"
#include "logging.h"
#include "rfb/http_connect.h"
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
  load_state();
  config_ = std::make_shared<Config>(effective(file_config_));
  registry_.configure(*config_);
  admission_.set_limits(admission_limits(*config_));
#if defined(__GLIBC__)
  // glibc keeps freed handshake buffers in its heap; after a flood of large
  // SASL fields, hand them back so RSS returns to its baseline.
  // Deferred a little, so the sessions that just ended have been reaped.
  admission_.on_drained = [this] {
    if (trim_timer_) return;
    trim_timer_ = g_timeout_add(
        250,
        [](gpointer d) -> gboolean {
          static_cast<Daemon *>(d)->trim_timer_ = 0;
          malloc_trim(0);
          return G_SOURCE_REMOVE;
        },
        this);
  };
#endif
}

Daemon::~Daemon() {
  for (guint id : signal_sources_) g_source_remove(id);
  if (reap_idle_) g_source_remove(reap_idle_);
  if (trim_timer_) g_source_remove(trim_timer_);
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
  if (config_->sasl_workers > 0) sasl_pool_ = std::make_unique<WorkerPool>(config_->sasl_workers);
  if (!apply_listeners(*config_, true)) return false;
  if (config_->control) {
    start_control();
    if (!control_) return false;
  }
  if (!config_->state_dir.empty()) {
    registry_.on_vterms_changed([this](const std::vector<std::pair<std::string, int>> &v) {
      JsonBuilder *b = json_builder_new();
      json_builder_begin_array(b);
      for (const auto &[name, lpar] : v) {
        json_builder_begin_object(b);
        json_builder_set_member_name(b, "console");
        json_builder_add_string_value(b, name.c_str());
        json_builder_set_member_name(b, "lpar_id");
        json_builder_add_int_value(b, lpar);
        json_builder_end_object(b);
      }
      json_builder_end_array(b);
      JsonNode *root = json_builder_get_root(b);
      gchar *text = json_to_string(root, TRUE);
      save_state("vterms.json", text);
      g_free(text);
      json_node_unref(root);
      g_object_unref(b);
    });
    // Vterms a previous run opened (it may have crashed): close them after
    // the grace unless someone uses them.
    gchar *text = nullptr;
    std::string path = config_->state_dir + "/vterms.json";
    if (g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) {
      std::vector<std::pair<std::string, int>> adopt;
      JsonParser *p = json_parser_new();
      if (json_parser_load_from_data(p, text, -1, nullptr)) {
        JsonNode *root = json_parser_get_root(p);
        if (root && JSON_NODE_HOLDS_ARRAY(root)) {
          JsonArray *a = json_node_get_array(root);
          for (guint i = 0; i < json_array_get_length(a); ++i) {
            JsonNode *n = json_array_get_element(a, i);
            if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
            JsonObject *o = json_node_get_object(n);
            std::string name = json_object_get_string_member_with_default(o, "console", "");
            gint64 lpar = json_object_get_int_member_with_default(o, "lpar_id", -1);
            if (is_valid_console_name(name) && lpar >= 0 && lpar <= INT32_MAX)
              adopt.emplace_back(name, static_cast<int>(lpar));
          }
        }
      }
      g_object_unref(p);
      g_free(text);
      if (!adopt.empty()) registry_.adopt(adopt);
    }
  }
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
      where += (where.empty() ? "" : ", ") + a.to_string() +
               (key.empty() ? "" : " (console " + key + ")");
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

void Daemon::on_accept(GSocketConnection *conn, const std::optional<std::string> &console) {
  GSocket *sock = g_socket_connection_get_socket(conn);
  GSocketAddress *remote = g_socket_connection_get_remote_address(conn, nullptr);
  std::string who = "?", source = "?";
  bool allowed = false;
  if (remote && G_IS_INET_SOCKET_ADDRESS(remote)) {
    GInetAddress *ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote));
    gchar *s = g_inet_address_to_string(ia);
    who = s;
    g_free(s);
    allowed = config_->allowed_clients.allows(ia);
    source = admission_source(g_inet_address_to_bytes(ia), g_inet_address_get_native_size(ia));
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
  if (console && !config_->consoles.count(*console)) {
    g_socket_close(sock, nullptr);
    return;
  }
  // Refusals here are what a flood produces: one log line a second per source.
  auto refuse = [&](const std::string &why) {
    uint64_t suppressed = 0;
    if (admission_.should_log(source, g_get_monotonic_time(), suppressed))
      log_warning("refused connection from " + who + ": " + why +
                  (suppressed ? " (" + std::to_string(suppressed) +
                                    " more refusals of this source not logged)"
                              : ""));
    g_socket_close(sock, nullptr);
  };
  // Handshakes have their own places (max-handshakes): only sessions past
  // login fill max-sessions.
  if (sessions_.size() - admission_.handshakes() >= config_->max_sessions) {
    admission_.note_max_sessions_refusal();
    return refuse("max-sessions (" + std::to_string(config_->max_sessions) + ") reached");
  }
  AdmissionControl::Refusal why;
  uint64_t id = next_id_;
  auto ticket = admission_.admit(source, why, [this](uint64_t victim) {
    return [this, victim] {
      auto it = sessions_.find(victim);
      if (it == sessions_.end()) return;
      uint64_t suppressed = 0;
      if (admission_.should_log("(evictions)", g_get_monotonic_time(), suppressed))
        log_warning(
            "every handshake place (max-handshakes) is taken: ended the oldest handshake "
            "of the busiest source, session " +
            std::to_string(victim) + " from " + it->second->client_address() +
            (suppressed ? " (and " + std::to_string(suppressed) + " more not logged)" : ""));
      it->second->stop("handshake place taken by another source");
    };
  }(id));
  if (!ticket.held()) {
    std::string detail;
    switch (why) {
      case AdmissionControl::Refusal::PerSource:
        detail = std::to_string(admission_.handshakes_from(source)) + " handshakes from " + source +
                 " already (max-handshakes-per-source)";
        break;
      case AdmissionControl::Refusal::Total:
        detail = std::to_string(admission_.handshakes()) + " handshakes already (max-handshakes)";
        break;
      default:
        detail = "handshake buffers hold " + std::to_string(admission_.buffered()) +
                 " bytes already (handshake-buffer-mib)";
    }
    return refuse(detail);
  }
  next_id_++;
  auto s = std::make_unique<Session>(*this, id, conn, console);
  Session *raw = s.get();
  raw->hold_admission(std::move(ticket));
  sessions_.emplace(id, std::move(s));
  raw->start();
}

bool Daemon::session_slot_free() const {
  return sessions_.size() - admission_.handshakes() <= config_->max_sessions;
}

void Daemon::session_ended(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  ended_.push_back(std::move(it->second));
  sessions_.erase(it);
  // Destroy from the main loop, never inside the session's own callback.
  if (!reap_idle_) {
    // At default priority: an idle-priority source starves while relays keep
    // the loop busy, and ended sessions (with their buffers and SASL
    // contexts) would pile up for as long as the load lasts.
    reap_idle_ = g_idle_add_full(
        G_PRIORITY_DEFAULT,
        [](gpointer d) -> gboolean {
          auto *self = static_cast<Daemon *>(d);
          self->reap_idle_ = 0;
          self->ended_.clear();
          return G_SOURCE_REMOVE;
        },
        this, nullptr);
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
  if (fresh.keytab != config_->keytab || fresh.replay_cache != config_->replay_cache)
    log_warning("[sasl] keytab and replay-cache changes only take effect after a restart");
  tls_ = std::move(fresh_tls);  // running sessions keep the credentials they started with
  file_config_ = fresh;
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

void Daemon::recheck_sessions() {
  // Ending a session removes it from sessions_: walk a copy of the ids.
  std::vector<uint64_t> ids;
  for (const auto &[id, s] : sessions_) ids.push_back(id);
  for (uint64_t id : ids) {
    auto it = sessions_.find(id);
    if (it != sessions_.end()) it->second->recheck_authorization(*config_);
  }
}

TokenCheck Daemon::use_token(const std::string &secret, const std::string &console,
                             TokenRecord &record) {
  return tokens_.use(secret, console, g_get_real_time() / 1000000, record);
}

bool Daemon::settle_token(const std::string &id, bool consumed) {
  if (!tokens_.settle(id, consumed) || tokens_changed()) return true;
  // Not saved. The record stays used in memory (this run never accepts it
  // again), but after a restart the old file would make it valid again:
  // a one-time token must then open nothing.
  auto it = tokens_.records().find(id);
  return !(consumed && it != tokens_.records().end() && it->second.one_time);
}

bool Daemon::tokens_changed() {
  tokens_.prune(g_get_real_time() / 1000000);
  return save_state("tokens.json", tokens_.to_json());
}

bool Daemon::save_state(const char *name, const std::string &text) {
  if (config_->state_dir.empty()) return true;
  g_mkdir_with_parents(config_->state_dir.c_str(), 0700);
  std::string path = config_->state_dir + "/" + name;
  GError *err = nullptr;
  // Written to a temporary file and renamed: a crash never leaves half a file.
  // G_FILE_SET_CONTENTS_CONSISTENT also fsyncs, so a full disk shows here.
  if (!g_file_set_contents_full(path.c_str(), text.data(), static_cast<gssize>(text.size()),
                                G_FILE_SET_CONTENTS_CONSISTENT, 0600, &err)) {
    log_error("cannot save " + path + ": " + err->message);
    g_error_free(err);
    return false;
  }
  return true;
}

void Daemon::load_state() {
  if (file_config_.state_dir.empty()) return;
  gchar *text = nullptr;
  std::string path = file_config_.state_dir + "/tokens.json";
  if (g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) {
    std::string error;
    if (!tokens_.from_json(text, error)) log_warning(path + ": ignored: " + error);
    g_free(text);
  }
  path = file_config_.state_dir + "/consoles.json";
  if (g_file_get_contents(path.c_str(), &text, nullptr, nullptr)) {
    JsonParser *p = json_parser_new();
    if (json_parser_load_from_data(p, text, -1, nullptr)) {
      JsonNode *root = json_parser_get_root(p);
      if (root && JSON_NODE_HOLDS_ARRAY(root)) {
        JsonArray *a = json_node_get_array(root);
        for (guint i = 0; i < json_array_get_length(a); ++i) {
          JsonNode *n = json_array_get_element(a, i);
          if (!JSON_NODE_HOLDS_OBJECT(n)) continue;
          JsonObject *o = json_node_get_object(n);
          ConsoleConfig c;
          c.name = json_object_get_string_member_with_default(o, "name", "");
          if (!is_valid_console_name(c.name)) continue;
          gint64 lpar = json_object_get_int_member_with_default(o, "lpar_id", -1);
          std::string backend = json_object_get_string_member_with_default(o, "backend", "");
          if (lpar >= 0 && lpar <= INT32_MAX) c.lpar_id = static_cast<int>(lpar);
          std::string why;
          if (!backend.empty()) c.backend = parse_host_port(backend, true, why);
          if (c.lpar_id.has_value() == c.backend.has_value()) continue;
          c.force = json_object_get_boolean_member_with_default(o, "force", FALSE);
          if (json_object_has_member(o, "allowed_users")) {
            JsonArray *u = json_object_get_array_member(o, "allowed_users");
            for (guint k = 0; u && k < json_array_get_length(u); ++k)
              c.allowed_users.emplace_back(json_array_get_string_element(u, k));
          }
          runtime_consoles_[c.name] = c;
        }
      }
    }
    g_object_unref(p);
    g_free(text);
  }
}

Config Daemon::effective(const Config &file) const {
  Config c = file;
  for (const auto &[name, con] : runtime_consoles_) {
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
  s.cert = config_->control_cert;
  s.key = config_->control_key;
  s.ca = config_->control_ca;
  s.users_file = config_->control_users_file;
  s.public_host = config_->public_host.empty() ? g_get_host_name() : config_->public_host;
  s.public_port = config_->listen.empty() ? 5901 : config_->listen.front().port;
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
        runtime_consoles_.count(name) > 0 && !file_config_.consoles.count(name)});
  }
  return out;
}

void Daemon::save_runtime_consoles() {
  JsonBuilder *b = json_builder_new();
  json_builder_begin_array(b);
  for (const auto &[name, c] : runtime_consoles_) {
    json_builder_begin_object(b);
    json_builder_set_member_name(b, "name");
    json_builder_add_string_value(b, name.c_str());
    if (c.lpar_id) {
      json_builder_set_member_name(b, "lpar_id");
      json_builder_add_int_value(b, *c.lpar_id);
    } else {
      json_builder_set_member_name(b, "backend");
      json_builder_add_string_value(b, c.backend->to_string().c_str());
    }
    json_builder_set_member_name(b, "force");
    json_builder_add_boolean_value(b, c.force);
    json_builder_set_member_name(b, "allowed_users");
    json_builder_begin_array(b);
    for (const auto &u : c.allowed_users) json_builder_add_string_value(b, u.c_str());
    json_builder_end_array(b);
    json_builder_end_object(b);
  }
  json_builder_end_array(b);
  JsonNode *root = json_builder_get_root(b);
  gchar *text = json_to_string(root, TRUE);
  save_state("consoles.json", text);
  g_free(text);
  json_node_unref(root);
  g_object_unref(b);
}

int Daemon::put_console(const ConsoleConfig &c, std::string &error) {
  if (file_config_.consoles.count(c.name)) {
    error = "console " + c.name + " is defined in the configuration file";
    return 409;
  }
  bool existed = runtime_consoles_.count(c.name) > 0;
  runtime_consoles_[c.name] = c;
  save_runtime_consoles();
  Config eff = effective(file_config_);
  registry_.configure(eff);
  config_ = std::make_shared<Config>(std::move(eff));
  log_info("control: console " + c.name + (existed ? " replaced" : " added"));
  return existed ? 200 : 201;
}

int Daemon::delete_console(const std::string &name, std::string &error) {
  if (file_config_.consoles.count(name)) {
    error = "console " + name + " is defined in the configuration file";
    return 409;
  }
  if (!runtime_consoles_.erase(name)) {
    error = "unknown console " + name;
    return 404;
  }
  save_runtime_consoles();
  Config eff = effective(file_config_);
  registry_.configure(eff);
  config_ = std::make_shared<Config>(std::move(eff));
  log_info("control: console " + name + " removed (running sessions continue)");
  return 204;
}

LoginLimits &Daemon::login_limits() {
  login_limits_.configure(config_->guess);  // cheap: follows reloads without a hook
  return login_limits_;
}

std::string Daemon::metrics_text() const {
  size_t open = 0;
  for (const auto &[name, con] : config_->consoles) {
    if (registry_.snapshot(name).state == "open") ++open;
  }
  metrics().lockouts_active = login_limits_.active();
  return metrics().render(sessions_.size(), open) + render_capacity_metrics(config_->max_sessions) +
         admission_.metrics_text();
}

void Daemon::stop(const char *why) {
  if (stopping_) return;
  stopping_ = true;
  notify_systemd("STOPPING=1");
  log_info(std::string("stopping (") + why + "): ending " + std::to_string(sessions_.size()) +
           " sessions");
  listeners_.clear();
  control_.reset();
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
