#include "security/security_negotiation.h"

#include <optional>

#include "logging.h"
#include "rfb/http_connect.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"
#include "security/vencrypt_handler.h"

namespace vncgate {
namespace {

constexpr size_t kSmallCap = 4096;

// The external SSF a VeNCrypt SASL subtype's pre-check assumes. Cyrus only
// compares it with 1 (above: plaintext mechanisms count as protected) and
// with min_ssf, which is 0 inside TLS, so any real cipher gives the same
// mechanism list; 128 is the weakest key the default priority admits.
constexpr unsigned kTlsSsfForOffer = 128;

Refusal close_refusal(EndReason end, std::string log_reason) {
  Refusal r;
  r.how = Refusal::How::Close;
  r.end = std::move(end);
  r.log_reason = std::move(log_reason);
  return r;
}

void append(Bytes &out, const Bytes &more) {
  out.insert(out.end(), more.begin(), more.end());
}

}  // namespace

HandlerStep SecurityNegotiation::begin() {
  return HandlerStep::need_more(encode_server_version());
}

size_t SecurityNegotiation::input_cap() const {
  return chosen_ ? chosen_->input_cap() : kSmallCap;
}

HandshakeFacts SecurityNegotiation::facts() const {
  if (state_ == State::Done && opts_.pre_authenticated)
    return {opts_.pre_authenticated->mechanism, {}, {}};
  return chosen_ ? chosen_->facts() : HandshakeFacts{};
}

std::unique_ptr<SaslHandler> SecurityNegotiation::make_sasl(unsigned external_ssf,
                                                            bool allow_plaintext, bool quiet) {
  SaslHandlerOptions o = opts_.sasl;
  o.sasl.external_ssf = external_ssf;
  o.sasl.allow_plaintext = allow_plaintext;
  std::string error;
  auto h = SaslHandler::create(std::move(o), error);
  if (!h)
    log_record(quiet ? G_LOG_LEVEL_DEBUG : G_LOG_LEVEL_CRITICAL,
               opts_.log_prefix + "cannot offer SASL: " + error);
  return h;
}

HandlerStep SecurityNegotiation::feed(Bytes &in) {
  Bytes out;
  for (;;) {
    std::optional<HandlerStep> stop;
    switch (state_) {
      case State::ReadVersion:
        stop = on_version(in, out);
        break;
      case State::ReadChoice:
        stop = on_choice(in, out);
        break;
      case State::Chosen:
        stop = chosen_->feed(in);
        break;
      case State::Done:
        stop = HandlerStep::need_more();
        break;
    }
    if (stop) {
      stop->out.insert(stop->out.begin(), out.begin(), out.end());
      return std::move(*stop);
    }
  }
}

std::optional<HandlerStep> SecurityNegotiation::on_version(Bytes &in, Bytes &out) {
  auto v = parse_client_version(in);
  if (v.status == ParseStatus::NeedMore) return HandlerStep::need_more();
  if (v.status == ParseStatus::Error)
    return HandlerStep::refused(
        close_refusal({EndCode::ProtocolError, v.error}, opts_.client + ": " + v.error));
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(v.consumed));
  version_ = v.value;
  if (version_.minor < 7)
    return HandlerStep::refused(
        close_refusal(EndReason(EndCode::Rfb33Client),
                      "refused " + opts_.client + ": RFB 3.3 client cannot use SASL"),
        encode_v33_refusal("This gateway requires SASL authentication, which needs RFB 3.7 or "
                           "later; use a client that supports it (e.g. gtk-vnc)"));
  if (opts_.pre_authenticated) {
    if (version_.minor < 8)
      return HandlerStep::refused(
          close_refusal(EndReason(EndCode::ProtocolError, "RFB 3.7 after a web link"),
                        "refused " + opts_.client + ": RFB 3.7 client on the web front"),
          encode_security_types_refusal("this console needs an RFB 3.8 client"));
    append(out, encode_security_types(Bytes{kSecNone}));
    state_ = State::ReadChoice;
    return std::nullopt;
  }
  compute_offer();
  if (!sasl_ && subtypes_.empty()) {
    const AuthHint hint = opts_.sasl.sasl.auth_hint;
    std::string reason = "no authentication method is available on this gateway";
    if (hint == AuthHint::None)
      return HandlerStep::refused(close_refusal(EndReason(EndCode::NoMechanism), ""),
                                  encode_security_types_refusal(reason));
    reason += " for " + std::string(auth_hint_name(hint));
    return HandlerStep::refused(
        close_refusal(EndReason(EndCode::NoMechanismForHint, std::string(auth_hint_name(hint))),
                      ""),
        encode_security_types_refusal(reason));
  }
  Bytes types;
  if (!subtypes_.empty()) types.push_back(kSecVeNCrypt);
  if (sasl_) types.push_back(kSecSasl);
  append(out, encode_security_types(types));
  state_ = State::ReadChoice;
  return std::nullopt;
}

