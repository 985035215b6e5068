#include "session.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "control/metrics.h"
#include "logging.h"
#include "rfb/http_connect.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"

namespace vncgate {
namespace {

constexpr size_t kSmallCap = 4096;
constexpr size_t kWaitCap = 64 * 1024;  // a client may send ClientInit early

// "IP:PORT" for logs and "IP;PORT" for Cyrus.
void describe(GSocketAddress *a, std::string &display, std::string &sasl) {
  if (!a || !G_IS_INET_SOCKET_ADDRESS(a)) {
    display = sasl = "";
    return;
  }
  auto *isa = G_INET_SOCKET_ADDRESS(a);
  gchar *ip = g_inet_address_to_string(g_inet_socket_address_get_address(isa));
  std::string port = std::to_string(g_inet_socket_address_get_port(isa));
  std::string ips = ip;
  g_free(ip);
  display = ips.find(':') != std::string::npos ? "[" + ips + "]:" + port : ips + ":" + port;
  sasl = ips + ";" + port;
}

}  // namespace

bool user_allowed(const std::vector<std::string> &allowed, const std::string &user,
                  const std::string &realm) {
  if (allowed.empty()) return true;
  for (const auto &a : allowed) {
    if (a == user) return true;
    // "alice" also names alice in the gateway's own realm ("alice@REALM").
    if (!realm.empty() && a.find('@') == std::string::npos && user == a + "@" + realm) return true;
  }
  return false;
}

Session::Session(SessionHost &host, uint64_t id, GSocketConnection *conn,
                 std::optional<std::string> console)
    : host_(host),
      id_(id),
      config_(host.config()),
      conn_(G_SOCKET_CONNECTION(g_object_ref(conn))),
      fd_(g_socket_get_fd(g_socket_connection_get_socket(conn))),
      console_(std::move(console)),
      gateway_port_(!console_),
      state_(gateway_port_ ? State::ReadConnect : State::ReadVersion),
      started_us_(g_get_monotonic_time()) {
  tls_creds_ = host.tls();
  started_wall_ = g_get_real_time() / 1000000;
  metrics().sessions_total++;
  GSocketAddress *remote = g_socket_connection_get_remote_address(conn, nullptr);
  GSocketAddress *local = g_socket_connection_get_local_address(conn, nullptr);
  std::string unused;
  describe(remote, client_addr_, client_ip_port_);
  describe(local, unused, local_ip_port_);
  if (remote) g_object_unref(remote);
  if (local) g_object_unref(local);
}

Session::~Session() {
  cancel_timer(handshake_timer_);
  cancel_timer(fail_timer_);
  cancel_timer(backend_timer_);
  cancel_timer(session_timer_);
  relay_.reset();
  watch_.reset();
  backend_conn_.reset();
  g_object_unref(conn_);
}

void Session::start() {
  g_socket_set_blocking(g_socket_connection_get_socket(conn_), FALSE);
  int one = 1;
  setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  watch_ = std::make_unique<FdWatch>(fd_, [this](GIOCondition c) { on_client_event(c); });
  watch_->set_events(G_IO_IN);
  handshake_timer_ = g_timeout_add(
      config_->handshake_timeout * 1000u,
      [](gpointer d) -> gboolean {
        auto *self = static_cast<Session *>(d);
        self->handshake_timer_ = 0;
        log_info("session " + std::to_string(self->id_) + ": client " + self->client_addr_ +
                 " did not finish the handshake within " +
                 std::to_string(self->config_->handshake_timeout) + " s");
        self->end("handshake timeout");
        return G_SOURCE_REMOVE;
      },
      this);
  log_debug("session " + std::to_string(id_) + ": connection from " + client_addr_ +
            (console_ ? " on the port of console " + *console_ : ""));
  if (gateway_port_ && config_->tls_wrap && tls_creds_ && tls_creds_->has_x509()) {
    std::string error;
    tls_ = TlsServerSession::create(tls_creds_, false, error);
    if (!tls_) {
      log_error("session " + std::to_string(id_) + ": cannot start TLS: " + error);
      return end("TLS unavailable");
    }
    wrapped_ = true;
    state_ = State::TlsHandshake;
    return;
  }
  if (!gateway_port_) begin_rfb();
}

void Session::stop(const std::string &reason) {
  end(reason);
}

size_t Session::input_cap() const {
  switch (state_) {
    case State::ReadConnect:
      return kMaxConnectPreamble;
    case State::ReadSaslStart:
    case State::ReadSaslStep:
      return config_->sasl_max_field + kMaxSaslMechName + 16;
    case State::WaitBackend:
    case State::TlsHandshake:
      return kWaitCap;
    default:
      return kSmallCap;
  }
}

void Session::on_client_event(GIOCondition cond) {
  if (state_ == State::Closed || state_ == State::Relay) return;
  if (cond & G_IO_OUT) {
    if (!flush()) return;
    if (closing_ && out_.empty()) return end(close_reason_);
  }
  if (cond & (G_IO_IN | G_IO_HUP | G_IO_ERR)) {
    if (!reading()) {
      if (cond & (G_IO_HUP | G_IO_ERR))
        return end(closing_ ? close_reason_ : "client closed during the handshake");
    } else {
      for (;;) {
        size_t cap = input_cap();
        if (in_.size() > cap) {
          log_info("session " + std::to_string(id_) + ": client " + client_addr_ +
                   " sent more than " + std::to_string(cap) + " bytes in one handshake step");
          return end("protocol error: handshake message too large");
        }
        uint8_t buf[16384];
        size_t want = std::min(sizeof buf, cap + 1 - in_.size());
        ssize_t n = ::recv(fd_, buf, want, 0);
        if (n == 0) return end("client closed during the handshake");
        if (n < 0) {
          if (errno == EINTR) continue;
          if (errno == EAGAIN || errno == EWOULDBLOCK) break;
          return end(std::string("client connection error: ") + std::strerror(errno));
        }
        if (!reserve_input(static_cast<size_t>(n), cap)) return;
        on_raw_input(buf, static_cast<size_t>(n));
        if (state_ == State::Closed || state_ == State::Relay) return;
        if (!settle_buffers()) return;
        if (!reading()) break;
      }
    }
  }
  update_watch();
}

// Grows the input buffer for `incoming` bytes within the step's cap, charged
// to the daemon's pre-authentication budget first. No doubling past the cap:
// 400 clients at the SASL field limit must not hold twice that.
bool Session::reserve_input(size_t incoming, size_t cap) {
  size_t need = in_.size() + incoming;
  if (state_ == State::TlsHandshake || need <= in_.capacity()) return true;
  size_t target = std::max(need, std::min(in_.capacity() * 2, cap + 1));
  if (!admission_.set_buffered(target + out_.capacity())) {
    log_info("session " + std::to_string(id_) + ": client " + client_addr_ +
             " refused: the handshake buffer budget (handshake-buffer-mib) is spent");
    end("refused: handshake buffer budget spent");
    return false;
  }
  in_.reserve(target);
  return true;
}

// After a step consumed its message: give back a large empty buffer and
// declare what is still held.
bool Session::settle_buffers() {
  if (in_.empty() && in_.capacity() > kSmallCap) Bytes().swap(in_);
  if (admission_.set_buffered(in_.capacity() + out_.capacity())) return true;
  log_info("session " + std::to_string(id_) + ": client " + client_addr_ +
           " refused: the handshake buffer budget (handshake-buffer-mib) is spent");
  end("refused: handshake buffer budget spent");
  return false;
}

// The handshake is over: its admission place goes to the next client, and
// the session now counts against max-sessions.
bool Session::leave_admission() {
  admission_.release();
  if (host_.session_slot_free()) return true;
  fail_auth("the gateway has no room for another session", "max-sessions reached", false,
            "max-sessions reached");
  return false;
}

bool Session::reading() const {
  return !closing_ && state_ != State::AuthFailing;
}

void Session::update_watch() {
  if (state_ == State::Closed || state_ == State::Relay || !watch_) return;
  int ev = reading() ? G_IO_IN : 0;
  if (!out_.empty()) ev |= G_IO_OUT;
  watch_->set_events(GIOCondition(ev));
}

void Session::process_input() {
  while (state_ != State::Closed && !closing_ && step()) {
  }
}

bool Session::step() {
  switch (state_) {
    case State::ReadConnect:
      return on_connect_request();
    case State::ReadVersion:
      return on_version();
    case State::ReadSecurityChoice:
      return on_security_choice();
    case State::ReadVeNCryptVersion:
      return on_vencrypt_version();
    case State::ReadVeNCryptSubtype:
      return on_vencrypt_subtype();
    case State::ReadSaslStart:
      return on_sasl_start();
    case State::ReadSaslStep:
      return on_sasl_step();
    default:
      return false;  // waiting for something other than client input
  }
}

bool Session::on_connect_request() {
  auto parsed = parse_http_connect(in_);
  if (parsed.result.status == ParseStatus::NeedMore) return false;
  if (parsed.result.status == ParseStatus::Error) {
    log_info("session " + std::to_string(id_) + ": refused CONNECT from " + client_addr_ +
             " with " + std::to_string(parsed.http_status) + ": " + log_safe(parsed.result.error));
    send(http_response(parsed.http_status));
    close_after_flush("protocol error: " + log_safe(parsed.result.error));
    return false;
  }
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(parsed.result.consumed));
  const std::string name = parsed.result.value.console;
  console_ = name;  // named in the audit record even when unknown
  auth_hint_ = parsed.result.value.auth_hint;
  if (!host_.config()->consoles.count(name)) {
    log_info("session " + std::to_string(id_) + ": " + client_addr_ +
             " asked for unknown console " + name);
    send(http_response(404));
    close_after_flush("unknown console");
    return false;
  }
  if (auto t = parsed.result.value.query.find("token"); t != parsed.result.value.query.end()) {
    TokenRecord rec;
    TokenCheck check = host_.use_token(t->second, name, rec);
    if (check != TokenCheck::Ok) {
      // Which token failed is worth knowing; the secret itself is not.
      log_info("session " + std::to_string(id_) + ": " + client_addr_ +
               " presented an unusable token for console " + name + ": " + token_check_name(check) +
               (rec.id.empty() ? "" : " (token " + rec.id + ")"));
      send(http_response(404));
      close_after_flush(std::string("token refused: ") + token_check_name(check));
      return false;
    }
    token_id_ = rec.id;
    token_user_ = rec.user;
  }
  // The console is opened only after login and authorization
  // (on_authenticated): an unauthenticated client costs no mkvterm run.
  send(http_response(200));
  begin_rfb();
  return true;
}

