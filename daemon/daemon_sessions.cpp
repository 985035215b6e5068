// Daemon: admission of a connection, the sessions' lifetime, what a
// session asks of the daemon (SessionHost).
#include "daemon.h"
#include "logging.h"

namespace vncgate {

void Daemon::on_accept(GSocketConnection *conn, const std::optional<std::string> &console) {
  g_autoptr(GSocketAddress) remote = g_socket_connection_get_remote_address(conn, nullptr);
  admit(conn, remote, console, std::nullopt);
}

void Daemon::start_web_session(GSocketAddress *remote, const std::string &console, WebPeer peer) {
  admit(nullptr, remote, console, std::move(peer));
}

bool Daemon::web_console_known(const std::string &name) const {
  return !stopping_ && config_->consoles.count(name);
}

// A connection on a listener, or a browser's WebSocket from the web front
// (no `conn`: web->channel, and `remote` is the browser's address): the
// same allow-list and admission. A refused browser's channel goes with
// `web`, which closes its WebSocket.
void Daemon::admit(GSocketConnection *conn, GSocketAddress *remote,
                   const std::optional<std::string> &console, std::optional<WebPeer> web) {
  GSocket *sock = conn ? g_socket_connection_get_socket(conn) : nullptr;
  std::string who = "?", source = "?";
  bool allowed = false, proxied = false;
  if (remote && G_IS_INET_SOCKET_ADDRESS(remote)) {
    GInetAddress *ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(remote));
    g_autofree gchar *s = g_inet_address_to_string(ia);
    who = s;
    allowed = config_->allowed_clients.allows(ia);
    // A trusted balancer's clients are checked against allowed-clients once
    // its header names them (Session::on_proxy_header).
    proxied = !config_->proxy_protocol_from.empty() && config_->proxy_protocol_from.allows(ia);
    source = admission_source(g_inet_address_to_bytes(ia), g_inet_address_get_native_size(ia));
  }
  if (!allowed && !proxied) {
    log_info("refused connection from " + who + ": not in allowed-clients");
    if (sock) g_socket_close(sock, nullptr);
    return;
  }
  if (stopping_ || (console && !config_->consoles.count(*console))) {
    if (sock) g_socket_close(sock, nullptr);
    return;
  }
  // Handshakes have their own places (max-handshakes): only sessions past
  // login fill max-sessions.
  if (sessions_.size() - admission_.handshakes() >= config_->max_sessions) {
    admission_.note_max_sessions_refusal();
    return refuse_connection(
        sock, who, source, "max-sessions (" + std::to_string(config_->max_sessions) + ") reached");
  }
  AdmissionControl::Refusal why;
  uint64_t id = next_id_;
  auto ticket = admission_.admit(source, why, [this, id] { evict_handshake(id); });
  if (!ticket.held()) return refuse_connection(sock, who, source, admission_refusal(why, source));
  next_id_++;
  auto s = std::make_unique<Session>(*this, id, conn, console, std::move(web));
  Session *raw = s.get();
  raw->hold_admission(std::move(ticket));
  if (proxied) raw->expect_proxy_header();
  sessions_.emplace(id, std::move(s));
  raw->start();
}

AdmissionControl::Ticket Daemon::admit_proxied_client(uint64_t id, GInetAddress *client,
                                                      std::string &why) {
  if (!config_->allowed_clients.allows(client)) {
    why = "not in allowed-clients";
    return {};
  }
  std::string source =
      admission_source(g_inet_address_to_bytes(client), g_inet_address_get_native_size(client));
  AdmissionControl::Refusal refusal;
  auto ticket = admission_.admit(source, refusal, [this, id] { evict_handshake(id); });
  if (!ticket.held()) why = admission_refusal(refusal, source);
  return ticket;
}

// Refusals here are what a flood produces: one log line a second per source.
void Daemon::refuse_connection(GSocket *sock, const std::string &who, const std::string &source,
                               const std::string &why) {
  uint64_t suppressed = 0;
  if (admission_.should_log(source, g_get_monotonic_time(), suppressed))
    log_warning("refused connection from " + who + ": " + why +
                (suppressed ? " (" + std::to_string(suppressed) +
                                  " more refusals of this source not logged)"
                            : ""));
  if (sock) g_socket_close(sock, nullptr);
}

std::string Daemon::admission_refusal(AdmissionControl::Refusal why,
                                      const std::string &source) const {
  switch (why) {
    case AdmissionControl::Refusal::PerSource:
      return std::to_string(admission_.handshakes_from(source)) + " handshakes from " + source +
             " already (max-handshakes-per-source)";
    case AdmissionControl::Refusal::Total:
      return std::to_string(admission_.handshakes()) + " handshakes already (max-handshakes)";
    default:
      return "handshake buffers hold " + std::to_string(admission_.buffered()) +
             " bytes already (handshake-buffer-mib)";
  }
}

void Daemon::evict_handshake(uint64_t victim) {
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
}

WorkerPool *Daemon::sasl_workers() {
  return sasl_pool_.get();
}

bool Daemon::session_slot_free() const {
  return sessions_.size() - admission_.handshakes() <= config_->max_sessions;
}

void Daemon::session_ended(uint64_t id) {
  auto it = sessions_.find(id);
  if (it == sessions_.end()) return;
  ended_.push_back(std::move(it->second));
  sessions_.erase(it);
  if (session_directory_) session_directory_->publish_soon();
  // Destroy from the main loop, never inside the session's own callback.
  // At default priority: an idle-priority source starves while relays keep
  // the loop busy, and ended sessions (with their buffers and SASL
  // contexts) would pile up for as long as the load lasts.
  if (!reap_idle_.active()) reap_idle_.idle([this] { ended_.clear(); }, G_PRIORITY_DEFAULT);
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

void Daemon::use_token(const std::string &secret, const std::string &console, TokenUseFn done) {
  int64_t now = g_get_real_time() / 1000000;
  if (cluster_) return cluster_->tokens().use(secret, console, now, std::move(done));
  TokenRecord record;
  TokenCheck check = state_.tokens().use(secret, console, now, record);
  done(check, record);
}

void Daemon::settle_token(const std::string &id, bool consumed, TokenSettledFn done) {
  if (cluster_) return cluster_->tokens().settle(id, consumed, std::move(done));
  bool saved = settle_local_token(id, consumed);
  if (done) done(saved);
}

bool Daemon::settle_local_token(const std::string &id, bool consumed) {
  if (!state_.tokens().settle(id, consumed) || state_.save_tokens(g_get_real_time() / 1000000))
    return true;
  // Not saved. The record stays used in memory (this run never accepts it
  // again), but after a restart the old file would make it valid again:
  // a one-time token must then open nothing.
  auto it = state_.tokens().records().find(id);
  return !(consumed && it != state_.tokens().records().end() && it->second.one_time);
}

LoginLimits &Daemon::login_limits() {
  login_limits_.configure(config_->guess);  // cheap: follows reloads without a hook
  return login_limits_;
}

}  // namespace vncgate