void SecurityNegotiation::compute_offer() {
  if (opts_.secure_channel) {
    // noVNC knows VeNCrypt Plain only; the channel already protects it.
    subtypes_ = {kVeNCryptPlain};
    return;
  }
  if (!opts_.wrapped && opts_.tls) {
    for (uint32_t st : opts_.vencrypt_subtypes) {
      const bool anonymous = vencrypt_subtype_is_anonymous(st);
      if (!anonymous && !opts_.tls->has_x509()) continue;
      // Offer a SASL subtype only if its inner SASL will have a mechanism,
      // with the settings VeNCryptHandler uses. The cipher's key bits are
      // known only after the handshake: kTlsSsfForOffer stands for them.
      if (vencrypt_subtype_uses_sasl(st) && !make_sasl(kTlsSsfForOffer, !anonymous, true)) continue;
      subtypes_.push_back(st);
    }
  }
  // Without a usable plain-TCP mechanism, VeNCrypt alone is offered: only
  // worth an error when nothing at all is left.
  // A client's Vncgate-Auth hint that leaves nothing is no operator error.
  if (opts_.wrapped || opts_.offer_plain_sasl || subtypes_.empty())
    sasl_ = make_sasl(opts_.wrapped ? opts_.wrapped_ssf : 0, opts_.wrapped,
                      !subtypes_.empty() || opts_.sasl.sasl.auth_hint != AuthHint::None);
}

std::optional<HandlerStep> SecurityNegotiation::on_choice(Bytes &in, Bytes &out) {
  auto c = parse_security_choice(in);
  if (c.status != ParseStatus::Ok) return HandlerStep::need_more();
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(c.consumed));
  if (c.value == kSecNone && opts_.pre_authenticated) {
    state_ = State::Done;
    return HandlerStep::authenticated(*opts_.pre_authenticated);
  }
  if (c.value == kSecVeNCrypt && !subtypes_.empty()) {
    sasl_.reset();  // SASL, if chosen, starts afresh inside TLS
    VeNCryptOptions v;
    v.subtypes = subtypes_;
    v.tls = opts_.tls;
    v.sasl = opts_.sasl;
    v.channel_ssf = opts_.secure_channel_ssf;
    v.client = opts_.client;
    v.log_prefix = opts_.log_prefix;
    chosen_ = std::make_unique<VeNCryptHandler>(std::move(v));
  } else if (c.value == kSecSasl && sasl_) {
    if (sasl_->mechlist().size() > kMaxSaslMechList) {
      log_warning("SASL mechanism list is longer than " + std::to_string(kMaxSaslMechList) +
                  " bytes; gtk-vnc clients will refuse it: shorten mech_list");
    }
    chosen_ = std::move(sasl_);
  } else {
    return HandlerStep::refused(
        close_refusal({EndCode::ProtocolError, "security type not offered"},
                      opts_.client + " chose security type " + std::to_string(c.value) +
                          ", which was not offered"),
        encode_security_result(false, "security type not offered", version_));
  }
  HandlerStep first = chosen_->begin();
  append(out, first.out);
  state_ = State::Chosen;
  if (first.status == HandlerStep::Status::NeedMore) return std::nullopt;
  first.out.clear();  // already in `out`
  return first;
}

}  // namespace vncgate