void Session::open_console() {
  state_ = State::WaitBackend;
  lease_ = host_.registry().acquire(
      *console_, [this](const HostPort *b, const std::string &e) { on_console_ready(b, e); });
}

void Session::on_console_ready(const HostPort *backend, const std::string &error) {
  if (state_ != State::WaitBackend || closing_) return;
  if (!backend) {
    // The user gets a reason to act on; the operator's detail (the tool's
    // stderr) goes to the log line the registry wrote and to the audit.
    log_info("session " + std::to_string(id_) + ": console " + *console_ +
             " could not be opened for " + log_safe(user_) + " (" + client_addr_ + ")");
    send(encode_security_result(false, "the console could not be opened", version_));
    close_after_flush("console unavailable: " + error);
    return;
  }
  connect_backend(*backend);
}

void Session::begin_rfb() {
  send(kServerVersion);
  state_ = State::ReadVersion;
}

void Session::connect_backend(const HostPort &backend) {
  const auto &con = host_.config()->consoles;
  auto it = con.find(*console_);
  std::optional<std::string> password;
  if (it != con.end() && !it->second.backend_password_file.empty()) {
    std::string pw, error;
    if (!read_password_file(it->second.backend_password_file, pw, error)) {
      log_error("console " + *console_ + ": cannot read backend-password-file: " + error);
      send(encode_security_result(false, "the console could not be opened", version_));
      close_after_flush("console unavailable: backend password file");
      return;
    }
    password = std::move(pw);
  }
  std::optional<TlsClientSettings> tls;
  if (it != con.end()) tls = it->second.backend_tls;
  // A backend that accepts TCP and then says nothing must not keep a
  // logged-in user waiting without a word.
  arm_timer(backend_timer_, host_.config()->backend_timeout * 1000u, &Session::on_backend_timeout);
  backend_conn_ = std::make_unique<BackendConnection>(
      backend, std::move(password), std::move(tls),
      [this](std::unique_ptr<Transport> t, std::string error) { on_backend(std::move(t), error); });
}

