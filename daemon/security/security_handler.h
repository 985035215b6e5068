// The contract of one RFB security type on the server side (and of the
// negotiation that picks one). A handler is a pure state machine over
// memory: the session feeds it the client's bytes, it consumes what it
// used and says what to send and how far the login got. No handler
// touches a socket, a timer or the daemon; the session does the rest
// (limits, delays, console, relay, audit: docs/architecture.md).
//
//   feed() ─► NeedMore            wait for more client bytes
//          ─► Upgrade             send `out`, then pass every byte both ways
//                                 through `layer` (TLS); feed again
//          ─► Work                run `work` (Cyrus SASL: maybe on a worker
//                                 thread), read no client input meanwhile;
//                                 then feed again
//          ─► Authenticated       `login` (its reply is sent once the session
//                                 accepts the login)
//          ─► Refused             `refusal`
// `out` is at the session's current level (under any layer already in
// place) and is sent before anything the step implies.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "end_reason.h"
#include "rfb/parse.h"
#include "security/security_layer.h"

namespace vncgate {

class SaslServerSession;

// A handler's verdict that the login succeeded.
struct Login {
  std::string user;            // the identity to authorize (realm stripped per config)
  std::string attempted_user;  // the name the client claimed (login limits)
  std::string mechanism;       // SASL mechanism or "x509-none"
  unsigned ssf = 0;            // protection of the session: SASL layer or TLS cipher bits
  unsigned sasl_ssf = 0;       // what the mechanism itself negotiated (logged)
  bool sasl = false;           // a SASL exchange: `reply` completes it
  bool password = false;       // a password was checked outside SASL (VeNCrypt Plain):
                               // the account's password limits apply as after SASL
  Bytes reply;                 // sent (under the session's layer) once the login is accepted
  // The SASL security layer the relay must use (null inside TLS or without one).
  std::shared_ptr<SaslServerSession> relay_layer;
};

struct Refusal {
  enum class How {
    Close,        // send `out`, close after it (protocol errors, nothing to offer)
    AuthFailure,  // a failed login: the session delays, then sends the failed
                  // SecurityResult with `client_reason` (after a SASL
                  // completion reply when `send_complete`)
    Abort,        // end at once: the channel itself is broken
  };
  How how = How::Close;
  EndReason end{EndCode::ProtocolError};
  std::string log_reason;     // the operator's detail (already log-safe where it matters)
  std::string client_reason;  // AuthFailure: the SecurityResult's reason
  bool send_complete = false;
  bool outcome_known = false;  // Cyrus decided: the login limits apply
  std::string user;            // the name the client claimed, if any
  std::string mechanism;
  unsigned ssf = 0;  // known for a failed x509-none login (TLS cipher bits)
};

// What the audit record says about the handshake so far.
struct HandshakeFacts {
  std::string mechanism;     // SASL mechanism or VeNCrypt subtype name so far
  std::string tls;           // TLS description once up
  std::string cert_subject;  // the client certificate's subject, if any
};

struct HandlerStep {
  enum class Status { NeedMore, Upgrade, Work, Authenticated, Refused };
  Status status = Status::NeedMore;
  Bytes out;
  std::unique_ptr<SecurityLayer> layer;  // Upgrade
  Bytes plaintext;                       // Upgrade: plaintext that came with the last flight
  std::function<void()> work;            // Work: owns what it touches (shared_ptr captures)
  std::optional<Login> login;            // Authenticated
  std::optional<Refusal> refusal;        // Refused

  static HandlerStep need_more(Bytes out = {}) {
    HandlerStep s;
    s.out = std::move(out);
    return s;
  }
  static HandlerStep refused(Refusal r, Bytes out = {}) {
    HandlerStep s;
    s.status = Status::Refused;
    s.out = std::move(out);
    s.refusal = std::move(r);
    return s;
  }
  static HandlerStep authenticated(Login l, Bytes out = {}) {
    HandlerStep s;
    s.status = Status::Authenticated;
    s.out = std::move(out);
    s.login = std::move(l);
    return s;
  }
};

class SecurityHandler {
 public:
  virtual ~SecurityHandler() = default;
  // The first message of the type, sent when it is chosen (may be empty).
  virtual HandlerStep begin() { return HandlerStep::need_more(); }
  // Consumes the bytes it used from the front of `in`.
  virtual HandlerStep feed(Bytes &in) = 0;
  // How many unconsumed bytes the current step may hold.
  virtual size_t input_cap() const = 0;
  // True while raw TLS handshake bytes pass through (they are not held).
  virtual bool passing_tls_handshake() const { return false; }
  virtual HandshakeFacts facts() const = 0;
};

// Asked before a SASL step reaches Cyrus: a refusal when the client's
// address is locked out by the login limits (session_limits.cpp).
using SourceGate = std::function<std::optional<Refusal>()>;

}  // namespace vncgate
