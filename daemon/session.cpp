#include "session.h"

#include <glib/gi18n-lib.h>

#include <algorithm>
#include <cstring>
#include <utility>

#include "control/metrics.h"
#include "logging.h"
#include "net/proxy_protocol.h"
#include "rfb/http_connect.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"

namespace vncgate {
namespace {

// A CONNECT refused while the cluster's shared store is unreachable: a
// reason a person can read, and a status that says "try again".
std::string unavailable_response() {
  const std::string text = "the console link service is unavailable; try again shortly\n";
  return "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Type: text/plain\r\n"
         "Content-Length: " +
         std::to_string(text.size()) + "\r\n\r\n" + text;
}

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
                 std::optional<std::string> console, std::optional<WebPeer> web)
    : host_(host),
      id_(id),
      config_(host.config()),
      console_(std::move(console)),
      gateway_port_(!console_),
      state_(State::ReadConnect),  // a dedicated port starts negotiating in start()
      client_(web && web->channel ? std::make_unique<Transport>(std::move(web->channel))
                                  : std::make_unique<Transport>(conn)),
      web_(std::move(web)),
      started_us_(g_get_monotonic_time()) {
  tls_creds_ = host.tls();
  started_wall_ = g_get_real_time() / 1000000;
  metrics().sessions_total++;
  if (web_) {  // the browser's address comes with the peer
    client_addr_ = web_->address;
    client_ip_port_ = web_->sasl_address;
    return;
  }
  GSocketAddress *remote = g_socket_connection_get_remote_address(conn, nullptr);
  GSocketAddress *local = g_socket_connection_get_local_address(conn, nullptr);
  std::string unused;
  describe(remote, client_addr_, client_ip_port_);
  describe(local, unused, local_ip_port_);
  if (remote) g_object_unref(remote);
  if (local) g_object_unref(local);
}

Session::~Session() {
  relay_.reset();
  client_.reset();
  backend_conn_.reset();
}

void Session::start() {
  client_->set_handler({
      .input = [this] { on_client_input(); },
      .failed = [this](const TransportError &e) { on_client_failed(e); },
  });
  // Growing the input buffer is charged to the daemon's pre-authentication
  // budget first (released at authentication).
  client_->set_input_budget([this](size_t capacity) { return admission_.set_buffered(capacity); });
  client_->set_input_limit(input_cap());
  handshake_timer_.once(config_->handshake_timeout * 1000u, [this] {
    log_info(log_prefix() + "client " + client_addr_ + " did not finish the handshake within " +
             std::to_string(config_->handshake_timeout) + " s");
    end(EndReason(EndCode::HandshakeTimeout));
  });
  log_debug(log_prefix() + "connection from " + client_addr_ +
            (web_       ? " on the web front for console " + *console_
             : console_ ? " on the port of console " + *console_
                        : "") +
            (state_ == State::ProxyHeader ? ", a PROXY protocol balancer" : ""));
  if (web_) return start_web();
  if (state_ == State::ProxyHeader) {
    client_->resume_reading();
    return;
  }
  begin_protocol();
}

// The client's own protocol, from its first byte (after a PROXY header).
void Session::begin_protocol() {
  state_ = State::ReadConnect;
  if (gateway_port_ && config_->tls_wrap && tls_creds_ && tls_creds_->has_x509()) {
    std::string error;
    auto tls = TlsServerSession::create(tls_creds_, false, error);
    if (!tls) {
      log_error(log_prefix() + "cannot start TLS: " + error);
      return end(EndReason(EndCode::TlsUnavailable));
    }
    state_ = State::TlsWrap;
    wrap_tls_ = tls.get();
    client_->resume_reading();
    // [tls] wrap: TLS from the first byte, before CONNECT.
    client_->start_tls(std::move(tls),
                       [this](bool ok, const std::string &error) { on_wrap_tls(ok, error); });
    return;
  }
  client_->resume_reading();
  if (!gateway_port_) {
    if (host_.draining())
      refuse_draining();
    else
      begin_rfb();
    after_step();
  }
}

void Session::stop(const std::string &reason) {
  end(EndReason(EndCode::Stopped, reason));
}

size_t Session::input_cap() const {
  switch (state_) {
    case State::ReadConnect:
      return kMaxConnectPreamble;
    case State::ProxyHeader:
      // The balancer may send the client's first flight with the header.
      return kMaxProxyHeader + kWaitCap;
    case State::Negotiating:
    case State::SaslWorking:
      return negotiation_->input_cap();
    case State::WaitBackend:
    case State::TlsWrap:
      return kWaitCap;
    default:
      return kSmallCap;
  }
}

void Session::on_client_input() {
  if (state_ == State::Closed || state_ == State::Relay) return;
  process_input();
  after_step();
}

// A step is over: the next state's input cap, the buffers still held, and
// whether to read on.
void Session::after_step() {
  if (state_ == State::Closed || state_ == State::Relay) return;
  client_->set_input_limit(input_cap());
  if (settle_buffers()) update_reading();
}

void Session::on_client_failed(const TransportError &e) {
  using Kind = TransportError::Kind;
  switch (e.kind) {
    case Kind::Eof:
      return end(closing_ ? close_reason_ : EndReason(EndCode::ClientClosed));
    case Kind::Reset:
    case Kind::Io:
      return end(EndReason(EndCode::ClientError, std::strerror(e.err)));
    case Kind::LayerDecode:
      return end(EndReason(EndCode::ProtocolError, "TLS record layer"));
    case Kind::LayerEncode:
      return end(EndReason(EndCode::TlsRecordLayer));
    case Kind::InputLimit:
      log_info(log_prefix() + "client " + client_addr_ + " sent more than " +
               std::to_string(input_cap()) + " bytes in one handshake step");
      return end(EndReason(EndCode::MessageTooLarge));
    case Kind::Budget:
      return refuse_over_budget();
  }
}

void Session::refuse_over_budget() {
  log_info(log_prefix() + "client " + client_addr_ +
           " refused: the handshake buffer budget (handshake-buffer-mib) is spent");
  end(EndReason(EndCode::BufferBudget));
}

// After a step consumed its message: give back a large empty buffer and
// declare what is still held.
bool Session::settle_buffers() {
  client_->release_idle_buffers();
  if (admission_.set_buffered(client_->buffered_capacity())) return true;
  refuse_over_budget();
  return false;
}

// The handshake is over: its admission place goes to the next client, and
// the session now counts against max-sessions.
bool Session::leave_admission() {
  admission_.release();
  if (host_.session_slot_free()) return true;
  fail_auth(EndReason(EndCode::MaxSessions), "max-sessions reached", false);
  return false;
}

// No input is read while a SASL call runs, while a failed login waits for
// its answer, or once the session is closing (the transport stopped then).
void Session::update_reading() {
  if (closing_ || !client_) return;
  bool want = state_ != State::AuthFailing && state_ != State::SaslWorking;
  if (want && !client_->reading())
    client_->resume_reading();
  else if (!want && client_->reading())
    client_->pause_reading();
}

void Session::on_wrap_tls(bool ok, const std::string &error) {
  TlsServerSession *tls = std::exchange(wrap_tls_, nullptr);
  if (!ok) {
    log_info(log_prefix() + "TLS with " + client_addr_ + " failed: " + error);
    // `error` already says "TLS handshake failed: ..." or why the peer was refused.
    close_after_flush(EndReason(
        tls->refused_peer() ? EndCode::TlsPeerRefused : EndCode::TlsHandshakeFailed, error));
    return;
  }
  tls_desc_ = tls->description();
  cert_subject_ = tls->peer_subject();
  wrap_ssf_ = tls->cipher_bits();
  log_debug(log_prefix() + "TLS up with " + client_addr_ + ": " + tls_desc_ +
            (cert_subject_.empty() ? "" : ", client certificate " + log_safe(cert_subject_)));
  // The records that came with the client's last flight are delivered next.
  state_ = State::ReadConnect;
  client_->set_input_limit(input_cap());
}

void Session::process_input() {
  if (state_ == State::ProxyHeader && !closing_ && !on_proxy_header()) return;
  if (state_ == State::DrainRefusal && !closing_) return on_drain_refusal_version();
  if (state_ == State::ReadConnect && !closing_ && (awaiting_token_ || !on_connect_request()))
    return;
  if (state_ == State::Negotiating && !closing_) drive_security();
}

bool Session::on_connect_request() {
  auto parsed = parse_http_connect(client_->input());
  if (parsed.result.status == ParseStatus::NeedMore) return false;
  if (parsed.result.status == ParseStatus::Error) {
    log_info(log_prefix() + "refused CONNECT from " + client_addr_ + " with " +
             std::to_string(parsed.http_status) + ": " + log_safe(parsed.result.error));
    send(http_response(parsed.http_status));
    close_after_flush(EndReason(EndCode::ProtocolError, log_safe(parsed.result.error)));
    return false;
  }
  client_->consume(parsed.result.consumed);
  const std::string name = parsed.result.value.console;
  console_ = name;  // named in the audit record even when unknown
  auth_hint_ = parsed.result.value.auth_hint;
  if (host_.draining()) {  // before the token: a refused client keeps its link
    refuse_draining();
    return false;
  }
  if (!host_.config()->consoles.count(name)) {
    log_info(log_prefix() + client_addr_ + " asked for unknown console " + name);
    send(http_response(404));
    close_after_flush(EndReason(EndCode::UnknownConsole));
    return false;
  }
  if (auto t = parsed.result.value.query.find("token"); t != parsed.result.value.query.end()) {
    check_link_token(t->second, name);
    return state_ == State::Negotiating;
  }
  if (!host_.tokenless_login_allowed()) {
    log_warning(log_prefix() + client_addr_ + " asked for console " + name +
                " without a token: refused while the cluster's Redis is unreachable "
                "(tokenless-logins-without-redis)");
    send(unavailable_response());
    close_after_flush(EndReason(EndCode::TokenRefused, "no token while Redis is unreachable"));
    return false;
  }
  // The console is opened only after login and authorization
  // (on_authenticated): an unauthenticated client costs no mkvterm run.
  send(http_response(200));
  begin_rfb();
  return true;
}

// A draining gateway still answers a new client in its protocol, with the
// reason: the CONNECT gets 503, a console's own port the RFB refusal in
// place of the security types once the versions are exchanged (RFC 6143
// §7.1.2), so that a viewer can show why.
void Session::refuse_draining() {
  log_info(log_prefix() + "refused " + client_addr_ +
           (console_ ? " for console " + log_safe(*console_) : "") + ": gateway draining");
  if (gateway_port_) {
    send(http_response(503, "Gateway Draining"));
    return close_after_flush(EndReason(EndCode::Draining));
  }
  state_ = State::DrainRefusal;
  send(encode_server_version());
}

void Session::on_drain_refusal_version() {
  auto v = parse_client_version(client_->input());
  if (v.status == ParseStatus::NeedMore) return;
  if (v.status == ParseStatus::Error)
    return close_after_flush(EndReason(EndCode::ProtocolError, v.error));
  client_->consume(v.consumed);
  const EndReason reason(EndCode::Draining);
  send(v.value.minor < 7 ? encode_v33_refusal(reason.client_text())
                         : encode_security_types_refusal(reason.client_text()));
  close_after_flush(reason);
}

// The link token of a CONNECT ?token= or of a web session's first message
// is checked (and reserved) here only. The answer may come at once (state
// directory) or from the main loop ([cluster] Redis): input that arrives
// meanwhile waits in the buffer. A session gone before the answer frees a
// reservation it was given.
void Session::check_link_token(const std::string &secret, const std::string &console) {
  awaiting_token_ = true;
  in_use_token_call_ = true;
  std::weak_ptr<char> alive = token_guard_.alive();
  SessionHost &host = host_;
  host_.use_token(secret, console, [alive, &host, this](TokenCheck c, const TokenRecord &r) {
    if (alive.lock())
      on_token_checked(c, r);
    else if (c == TokenCheck::Ok)
      host.settle_token(r.id, false, nullptr);
  });
  in_use_token_call_ = false;
}

void Session::on_token_checked(TokenCheck check, const TokenRecord &rec) {
  awaiting_token_ = false;
  const std::string &name = *console_;
  if (check == TokenCheck::Ok) {
    token_id_ = rec.id;
    token_user_ = rec.user;
  }
  if (closing_) {
    // finish() frees a reserved token; if it ran already, free it here.
    if (state_ == State::Closed && !token_id_.empty() && !token_settled_) {
      token_settled_ = true;
      host_.settle_token(token_id_, false, nullptr);
    }
    return;
  }
  if (check == TokenCheck::Unavailable) {
    // Fail closed: without the shared store nobody can tell whether the
    // link was used already. The client is told to retry, not that the
    // link is bad.
    log_warning(log_prefix() + client_addr_ + " presented a token for console " + name +
                ": refused, the cluster's token store (Redis) is unreachable");
    const EndReason reason(EndCode::TokenRefused, token_check_name(check));
    if (web_) {
      web_->refused(_("The gateway cannot check links right now; try again in a moment."));
      return end(reason);
    }
    send(unavailable_response());
    return close_after_flush(reason);
  }
  if (check != TokenCheck::Ok) {
    // Which token failed is worth knowing; the secret itself is not.
    log_info(log_prefix() + client_addr_ + " presented an unusable token for console " + name +
             ": " + token_check_name(check) + (rec.id.empty() ? "" : " (token " + rec.id + ")"));
    const EndReason reason(EndCode::TokenRefused, token_check_name(check));
    if (web_) {
      web_->refused(_("This link is not valid: it was already used, has expired or was revoked."));
      return end(reason);
    }
    send(http_response(404));
    return close_after_flush(reason);
  }
  if (web_) return on_web_token_accepted();
  send(http_response(200));
  begin_rfb();
  // Answered later: what the client sent meanwhile is read now.
  if (!in_use_token_call_) process_input();
}

// A web session: the web front checked Origin and read the first message;
// the token check is the CONNECT's (check_link_token).
void Session::start_web() {
  client_->resume_reading();
  if (host_.draining()) {
    log_info(log_prefix() + "refused " + client_addr_ + " for console " + log_safe(*console_) +
             ": gateway draining");
    web_->refused(EndReason(EndCode::Draining).client_text());
    return end(EndReason(EndCode::Draining));
  }
  if (!web_->token.empty()) {
    check_link_token(web_->token, *console_);
    if (state_ == State::Negotiating) after_step();
    return;
  }
  // No token: a password login (VeNCrypt Plain, begin_rfb).
  if (!host_.tokenless_login_allowed()) {
    log_warning(log_prefix() + client_addr_ + " asked for console " + *console_ +
                " without a token: refused while the cluster's Redis is unreachable "
                "(tokenless-logins-without-redis)");
    web_->refused(_("The gateway cannot check logins right now; try again in a moment."));
    return end(EndReason(EndCode::TokenRefused, "no token while Redis is unreachable"));
  }
  begin_rfb();
  after_step();
}

void Session::on_web_token_accepted() {
  if (token_user_.empty()) {
    // A web session has no other login: its identity is the link's user.
    log_info(log_prefix() + client_addr_ + " presented token " + token_id_ +
             " without a user on the web front");
    web_->refused(_("This link names no user; ask for a web link."));
    return end(EndReason(EndCode::TokenRefused, "no user"));
  }
  begin_rfb();
  // Answered later (Redis): start the handshake now.
  if (!in_use_token_call_) after_step();
}

void Session::open_console() {
  state_ = State::WaitBackend;
  lease_ = host_.registry().acquire(
      *console_, [this](const HostPort *b, const std::string &e) { on_console_ready(b, e); });
}

// A failed SecurityResult once logged in (the console side failed), then close.
void Session::refuse_with_result(const EndReason &end, const std::string &client_reason) {
  send(encode_security_result(false, client_reason.empty() ? end.client_text() : client_reason,
                              version()));
  close_after_flush(end);
}

void Session::on_console_ready(const HostPort *backend, const std::string &error) {
  if (state_ != State::WaitBackend || closing_) return;
  if (!backend) {
    // The user gets a reason to act on; the operator's detail (the tool's
    // stderr) goes to the log line the registry wrote and to the audit.
    log_info(log_prefix() + "console " + *console_ + " could not be opened for " + log_safe(user_) +
             " (" + client_addr_ + ")");
    return refuse_with_result(EndReason(EndCode::ConsoleUnavailable, error));
  }
  connect_backend(*backend);
}

void Session::connect_backend(const HostPort &backend) {
  const auto &con = host_.config()->consoles;
  auto it = con.find(*console_);
  std::optional<std::string> password;
  if (it != con.end() && !it->second.backend_password_file.empty()) {
    std::string pw, error;
    if (!read_password_file(it->second.backend_password_file, pw, error)) {
      log_error("console " + *console_ + ": cannot read backend-password-file: " + error);
      return refuse_with_result(EndReason(EndCode::ConsoleUnavailable, "backend password file"));
    }
    password = std::move(pw);
  }
  std::optional<TlsClientSettings> tls;
  if (it != con.end()) tls = it->second.backend_tls;
  // A backend that accepts TCP and then says nothing must not keep a
  // logged-in user waiting without a word.
  backend_timer_.once(host_.config()->backend_timeout * 1000u, [this] { on_backend_timeout(); });
  backend_conn_ = std::make_unique<BackendConnection>(
      backend, std::move(password), std::move(tls),
      [this](std::unique_ptr<Transport> t, std::string error) { on_backend(std::move(t), error); });
}

void Session::on_backend_timeout() {
  if (state_ != State::WaitBackend || closing_) return;
  backend_conn_.reset();  // abandons the connection attempt or its handshake
  unsigned limit = host_.config()->backend_timeout;
  log_error(log_prefix() + "console " + *console_ +
            ": the backend did not complete its RFB handshake within " + std::to_string(limit) +
            " s (backend-timeout)");
  refuse_with_result(EndReason(EndCode::BackendTimeout, "the console did not answer within " +
                                                            std::to_string(limit) + " s"));
}

void Session::on_backend(std::unique_ptr<Transport> backend, const std::string &error) {
  backend_timer_.cancel();
  if (state_ != State::WaitBackend || closing_) return;
  if (!backend) {
    // The backend's own refusal reason is in `error`: untrusted text.
    log_error(log_prefix() + "console " + *console_ + ": backend " + log_safe(error, 500));
    return refuse_with_result(EndReason(EndCode::BackendUnreachable));
  }
  if (!token_id_.empty() && !token_settled_) {
    // The relay starts once the token's use is recorded (at once with the
    // state directory, a round trip with [cluster] Redis).
    token_settled_ = true;
    settling_backend_ = std::move(backend);
    host_.settle_token(token_id_, true,
                       token_guard_.wrap(std::function<void(bool)>(
                           [this](bool saved) { on_token_use_recorded(saved); })));
    return;
  }
  begin_relay(std::move(backend));
}

void Session::on_token_use_recorded(bool saved) {
  auto backend = std::move(settling_backend_);
  if (state_ != State::WaitBackend || closing_) return;
  if (!saved) {
    // A one-time link whose use cannot be saved would be valid again after
    // a restart (or on another node): it opens nothing.
    log_error(log_prefix() + "token " + token_id_ +
              " could not be recorded as used (state directory or cluster Redis): no session");
    return refuse_with_result(EndReason(EndCode::TokenNotRecorded));
  }
  begin_relay(std::move(backend));
}

void Session::begin_relay(std::unique_ptr<Transport> backend) {
  send(encode_security_result(true, "", version()));
  if (state_ == State::Closed) return;
  handshake_timer_.cancel();
  state_ = State::Relay;
  start_relay(std::move(backend));
}

// Hands the client's transport, as it is, to the relay, which then owns
// both connections' transports.
void Session::start_relay(std::unique_ptr<Transport> backend) {
  // The relay reports what happens from here (a failure meanwhile included);
  // the handshake's cap and budget no longer apply.
  client_->set_handler({});
  client_->set_input_limit(0);
  client_->set_input_budget(nullptr);
  // The SASL layer starts after the SecurityResult: client bytes already
  // here are under it, and it decodes them now.
  if (relay_layer_) client_->install_layer(*relay_layer_);
  relay_ = std::make_unique<Relay>(
      std::move(client_), std::move(backend),
      [this](const std::string &reason) { end(EndReason(EndCode::RelayEnded, reason)); });
  log_info(log_prefix() + client_addr_ + " connected to console " + *console_ + " as " +
           log_safe(user_));
  if (unsigned limit = host_.config()->max_session_time; limit > 0)
    session_timer_.once(limit * 1000u, [this] { on_max_session_time(); });
  metrics().observe_handshake("ok",
                              static_cast<double>(g_get_monotonic_time() - started_us_) / 1e6);
  relay_->start();
}

void Session::on_max_session_time() {
  log_info(log_prefix() + client_addr_ + " (" + log_safe(user_) + ") on console " + *console_ +
           " reached max-session-time");
  end(EndReason(EndCode::MaxSessionTime));
}

void Session::send(ByteSpan b) {
  // A failed write is reported through on_client_failed.
  if (!b.empty() && client_) client_->write(b);
}

void Session::send(std::string_view text) {
  send(ByteSpan(reinterpret_cast<const uint8_t *>(text.data()), text.size()));
}

void Session::close_after_flush(const EndReason &reason) {
  closing_ = true;
  close_reason_ = reason;
  if (!client_) return end(reason);
  client_->close_after_flush([this] { end(close_reason_); });
}

void Session::end(const EndReason &reason) {
  if (state_ == State::Closed) return;
  state_ = State::Closed;
  work_ticket_.reset();  // a SASL call still in the pool: its result is dropped
  audit(reason);
  handshake_timer_.cancel();
  fail_timer_.cancel();
  backend_timer_.cancel();
  session_timer_.cancel();
  // The transport's buffers go now, not when the session is reaped: the trim
  // that a drained admission budget schedules should find them free.
  if (relay_)
    relay_->stop();
  else if (client_)
    client_->close();
  lease_.reset();
  admission_.release();
  if (!token_id_.empty() && !token_settled_) {
    token_settled_ = true;
    host_.settle_token(token_id_, false, nullptr);
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
                     facts().mechanism,
                     st,
                     token_id_,
                     started_wall_,
                     relay_ ? relay_->bytes_to_client() : 0,
                     relay_ ? relay_->bytes_from_client() : 0,
                     ""};
}

void Session::audit(const EndReason &reason) {
  if (!relay_) {
    metrics().observe_handshake(reason.metric_label(), 0);
  } else {
    metrics().bytes_to_clients += relay_->bytes_to_client();
    metrics().bytes_from_clients += relay_->bytes_from_client();
  }
  double duration = static_cast<double>(g_get_monotonic_time() - started_us_) / 1e6;
  uint64_t to_client = relay_ ? relay_->bytes_to_client() : 0;
  uint64_t from_client = relay_ ? relay_->bytes_from_client() : 0;
  char dur[32];
  g_ascii_formatd(dur, sizeof dur, "%.3f", duration);
  const HandshakeFacts f = facts();
  const std::string end_text = log_safe(reason.audit_text(), 300);
  std::string user = user_.empty() ? "-" : log_safe(user_, 256);
  std::string mech = f.mechanism.empty() ? "-" : log_safe(f.mechanism, 100);
  std::string console = console_ ? log_safe(*console_) : "-";
  std::string msg = "audit: session=" + std::to_string(id_) + " client=" + client_addr_ +
                    " console=" + console + " user=" + user + " mechanism=" + mech +
                    " ssf=" + std::to_string(ssf_) +
                    " bytes-to-client=" + std::to_string(to_client) +
                    " bytes-from-client=" + std::to_string(from_client) + " duration=" + dur +
                    " end=\"" + end_text + "\"" + (f.tls.empty() ? "" : " tls=" + log_safe(f.tls)) +
                    (f.cert_subject.empty() ? "" : " cert=\"" + log_safe(f.cert_subject) + "\"") +
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
              {"VNCGATE_END_REASON", end_text},
              {"VNCGATE_TLS", log_safe(f.tls)},
              {"VNCGATE_CLIENT_CERT", log_safe(f.cert_subject)},
              {"VNCGATE_TOKEN_ID", token_id_}});
}

}  // namespace vncgate