void Session::on_backend_timeout() {
  if (state_ != State::WaitBackend || closing_) return;
  backend_conn_.reset();  // abandons the connection attempt or its handshake
  unsigned limit = host_.config()->backend_timeout;
  log_error("session " + std::to_string(id_) + ": console " + *console_ +
            ": the backend did not complete its RFB handshake within " + std::to_string(limit) +
            " s (backend-timeout)");
  send(encode_security_result(false, "the console did not answer", version_));
  close_after_flush("backend unavailable: the console did not answer within " +
                    std::to_string(limit) + " s");
}

void Session::on_backend(std::unique_ptr<Transport> backend, const std::string &error) {
  cancel_timer(backend_timer_);
  if (state_ != State::WaitBackend || closing_) return;
  if (!backend) {
    // The backend's own refusal reason is in `error`: untrusted text.
    log_error("session " + std::to_string(id_) + ": console " + *console_ + ": backend " +
              log_safe(error, 500));
    send(encode_security_result(false, "the console is not reachable", version_));
    close_after_flush("backend unavailable");
    return;
  }
  if (!token_id_.empty() && !token_settled_) {
    token_settled_ = true;
    if (!host_.settle_token(token_id_, true)) {
      // A one-time link whose use cannot be saved would be valid again after
      // a restart: it opens nothing (the daemon keeps it used until then).
      log_error("session " + std::to_string(id_) + ": token " + token_id_ +
                " could not be recorded as used (state directory): no session");
      send(encode_security_result(
          false, "the console link could not be recorded as used; ask for a new link", version_));
      close_after_flush("token use not recorded");
      return;
    }
  }
  send(encode_security_result(true, "", version_));
  if (handshake_timer_) {
    g_source_remove(handshake_timer_);
    handshake_timer_ = 0;
  }
  watch_->cancel();
  state_ = State::Relay;
  SecurityLayer *layer = nullptr;
  if (tls_up_) {
    layer = tls_.get();
  } else if (sasl_ && sasl_->has_layer()) {
    layer = sasl_.get();
  }
  // The client's side moves onto a Transport: the handshake's unsent wire
  // bytes first, then its unparsed input. TLS hands us plaintext; the SASL
  // layer starts after the handshake, so early bytes under it are still
  // encoded (unread before install_layer decodes them).
  auto client = std::make_unique<Transport>(conn_);
  client->write_raw(out_);
  bool early_plain = tls_up_ || layer == nullptr;
  if (layer && early_plain) client->install_layer(*layer);
  client->unread(in_);
  if (layer && !early_plain) client->install_layer(*layer);
  relay_ = std::make_unique<Relay>(std::move(client), std::move(backend),
                                   [this](const std::string &reason) { end(reason); });
  Bytes().swap(in_);
  Bytes().swap(out_);
  log_info("session " + std::to_string(id_) + ": " + client_addr_ + " connected to console " +
           *console_ + " as " + log_safe(user_));
  if (unsigned limit = host_.config()->max_session_time; limit > 0)
    arm_timer(session_timer_, limit * 1000u, &Session::on_max_session_time);
  metrics().observe_handshake("ok",
                              static_cast<double>(g_get_monotonic_time() - started_us_) / 1e6);
  relay_->start();
}

