// Why a session ended: one code per reason, each carrying the text of its
// audit record's end= field, the result label of vncgate_handshakes_total
// (for handshakes that never reached the relay) and, where the client is
// told, the reason of its failed SecurityResult. The audit texts and metric
// labels are an interface: tests, log searches and the Prometheus rules in
// data/prometheus rely on them.
#pragma once

#include <string>

namespace vncgate {

enum class EndCode {
  HandshakeTimeout,
  ClientClosed,
  ClientError,      // detail: the socket error
  BufferBudget,     // handshake-buffer-mib spent
  MessageTooLarge,  // one handshake message over its cap
  ProtocolError,    // detail: what was wrong
  UnknownConsole,
  TokenRefused,      // detail: the token check's name
  TokenOtherUser,    // the link's token names another user
  TokenNotRecorded,  // a one-time token's use could not be saved
  TlsUnavailable,
  TlsHandshakeFailed,  // detail: the full "TLS handshake failed: ..." text
  TlsPeerRefused,      // detail: why the client certificate was refused
  TlsRecordLayer,      // a record could not be encoded
  NoMechanism,         // no SASL mechanism left to offer
  NoMechanismForHint,  // detail: the CONNECT's Vncgate-Auth hint that left none
  Rfb33Client,
  AuthenticationFailed,
  CertificateRefused,  // a verified certificate names no user
  TooManyLoginAttempts,
  TooManyFailedLogins,
  MaxSessions,
  ConsoleRemoved,
  NotAuthorized,
  ConsoleUnavailable,  // detail: the operator's detail (mkvterm's stderr, ...)
  BackendTimeout,      // detail: "the console did not answer within N s"
  BackendUnreachable,
  AuthorizationWithdrawn,
  MaxSessionTime,
  Stopped,        // detail: who stopped it ("daemon stopping", "ended by operator")
  RelayEnded,     // detail: the relay's reason
  Draining,       // the gateway takes no new sessions (vncgatectl drain)
  SourceRefused,  // detail: why a proxied client's own address was refused
};

class EndReason {
 public:
  EndReason(EndCode code, std::string detail = {}) : code_(code), detail_(std::move(detail)) {}

  EndCode code() const { return code_; }
  const std::string &detail() const { return detail_; }
  // The audit record's end= text, e.g. "protocol error: unsupported RFB version 3.9".
  std::string audit_text() const;
  // vncgate_handshakes_total{result=...}, e.g. "protocol_error".
  const char *metric_label() const;
  // The failed SecurityResult's reason for the client ("" where the code
  // has none: the client is told nothing, or the caller says more).
  const char *client_text() const;
  // Cyrus or the certificate check decided the login was wrong: counts
  // as a guess for the login limits.
  bool is_failed_guess() const { return code_ == EndCode::AuthenticationFailed; }

 private:
  EndCode code_;
  std::string detail_;
};

}  // namespace vncgate
