// Client side of a backend's RFB handshake, up to and including its
// SecurityResult: the gateway authenticates to the backend VNC server with
// None or VNC password, then relays the real client's ClientInit onward.
//
//   Version ─► SecurityTypes (3.7+) / SecurityType33 ─► [VncChallenge] ─►
//   [SecurityResult] ─► Done          (any state ─► Failed)
//   With TLS wanted, SecurityTypes ─► VeNCrypt (19): VeNCryptVersion ─►
//   VeNCryptAck ─► VeNCryptSubtypes ─► VeNCryptAccept ─► (step.start_tls:
//   the caller runs the TLS handshake and feeds plaintext from then on) ─►
//   [VncChallenge] ─► SecurityResult ─► Done
#pragma once

#include <optional>
#include <string>

#include "rfb/parse.h"
#include "rfb/rfb_server.h"

namespace vncgate {

class RfbClientHandshake {
 public:
  enum class State {
    Version,
    SecurityTypes,
    SecurityType33,
    VeNCryptVersion,
    VeNCryptAck,
    VeNCryptSubtypes,
    VeNCryptAccept,
    VncChallenge,
    SecurityResult,
    FailureReason,
    Done,
    Failed
  };

  // `password`: the backend's VNC password, when it has one. `want_tls`:
  // insist on VeNCrypt X509None/X509Vnc (the backend's certificate is
  // checked by the caller's TLS session).
  explicit RfbClientHandshake(std::optional<std::string> password, bool want_tls = false);

  struct Step {
    ParseStatus status = ParseStatus::NeedMore;  // Ok = handshake complete
    size_t consumed = 0;                         // bytes of `in` used
    Bytes reply;                                 // bytes to send to the backend
    bool start_tls = false;                      // send `reply`, then run TLS before feeding more
  };
  // Feed bytes received from the backend. Call again with the rest of the
  // input after a step that consumed something and is not complete.
  Step feed(ByteSpan in);

  State state() const { return state_; }
  const std::string &error() const { return error_; }
  RfbVersion version() const { return version_; }
  uint8_t security_type() const { return chosen_; }
  uint32_t vencrypt_subtype() const { return subtype_; }

 private:
  Step fail(std::string why);
  Step after_auth_choice(Bytes reply, size_t consumed);

  std::optional<std::string> password_;
  bool want_tls_ = false;
  uint32_t subtype_ = 0;
  State state_ = State::Version;
  RfbVersion version_;
  uint8_t chosen_ = kSecInvalid;
  std::string error_;
};

// VNC authentication response: DES (bit-reversed key from the first 8
// password bytes) over the 16-byte challenge.
Bytes vnc_auth_response(std::string_view password, ByteSpan challenge);

}  // namespace vncgate