void Session::on_max_session_time() {
  log_info("session " + std::to_string(id_) + ": " + client_addr_ + " (" + log_safe(user_) +
           ") on console " + *console_ + " reached max-session-time");
  end("max-session-time reached");
}

void Session::arm_timer(guint &timer, unsigned ms, void (Session::*fire)()) {
  cancel_timer(timer);
  struct Ctx {
    Session *self;
    guint *timer;
    void (Session::*fire)();
  };
  timer = g_timeout_add_full(
      G_PRIORITY_DEFAULT, ms,
      [](gpointer d) -> gboolean {
        auto *c = static_cast<Ctx *>(d);
        *c->timer = 0;
        (c->self->*c->fire)();
        return G_SOURCE_REMOVE;
      },
      new Ctx{this, &timer, fire}, [](gpointer d) { delete static_cast<Ctx *>(d); });
}

void Session::cancel_timer(guint &timer) {
  if (timer) g_source_remove(timer);
  timer = 0;
}

void Session::send(const Bytes &b) {
  if (tls_up_) {
    if (!tls_->encode(b.data(), b.size(), out_)) return end("TLS record layer error");
  } else {
    out_.insert(out_.end(), b.begin(), b.end());
  }
  flush();
}

void Session::send(std::string_view s) {
  send(Bytes(s.begin(), s.end()));
}

void Session::send_raw(const Bytes &b) {
  if (b.empty()) return;
  out_.insert(out_.end(), b.begin(), b.end());
  flush();
}

bool Session::flush() {
  while (!out_.empty()) {
    ssize_t n = ::send(fd_, out_.data(), out_.size(), MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      end(std::string("client connection error: ") + std::strerror(errno));
      return false;
    }
    out_.erase(out_.begin(), out_.begin() + n);
  }
  update_watch();
  return true;
}

