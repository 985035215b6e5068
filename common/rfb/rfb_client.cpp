#include "rfb/rfb_client.h"

#include <nettle/des.h>

#include <algorithm>

namespace vncgate {

RfbClientHandshake::RfbClientHandshake(std::optional<std::string> password, bool want_tls)
    : password_(std::move(password)), want_tls_(want_tls) {}

RfbClientHandshake::Step RfbClientHandshake::fail(std::string why) {
  state_ = State::Failed;
  error_ = std::move(why);
  return {ParseStatus::Error, 0, {}};
}

RfbClientHandshake::Step RfbClientHandshake::after_auth_choice(Bytes reply, size_t consumed) {
  if (chosen_ == kSecVncAuth) {
    state_ = State::VncChallenge;
    return {ParseStatus::NeedMore, consumed, std::move(reply)};
  }
  // None: 3.8 still sends a SecurityResult, 3.3 and 3.7 do not.
  if (version_.minor >= 8) {
    state_ = State::SecurityResult;
    return {ParseStatus::NeedMore, consumed, std::move(reply)};
  }
  state_ = State::Done;
  return {ParseStatus::Ok, consumed, std::move(reply)};
}

RfbClientHandshake::Step RfbClientHandshake::feed(ByteSpan in) {
  switch (state_) {
    case State::Version: {
      auto v = parse_server_version(in);
      if (v.status == ParseStatus::NeedMore) return {};
      if (v.status == ParseStatus::Error) return fail(v.error);
      version_ = v.value;
      Bytes reply;
      put_string(reply, format_version(version_));
      state_ = version_.minor >= 7 ? State::SecurityTypes : State::SecurityType33;
      return {ParseStatus::NeedMore, v.consumed, std::move(reply)};
    }
    case State::SecurityType33: {
      if (in.size() < 4) return {};
      uint32_t type = read_u32(in, 0);
      if (type == 0) {
        state_ = State::FailureReason;
        return {ParseStatus::NeedMore, 4, {}};
      }
      // 3.3 cannot offer VeNCrypt: never fall back to the clear when TLS is required.
      if (want_tls_)
        return fail("backend speaks RFB 3.3 (no VeNCrypt), but backend-tls=x509 requires it");
      if (type == kSecNone) {
        chosen_ = kSecNone;
        return after_auth_choice({}, 4);
      }
      if (type == kSecVncAuth) {
        if (!password_) return fail("backend asks for a VNC password and none is configured");
        chosen_ = kSecVncAuth;
        return after_auth_choice({}, 4);
      }
      return fail("backend asks for an unsupported security type " + std::to_string(type));
    }
    case State::SecurityTypes: {
      if (in.empty()) return {};
      uint8_t count = in[0];
      if (count == 0) {
        state_ = State::FailureReason;
        return {ParseStatus::NeedMore, 1, {}};
      }
      if (in.size() < 1u + count) return {};
      auto types = in.subspan(1, count);
      auto has = [&](uint8_t t) { return std::find(types.begin(), types.end(), t) != types.end(); };
      if (want_tls_) {
        if (!has(kSecVeNCrypt))
          return fail("backend does not offer VeNCrypt, but backend-tls=x509 requires it");
        chosen_ = kSecVeNCrypt;
        state_ = State::VeNCryptVersion;
        return {ParseStatus::NeedMore, 1u + count, Bytes{kSecVeNCrypt}};
      }
      if (has(kSecNone)) {
        chosen_ = kSecNone;
      } else if (has(kSecVncAuth) && password_) {
        chosen_ = kSecVncAuth;
      } else if (has(kSecVncAuth)) {
        return fail("backend asks for a VNC password and none is configured");
      } else {
        return fail("backend offers no security type the gateway supports (None, VNC password)");
      }
      Bytes reply{chosen_};
      return after_auth_choice(std::move(reply), 1u + count);
    }
    case State::VeNCryptVersion: {
      if (in.size() < 2) return {};
      if (in[0] != 0 || in[1] < 2) return fail("backend speaks an unsupported VeNCrypt version");
      state_ = State::VeNCryptAck;
      return {ParseStatus::NeedMore, 2, Bytes{0, 2}};
    }
    case State::VeNCryptAck: {
      if (in.empty()) return {};
      if (in[0] != 0) return fail("backend refused VeNCrypt version 0.2");
      state_ = State::VeNCryptSubtypes;
      return {ParseStatus::NeedMore, 1, {}};
    }
    case State::VeNCryptSubtypes: {
      if (in.empty()) return {};
      size_t n = in[0];
      if (in.size() < 1 + 4 * n) return {};
      bool x509none = false, x509vnc = false;
      for (size_t i = 0; i < n; ++i) {
        uint32_t st = read_u32(in, 1 + 4 * i);
        x509none |= st == 260;
        x509vnc |= st == 261;
      }
      if (x509none) {
        subtype_ = 260;
      } else if (x509vnc && password_) {
        subtype_ = 261;
      } else if (x509vnc) {
        return fail("backend asks for a VNC password inside TLS and none is configured");
      } else {
        return fail("backend offers no X.509 VeNCrypt subtype (X509None or X509Vnc)");
      }
      Bytes reply;
      put_u32(reply, subtype_);
      state_ = State::VeNCryptAccept;
      return {ParseStatus::NeedMore, 1 + 4 * n, std::move(reply)};
    }
    case State::VeNCryptAccept: {
      if (in.empty()) return {};
      if (in[0] != 1) return fail("backend rejected the VeNCrypt subtype");
      // Inside TLS: VNC password for X509Vnc; a SecurityResult always follows.
      state_ = subtype_ == 261 ? State::VncChallenge : State::SecurityResult;
      Step st{ParseStatus::NeedMore, 1, {}};
      st.start_tls = true;
      return st;
    }
    case State::VncChallenge: {
      if (in.size() < 16) return {};
      Bytes reply = vnc_auth_response(*password_, in.subspan(0, 16));
      state_ = State::SecurityResult;
      return {ParseStatus::NeedMore, 16, std::move(reply)};
    }
    case State::SecurityResult: {
      if (in.size() < 4) return {};
      uint32_t result = read_u32(in, 0);
      if (result == 0) {
        state_ = State::Done;
        return {ParseStatus::Ok, 4, {}};
      }
      if (version_.minor >= 8) {
        state_ = State::FailureReason;
        return {ParseStatus::NeedMore, 4, {}};
      }
      return fail(chosen_ == kSecVncAuth ? "backend refused the VNC password"
                                         : "backend refused the connection");
    }
    case State::FailureReason: {
      if (in.size() < 4) return {};
      uint32_t len = read_u32(in, 0);
      if (len > 4096) return fail("backend refused the connection (over-long reason)");
      if (in.size() < 4 + len) return {};
      std::string reason;
      for (size_t i = 4; i < 4 + len; ++i) {
        char c = static_cast<char>(in[i]);
        reason.push_back(static_cast<unsigned char>(c) < 0x20 || c == 0x7f ? '?' : c);
      }
      return fail("backend refused the connection: " + reason);
    }
    case State::Done:
      return {ParseStatus::Ok, 0, {}};
    case State::Failed:
      return {ParseStatus::Error, 0, {}};
  }
  return fail("internal error");
}

Bytes vnc_auth_response(std::string_view password, ByteSpan challenge) {
  uint8_t key[8] = {};
  for (size_t i = 0; i < 8 && i < password.size(); ++i) {
    auto b = static_cast<uint8_t>(password[i]);
    uint8_t r = 0;
    for (int bit = 0; bit < 8; ++bit) {
      if (b & (1 << bit)) r |= static_cast<uint8_t>(0x80 >> bit);
    }
    key[i] = r;
  }
  des_ctx ctx;
  des_set_key(&ctx, key);  // parity is ignored; VNC keys may be "weak"
  Bytes out(16);
  des_encrypt(&ctx, 16, out.data(), challenge.data());
  return out;
}

}  // namespace vncgate
