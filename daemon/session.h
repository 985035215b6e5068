// One client connection, from accept to the end of its relay.
//
//   [TlsHandshake (wrap)] ─► ReadConnect ─► ReadVersion ─►
//   (gateway port only)          (dedicated port starts here)
//   ReadSecurityChoice ─┬─ 20 ───────────────────────────────────────────┐
//                       └─ 19: ReadVeNCryptVersion ─► ReadVeNCryptSubtype ─► TlsHandshake ─┤
//   ┌───────────────────────────────────────────────────────────────────────────────────────┘
//   ReadSaslStart ─► ReadSaslStep* (or the client certificate for x509-none) ─►
//   authorization ─► WaitBackend (console lease: mkvterm; backend handshake) ─► Relay
//   any state ─► AuthFailing (delay, failed SecurityResult) ─► Closed
//
// CONNECT only checks the path and token: the console is opened (mkvterm,
// force reset) only for an authenticated, authorized user. Every state up
// to login is bounded by handshake-timeout; WaitBackend by mkvterm-timeout
// and backend-timeout, each failing with a SecurityResult reason; Relay by
// max-session-time when set. Input is read into one buffer with a
// per-state cap and parsed by the pure codecs.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "admission.h"
#include "backends/backend_connection.h"
#include "config.h"
#include "console_registry.h"
#include "control/control_server.h"
#include "control/token_store.h"
#include "io/fd_watch.h"
#include "login_limits.h"
#include "relay.h"
#include "rfb/rfb_server.h"
#include "security/sasl_server.h"
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
  // Checks (and, when one-time, consumes) a link token presented at CONNECT.
  virtual TokenCheck use_token(const std::string &secret, const std::string &console,
                               TokenRecord &record) = 0;
  // The login with a reserved token ended: consumed on success, else freed.
  // False when a one-time token's use could not be saved: no session then.
  virtual bool settle_token(const std::string &id, bool consumed) = 0;
  // Password-guessing limits, with the current configuration applied.
  virtual LoginLimits &login_limits() = 0;
  // Asked once a client has authenticated (its handshake place freed): false
  // when the sessions past login already fill max-sessions.
  virtual bool session_slot_free() const { return true; }
};

class Session {
 public:
  // Takes a reference on `conn`. `console` is set for a dedicated port.
  Session(SessionHost &host, uint64_t id, GSocketConnection *conn,
          std::optional<std::string> console);
  ~Session();
  Session(const Session &) = delete;
  Session &operator=(const Session &) = delete;

  // The admission ticket of this handshake, held until authenticated.
  void hold_admission(AdmissionControl::Ticket ticket) { admission_ = std::move(ticket); }
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
    ReadConnect,
    ReadVersion,
    ReadSecurityChoice,
    ReadVeNCryptVersion,
    ReadVeNCryptSubtype,
    TlsHandshake,
    ReadSaslStart,
    ReadSaslStep,
    WaitBackend,
    AuthFailing,
    Relay,
    Closed
  };

  void on_client_event(GIOCondition cond);
  void process_input();
  bool reading() const;
  void update_watch();
  bool step();  // one state's worth of parsing; false when it needs more input
  bool on_connect_request();
  bool on_version();
  bool on_security_choice();
  bool on_vencrypt_version();
  bool on_vencrypt_subtype();
  void on_raw_input(const uint8_t *data, size_t len);
  void on_tls_up();
  bool start_sasl(unsigned external_ssf, bool allow_plaintext, bool quiet = false);
  void send_raw(const Bytes &b);
  bool on_sasl_start();
  bool on_sasl_step();
  void on_sasl_result(const SaslServerSession::Step &st);
  void on_authenticated();
  void open_console();
  void on_console_ready(const HostPort *backend, const std::string &error);
  void on_backend_timeout();
  void on_max_session_time();
  void arm_timer(guint &timer, unsigned ms, void (Session::*fire)());
  static void cancel_timer(guint &timer);
  void begin_rfb();
  void connect_backend(const HostPort &backend);
  void on_backend(std::unique_ptr<Transport> backend, const std::string &error);
  // Password-guessing limits (session_limits.cpp).
  bool refuse_locked_out_source(bool send_complete);
  bool refuse_limited_login();
  void record_login_failure(const std::string &end_reason);
  void fail_auth(const std::string &client_reason, const std::string &log_reason,
                 bool send_complete, const std::string &end_reason = "authentication failed");
  void send(const Bytes &b);
  void send(std::string_view s);
  bool flush();
  void close_after_flush(const std::string &reason);
  void end(const std::string &reason);
  void audit(const std::string &reason);
  size_t input_cap() const;
  bool reserve_input(size_t incoming, size_t cap);
  bool settle_buffers();
  bool leave_admission();

  SessionHost &host_;
  uint64_t id_;
  std::shared_ptr<const Config> config_;
  GSocketConnection *conn_;
  int fd_;
  std::string client_addr_, client_ip_port_, local_ip_port_;
  std::optional<std::string> console_;
  bool gateway_port_;
  State state_;
  std::unique_ptr<FdWatch> watch_;
  Bytes in_, out_;
  RfbVersion version_;
  std::unique_ptr<SaslServerSession> sasl_;
  std::shared_ptr<TlsCredentials> tls_creds_;
  std::unique_ptr<TlsServerSession> tls_;
  bool tls_up_ = false;
  bool wrapped_ = false;            // TLS from byte 0 (gateway port with [tls] wrap)
  std::vector<uint32_t> subtypes_;  // VeNCrypt subtypes offered
  bool offered_sasl_ = false;
  uint32_t subtype_ = 0;
  std::string tls_desc_, cert_subject_;
  std::unique_ptr<ConsoleRegistry::Lease> lease_;
  std::unique_ptr<BackendConnection> backend_conn_;
  std::unique_ptr<Relay> relay_;  // owns both connections' transports once relaying
  guint handshake_timer_ = 0;
  guint fail_timer_ = 0;
  guint backend_timer_ = 0;  // backend-timeout, from the backend connect to its SecurityResult
  guint session_timer_ = 0;  // max-session-time, from the start of the relay
  bool closing_ = false;
  std::string close_reason_;
  std::string user_, mechanism_;
  std::string token_id_, token_user_;
  AuthHint auth_hint_ = AuthHint::None;  // the CONNECT's Vncgate-Auth, for start_sasl()
  bool token_settled_ = false;
  int64_t started_wall_ = 0;
  unsigned ssf_ = 0;       // protection of the session: SASL layer or TLS cipher bits
  unsigned sasl_ssf_ = 0;  // what SASL itself negotiated (0 inside TLS)
  gint64 started_us_;
  AdmissionControl::Ticket admission_;  // released at authentication
};

}  // namespace vncgate
