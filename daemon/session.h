// One client connection, from accept to the end of its relay. The session
// orchestrates; the protocol steps are pure code elsewhere
// (docs/architecture.md):
//
//   [ProxyHeader] ─► [TlsWrap] ─► ReadConnect ─► Negotiating ─► authorization ─► WaitBackend ─►
//   Relay (gateway port only)  (dedicated port starts at Negotiating) ProxyHeader: a connection
//   from [gateway] proxy-protocol-from, any port Negotiating ◄─► SaslWorking (a Cyrus call on the
//   SASL worker pool) any state ─► AuthFailing (delay, failed SecurityResult) ─► Closed draining:
//   ReadConnect ─► 503 ─► Closed; a console's port: DrainRefusal ─► Closed
//
// Negotiating feeds the client's bytes to a SecurityNegotiation
// (security/security_negotiation.h), which picks and runs the security
// type's handler (VeNCrypt: TLS, then SASL or the certificate identity;
// SASL) and says what to send, when TLS goes up under the connection, and
// whether the login succeeded. The session applies the login limits,
// the delays, admission and max-sessions, opens the console, connects the
// backend, starts the relay and writes the audit record.
//
// CONNECT only checks the path and token: the console is opened (mkvterm,
// force reset) only for an authenticated, authorized user. Every state up
// to login is bounded by handshake-timeout; WaitBackend by mkvterm-timeout
// and backend-timeout, each failing with a SecurityResult reason; Relay by
// max-session-time when set. The client's bytes move through one Transport
// (io/transport.h) from accept to the end of the relay: its input limit is
// the per-state cap, its buffers are charged to the handshake budget, TLS
// goes up under it in place, and the relay takes it over as it is.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "admission.h"
#include "backends/backend_connection.h"
#include "config.h"
#include "console_registry.h"
#include "control/control_server.h"
#include "control/token_store.h"
#include "end_reason.h"
#include "io/callback_guard.h"
#include "io/main_loop_timer.h"
#include "io/transport.h"
#include "io/worker_pool.h"
#include "login_limits.h"
#include "relay.h"
#include "rfb/rfb_server.h"
#include "security/sasl_server.h"
#include "security/security_negotiation.h"
#include "security/tls_server.h"

