#include "end_reason.h"

namespace vncgate {
namespace {

struct EndText {
  const char *audit;  // "" = the detail is the whole text
  const char *label;
  const char *client;
};

EndText text_of(EndCode code) {
  switch (code) {
    case EndCode::HandshakeTimeout:
      return {"handshake timeout", "handshake_timeout", ""};
    case EndCode::ClientClosed:
      return {"client closed during the handshake", "client_closed", ""};
    case EndCode::ClientError:
      return {"client connection error", "other", ""};
    case EndCode::BufferBudget:
      return {"refused: handshake buffer budget spent", "other", ""};
    case EndCode::MessageTooLarge:
      return {"protocol error: handshake message too large", "protocol_error", ""};
    case EndCode::ProtocolError:
      return {"protocol error", "protocol_error", ""};
    case EndCode::UnknownConsole:
      return {"unknown console", "unknown_console", ""};
    case EndCode::TokenRefused:
      return {"token refused", "token", ""};
    case EndCode::TokenOtherUser:
      return {"token bound to another user", "token", "this console link belongs to another user"};
    case EndCode::TokenNotRecorded:
      return {"token use not recorded", "token",
              "the console link could not be recorded as used; ask for a new link"};
    case EndCode::TlsUnavailable:
      return {"TLS unavailable", "TLS", ""};
    case EndCode::TlsHandshakeFailed:
      return {"", "TLS", ""};
    case EndCode::TlsPeerRefused:
      return {"", "other", ""};
    case EndCode::TlsRecordLayer:
      return {"TLS record layer error", "TLS", ""};
    case EndCode::NoMechanism:
      return {"no SASL mechanism available", "other", ""};
    case EndCode::NoMechanismForHint:
      return {"no SASL mechanism left for Vncgate-Auth", "other", ""};
    case EndCode::Rfb33Client:
      return {"client speaks RFB 3.3 only", "other", ""};
    case EndCode::AuthenticationFailed:
      return {"authentication failed", "authentication_failed", "authentication failed"};
    case EndCode::CertificateRefused:
      return {"client certificate refused", "other", ""};
    case EndCode::TooManyLoginAttempts:
      return {"too many login attempts", "too_many", ""};
    case EndCode::TooManyFailedLogins:
      return {"too many failed logins", "too_many", ""};
    case EndCode::MaxSessions:
      return {"max-sessions reached", "other", "the gateway has no room for another session"};
    case EndCode::ConsoleRemoved:
      return {"console removed", "other", "the console no longer exists"};
    case EndCode::NotAuthorized:
      return {"not authorized", "not_authorized", "user is not authorized for this console"};
    case EndCode::ConsoleUnavailable:
      return {"console unavailable", "console_unavailable", "the console could not be opened"};
    case EndCode::BackendTimeout:
      return {"backend unavailable", "backend_unavailable", "the console did not answer"};
    case EndCode::BackendUnreachable:
      return {"backend unavailable", "backend_unavailable", "the console is not reachable"};
    case EndCode::AuthorizationWithdrawn:
      return {"authorization withdrawn", "authorization_withdrawn",
              "you are no longer authorized for this console"};
    case EndCode::MaxSessionTime:
      return {"max-session-time reached", "other", ""};
    case EndCode::Draining:
      return {"refused: gateway draining", "draining", "gateway draining"};
    case EndCode::SourceRefused:
      return {"refused", "other", ""};
    case EndCode::Stopped:
    case EndCode::RelayEnded:
      return {"", "other", ""};
  }
  return {"", "other", ""};
}

}  // namespace

std::string EndReason::audit_text() const {
  std::string text = text_of(code_).audit;
  if (text.empty()) return detail_;
  return detail_.empty() ? text : text + ": " + detail_;
}

const char *EndReason::metric_label() const {
  return text_of(code_).label;
}

const char *EndReason::client_text() const {
  return text_of(code_).client;
}

}  // namespace vncgate
