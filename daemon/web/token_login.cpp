#include "web/token_login.h"

namespace vncgate {
namespace {

Refusal protocol_refusal(const std::string &why) {
  Refusal r;
  r.how = Refusal::How::Close;
  r.end = EndReason(EndCode::ProtocolError, why);
  r.log_reason = why;
  return r;
}

}  // namespace

HandlerStep TokenLogin::begin() {
  return HandlerStep::need_more(encode_server_version());
}

HandlerStep TokenLogin::feed(Bytes &in) {
  if (state_ == State::ReadVersion) {
    auto v = parse_client_version(in);
    if (v.status == ParseStatus::NeedMore) return HandlerStep::need_more();
    if (v.status == ParseStatus::Error)
      return HandlerStep::refused(protocol_refusal(client_ + ": " + v.error));
    in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(v.consumed));
    version_ = v.value;
    if (version_.minor < 8)
      return HandlerStep::refused(protocol_refusal(client_ + ": a web session needs RFB 3.8, got " +
                                                   format_version(version_)),
                                  encode_security_types_refusal("RFB 3.8 is required"));
    state_ = State::ReadChoice;
    const uint8_t none[] = {kSecNone};
    return HandlerStep::need_more(encode_security_types(none));
  }
  auto choice = parse_security_choice(in);
  if (choice.status == ParseStatus::NeedMore) return HandlerStep::need_more();
  if (choice.status == ParseStatus::Error || choice.value != kSecNone)
    return HandlerStep::refused(protocol_refusal(client_ + " chose a security type not offered"));
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(choice.consumed));
  Login login;
  login.user = user_;
  login.attempted_user = user_;
  login.mechanism = kMechanism;
  return HandlerStep::authenticated(std::move(login));
}

}  // namespace vncgate