namespace vncgate {

// allowed-users matching: exact, or a bare name in the configured realm.
bool user_allowed(const std::vector<std::string> &allowed, const std::string &user,
                  const std::string &realm);

class SessionHost {
 public:
  virtual ~SessionHost() = default;
  virtual ConsoleRegistry &registry() = 0;
  virtual std::shared_ptr<const Config> config() const = 0;
  // Current TLS credentials (null when TLS is not configured).
  virtual std::shared_ptr<TlsCredentials> tls() const = 0;
  // The session has ended; the host destroys it later from the main loop.
  virtual void session_ended(uint64_t id) = 0;
  // Checks a link token presented at CONNECT and reserves it for this
  // login; `done` gets the check and the record (named also on refusal).
  // The in-process store answers before use_token returns, the [cluster]
  // store later, from the main loop: the session handles both.
  using TokenUseFn = std::function<void(TokenCheck, const TokenRecord &)>;
  virtual void use_token(const std::string &secret, const std::string &console,
                         TokenUseFn done) = 0;
  // The login with a reserved token ended: consumed on success, else freed.
  // `done(false)` when a one-time token's use could not be saved: no
  // session then. `done` may be null; it is called like use_token's.
  using TokenSettledFn = std::function<void(bool saved)>;
  virtual void settle_token(const std::string &id, bool consumed, TokenSettledFn done) = 0;
  // False while a login without a token must be refused ([cluster]
  // tokenless-logins-without-redis=no and Redis unreachable).
  virtual bool tokenless_login_allowed() const { return true; }
  // Password-guessing limits, with the current configuration applied.
  virtual LoginLimits &login_limits() = 0;
  // Asked once a client has authenticated (its handshake place freed): false
  // when the sessions past login already fill max-sessions.
  virtual bool session_slot_free() const { return true; }
  // Where SASL steps run ([sasl] workers); null: on the main loop.
  virtual WorkerPool *sasl_workers() { return nullptr; }
  // Drained (vncgatectl drain): new clients are refused, running sessions
  // continue.
  virtual bool draining() const { return false; }
  // The PROXY header of a trusted load balancer named the client `client`:
  // allowed-clients and the per-source admission apply to it now. The
  // session has released the balancer's place; an empty ticket (and `why`)
  // refuses the client.
  virtual AdmissionControl::Ticket admit_proxied_client(uint64_t id, GInetAddress *client,
                                                        std::string &why) {
    (void)id, (void)client;
    why = "PROXY protocol not supported here";
    return {};
  }
};

// A browser's session from the web front (daemon/web/): there is no
// socket, so the browser's address, what its first WebSocket message said
// and the WebSocket itself come with it.
struct WebPeer {
  std::string address;       // "IP:PORT" for logs and audit
  std::string sasl_address;  // "IP;PORT" for Cyrus
  std::string token;         // the link token; empty: no link (password login)
  unsigned channel_ssf = 0;  // the wss cipher's key bits (0: a loopback WebSocket)
  // Called once when the session is refused before RFB starts (a bad
  // token): the page shows `reason`.
  std::function<void(const std::string &reason)> refused;
  // The browser's WebSocket (web/websocket_channel.h): the session's
  // Transport takes it.
  std::unique_ptr<ByteChannel> channel;
};

class Session {
 public:
  // Takes a reference on `conn` (through its Transport); a web session has
  // no `conn` and runs over web->channel. `console` is set for a dedicated
  // port and for a web session.
  Session(SessionHost &host, uint64_t id, GSocketConnection *conn,
          std::optional<std::string> console, std::optional<WebPeer> web = std::nullopt);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  // The admission ticket of this handshake, held until authenticated.
  void hold_admission(AdmissionControl::Ticket ticket) { admission_ = std::move(ticket); }
  // The connection comes from a trusted load balancer: it starts with a
  // PROXY protocol header, read before anything else. Call before start().
  void expect_proxy_header() { state_ = State::ProxyHeader; }
  void start();
  // Ends the session now (daemon stopping, operator request).
  void stop(const std::string &reason);
  // After a reload: a logged-in session whose console is gone or whose
  // user left allowed-users ends ("authorization withdrawn").
  void recheck_authorization(const Config &current);

  uint64_t id() const { return id_; }
  const std::string &client_address() const { return client_addr_; }
  const std::string &token_id() const { return token_id_; }
  SessionInfo info() const;

 private:
  enum class State {
    ProxyHeader,  // from a proxy-protocol-from balancer: its header comes first
    TlsWrap,
    ReadConnect,
    Negotiating,
    SaslWorking,
    WaitBackend,
    AuthFailing,
    Relay,
    DrainRefusal,  // a console's own port while draining: the refusal after the versions
    Closed
  };

