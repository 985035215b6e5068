// The security step of a browser that presented a valid web link token on
// its WebSocket (daemon/web/): the identity is the token's user, already
// checked by the session, so the RFB handshake offers only None (type 1)
// inside wss. RFB 3.8 only (noVNC speaks it), so the SecurityResult the
// session sends once the console answers is always expected.
//
//   ReadVersion ─► None offered ─► ReadChoice ─► Authenticated
//
// Pure code like the other handlers (security/security_handler.h).
#pragma once

#include <string>

#include "rfb/rfb_server.h"
#include "security/security_handler.h"

namespace vncgate {

class TokenLogin : public SecurityHandler {
 public:
  // `user` is the token's user; `client` names the peer in the log.
  TokenLogin(std::string user, std::string client)
      : user_(std::move(user)), client_(std::move(client)) {}
  HandlerStep begin() override;
  HandlerStep feed(Bytes &in) override;
  size_t input_cap() const override { return 4096; }
  HandshakeFacts facts() const override { return HandshakeFacts{kMechanism, {}, {}}; }
  RfbVersion version() const { return version_; }

  static constexpr const char *kMechanism = "web-token";

 private:
  enum class State { ReadVersion, ReadChoice };
  State state_ = State::ReadVersion;
  RfbVersion version_;
  std::string user_, client_;
};

}  // namespace vncgate