void Session::close_after_flush(const std::string &reason) {
  closing_ = true;
  close_reason_ = reason;
  if (!flush()) return;
  if (out_.empty()) return end(reason);
  update_watch();
}

void Session::end(const std::string &reason) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  audit(reason);
  cancel_timer(handshake_timer_);
  cancel_timer(fail_timer_);
  cancel_timer(backend_timer_);
  cancel_timer(session_timer_);
  if (relay_) relay_->stop();
  if (watch_) watch_->cancel();
  g_socket_close(g_socket_connection_get_socket(conn_), nullptr);
  lease_.reset();
  // Handshake buffers go now, not when the session is reaped: the trim that
  // a drained admission budget schedules should find them free.
  Bytes().swap(in_);
  Bytes().swap(out_);
  admission_.release();
  if (!token_id_.empty() && !token_settled_) {
    token_settled_ = true;
    host_.settle_token(token_id_, false);
  }
  host_.session_ended(id_);
}

SessionInfo Session::info() const {
  const char *st = "handshake";
  if (state_ == State::Relay)
    st = "relaying";
  else if (state_ == State::Closed)
    st = "closed";
  else if (state_ == State::WaitBackend)
    st = "connecting";
  return SessionInfo{id_,
                     client_addr_,
                     console_ ? *console_ : "",
                     user_,
                     mechanism_,
                     st,
                     token_id_,
                     started_wall_,
                     relay_ ? relay_->bytes_to_client() : 0,
                     relay_ ? relay_->bytes_from_client() : 0};
}

void Session::audit(const std::string &reason) {
  if (state_ != State::Closed || !relay_) {
    std::string result = "other";  // coarse label for the metric
    for (const char *label :
         {"authentication failed", "not authorized", "handshake timeout", "protocol error",
          "console unavailable", "backend unavailable", "token", "unknown console", "client closed",
          "TLS", "authorization withdrawn", "too many"}) {
      if (reason.rfind(label, 0) == 0) result = label;
    }
    std::replace(result.begin(), result.end(), ' ', '_');
    metrics().observe_handshake(result, 0);
  } else {
    metrics().bytes_to_clients += relay_->bytes_to_client();
    metrics().bytes_from_clients += relay_->bytes_from_client();
  }
  double duration = static_cast<double>(g_get_monotonic_time() - started_us_) / 1e6;
  uint64_t to_client = relay_ ? relay_->bytes_to_client() : 0;
  uint64_t from_client = relay_ ? relay_->bytes_from_client() : 0;
  char dur[32];
  g_ascii_formatd(dur, sizeof dur, "%.3f", duration);
  std::string user = user_.empty() ? "-" : log_safe(user_, 256);
  std::string mech = mechanism_.empty() ? "-" : log_safe(mechanism_, 100);
  std::string console = console_ ? log_safe(*console_) : "-";
  std::string msg =
      "audit: session=" + std::to_string(id_) + " client=" + client_addr_ + " console=" + console +
      " user=" + user + " mechanism=" + mech + " ssf=" + std::to_string(ssf_) +
      " bytes-to-client=" + std::to_string(to_client) +
      " bytes-from-client=" + std::to_string(from_client) + " duration=" + dur + " end=\"" +
      log_safe(reason, 300) + "\"" + (tls_desc_.empty() ? "" : " tls=" + log_safe(tls_desc_)) +
      (cert_subject_.empty() ? "" : " cert=\"" + log_safe(cert_subject_) + "\"") +
      (token_id_.empty() ? "" : " token=" + token_id_);
  log_record(G_LOG_LEVEL_INFO, msg,
             {{"VNCGATE_EVENT", "session-end"},
              {"VNCGATE_SESSION", std::to_string(id_)},
              {"VNCGATE_CLIENT", client_addr_},
              {"VNCGATE_CONSOLE", console},
              {"VNCGATE_USER", user},
              {"VNCGATE_MECHANISM", mech},
              {"VNCGATE_SSF", std::to_string(ssf_)},
              {"VNCGATE_BYTES_TO_CLIENT", std::to_string(to_client)},
              {"VNCGATE_BYTES_FROM_CLIENT", std::to_string(from_client)},
              {"VNCGATE_DURATION", dur},
              {"VNCGATE_END_REASON", log_safe(reason, 300)},
              {"VNCGATE_TLS", log_safe(tls_desc_)},
              {"VNCGATE_CLIENT_CERT", log_safe(cert_subject_)},
              {"VNCGATE_TOKEN_ID", token_id_}});
}

}  // namespace vncgate