  void begin_protocol();
  bool on_proxy_header();
  void on_client_input();
  void on_client_failed(const TransportError &e);
  void on_wrap_tls(bool ok, const std::string &error);
  void process_input();
  void after_step();
  void update_reading();
  bool on_connect_request();
  void refuse_draining();
  void on_drain_refusal_version();
  void on_token_checked(TokenCheck check, const TokenRecord &rec);
  void start_web();
  void on_web_token_accepted();
  // The link token of a CONNECT ?token= or of a web session's first message:
  // checked (and reserved) here only; the answer comes to on_token_checked.
  void check_link_token(const std::string &secret, const std::string &console);
  // Security (session_auth.cpp).
  void begin_rfb();
  void drive_security();
  void run_work(std::function<void()> work);
  void accept_login(Login login);
  void refuse(Refusal refusal);
  void on_authenticated();
  HandshakeFacts facts() const;
  RfbVersion version() const;
  // Console, backend and relay.
  void open_console();
  void on_console_ready(const HostPort *backend, const std::string &error);
  void on_backend_timeout();
  void on_max_session_time();
  void connect_backend(const HostPort &backend);
  void on_backend(std::unique_ptr<Transport> backend, const std::string &error);
  void on_token_use_recorded(bool saved);
  void begin_relay(std::unique_ptr<Transport> backend);
  void start_relay(std::unique_ptr<Transport> backend);
  // Password-guessing limits (session_limits.cpp).
  std::optional<Refusal> source_refusal(bool send_complete);
  bool refuse_locked_out_source(bool send_complete, const std::string &claimed);
  bool refuse_limited_login(const std::string &who, const std::string &mechanism,
                            bool send_complete);
  void record_login_failure(const EndReason &end);
  // A failed login: logged, counted, answered after auth-failure-delay.
  // `client_reason` empty: the end reason's client text.
  void fail_auth(const EndReason &end, const std::string &log_reason, bool send_complete,
                 const std::string &client_reason = {});
  void refuse_with_result(const EndReason &end, const std::string &client_reason = {});
  void send(ByteSpan b);
  void send(std::string_view text);
  void close_after_flush(const EndReason &reason);
  void end(const EndReason &reason);
  void audit(const EndReason &reason);
  std::string log_prefix() const { return "session " + std::to_string(id_) + ": "; }
  size_t input_cap() const;
  void refuse_over_budget();
  bool settle_buffers();
  bool leave_admission();

  SessionHost &host_;
  uint64_t id_;
  std::shared_ptr<const Config> config_;
  std::string client_addr_, client_ip_port_, local_ip_port_;
  std::optional<std::string> console_;
  bool gateway_port_;
  State state_;
  // The client connection until the relay takes it over; its layer is the
  // TLS under the connection (wrapped port, or VeNCrypt once up), and the
  // SASL layer from the relay on.
  std::unique_ptr<Transport> client_;
  std::shared_ptr<TlsCredentials> tls_creds_;
  TlsServerSession *wrap_tls_ = nullptr;  // [tls] wrap during its handshake (client_ owns it)
  unsigned wrap_ssf_ = 0;
  std::string tls_desc_, cert_subject_;               // of the wrapping TLS
  std::unique_ptr<SecurityNegotiation> negotiation_;  // until authenticated
  std::optional<WebPeer> web_;
  // A Cyrus call of negotiation_ in the pool: while it is held the session
  // reads no input and does not touch the negotiation; dropping it (the
  // session ended) drops the result.
  std::unique_ptr<WorkerPool::Ticket> work_ticket_;
  HandshakeFacts facts_;  // kept from negotiation_
  RfbVersion version_;
  std::shared_ptr<SaslServerSession> relay_layer_;  // the SASL layer, if negotiated
  std::unique_ptr<ConsoleRegistry::Lease> lease_;
  std::unique_ptr<BackendConnection> backend_conn_;
  std::unique_ptr<Relay> relay_;  // owns both connections' transports once relaying
  MainLoopTimer handshake_timer_;
  MainLoopTimer fail_timer_;
  MainLoopTimer backend_timer_;  // backend-timeout, from the backend connect to its SecurityResult
  MainLoopTimer session_timer_;  // max-session-time, from the start of the relay
  bool closing_ = false;
  EndReason close_reason_{EndCode::ClientClosed};
  std::string user_;
  std::string token_id_, token_user_;
  AuthHint auth_hint_ = AuthHint::None;  // the CONNECT's Vncgate-Auth, for the SASL offer
  bool token_settled_ = false;
  bool awaiting_token_ = false;                  // use_token asked, not yet answered
  bool in_use_token_call_ = false;               // inside use_token: an answer now is synchronous
  std::unique_ptr<Transport> settling_backend_;  // the backend while the token use is recorded
  CallbackGuard token_guard_;                    // the token store's answers for this session
  int64_t started_wall_ = 0;
  unsigned ssf_ = 0;       // protection of the session: SASL layer or TLS cipher bits
  unsigned sasl_ssf_ = 0;  // what SASL itself negotiated (0 inside TLS)
  gint64 started_us_;
  AdmissionControl::Ticket admission_;  // released at authentication
};

}  // namespace vncgate
