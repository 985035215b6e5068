#include "security/vencrypt_handler.h"

#include <algorithm>

#include "logging.h"
#include "rfb/vencrypt.h"

namespace vncgate {
namespace {

constexpr size_t kSmallCap = 4096;
constexpr size_t kTlsHandshakeCap = 64 * 1024;

Refusal close_refusal(EndReason end, std::string log_reason) {
  Refusal r;
  r.how = Refusal::How::Close;
  r.end = std::move(end);
  r.log_reason = std::move(log_reason);
  return r;
}

}  // namespace

HandlerStep VeNCryptHandler::begin() {
  return HandlerStep::need_more(encode_vencrypt_version());
}

size_t VeNCryptHandler::input_cap() const {
  switch (state_) {
    case State::TlsHandshake:
      return kTlsHandshakeCap;
    case State::Inner:
      return inner_ ? inner_->input_cap() : kSmallCap;
    default:
      return kSmallCap;
  }
}

HandshakeFacts VeNCryptHandler::facts() const {
  HandshakeFacts f;
  if (inner_) f = inner_->facts();
  if (f.mechanism.empty() && subtype_) f.mechanism = vencrypt_subtype_name(subtype_);
  f.tls = tls_desc_;
  f.cert_subject = cert_.subject;
  return f;
}

HandlerStep VeNCryptHandler::feed(Bytes &in) {
  Bytes out;
  for (;;) {
    switch (state_) {
      case State::ReadVersion: {
        auto v = parse_vencrypt_version(in);
        if (v.status == ParseStatus::NeedMore) return HandlerStep::need_more(std::move(out));
        if (v.status == ParseStatus::Error) {
          Bytes refusal = encode_vencrypt_version_refused();
          out.insert(out.end(), refusal.begin(), refusal.end());
          return HandlerStep::refused(
              close_refusal({EndCode::ProtocolError, v.error}, opts_.client + ": " + v.error),
              std::move(out));
        }
        in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(v.consumed));
        Bytes subtypes = encode_vencrypt_subtypes(opts_.subtypes);
        out.insert(out.end(), subtypes.begin(), subtypes.end());
        state_ = State::ReadSubtype;
        break;
      }
      case State::ReadSubtype: {
        HandlerStep r = on_subtype(in, out);
        if (r.status != HandlerStep::Status::NeedMore || state_ == State::ReadSubtype) return r;
        out = std::move(r.out);
        break;
      }
      case State::TlsHandshake:
        return on_tls_input(in, out);
      case State::Inner: {
        // `out` holds what went before (Plain has no TLS step in between).
        if (!inner_) {
          HandlerStep b = start_inner();
          b.out.insert(b.out.begin(), out.begin(), out.end());
          if (b.status != HandlerStep::Status::NeedMore) return b;
          out = std::move(b.out);
        }
        HandlerStep r = inner_->feed(in);
        r.out.insert(r.out.begin(), out.begin(), out.end());
        return r;
      }
    }
  }
}

HandlerStep VeNCryptHandler::on_subtype(Bytes &in, Bytes &out) {
  auto c = parse_vencrypt_choice(in);
  if (c.status != ParseStatus::Ok) return HandlerStep::need_more(std::move(out));
  in.erase(in.begin(), in.begin() + static_cast<std::ptrdiff_t>(c.consumed));
  auto refuse = [&](Refusal r) {
    Bytes nak = encode_vencrypt_subtype_ack(false);
    out.insert(out.end(), nak.begin(), nak.end());
    return HandlerStep::refused(std::move(r), std::move(out));
  };
  if (std::find(opts_.subtypes.begin(), opts_.subtypes.end(), c.value) == opts_.subtypes.end())
    return refuse(close_refusal({EndCode::ProtocolError, "VeNCrypt subtype not offered"},
                                opts_.client + " chose VeNCrypt subtype " +
                                    std::to_string(c.value) + ", which was not offered"));
  subtype_ = c.value;
  if (!vencrypt_subtype_starts_tls(subtype_)) {
    // Plain inside the secure channel: the credentials follow the choice.
    state_ = State::Inner;
    return HandlerStep::need_more(std::move(out));
  }
  std::string error;
  tls_ = TlsServerSession::create(opts_.tls, vencrypt_subtype_is_anonymous(subtype_), error);
  if (!tls_) {
    log_error(opts_.log_prefix + "cannot start TLS: " + error);
    return refuse(close_refusal(EndReason(EndCode::TlsUnavailable), ""));
  }
  Bytes ack = encode_vencrypt_subtype_ack(true);
  out.insert(out.end(), ack.begin(), ack.end());
  // Bytes after the choice already belong to the TLS handshake.
  state_ = State::TlsHandshake;
  return HandlerStep::need_more(std::move(out));
}

HandlerStep VeNCryptHandler::on_tls_input(Bytes &in, Bytes &out) {
  std::string error;
  auto r = tls_->handshake(in.data(), in.size(), out, error);
  in.clear();
  if (r == TlsServerSession::Handshake::NeedMore) return HandlerStep::need_more(std::move(out));
  if (r == TlsServerSession::Handshake::Failed) {
    // `error` already says "TLS handshake failed: ..." or why the peer was refused.
    EndCode code = tls_->refused_peer() ? EndCode::TlsPeerRefused : EndCode::TlsHandshakeFailed;
    return HandlerStep::refused(
        close_refusal({code, error}, "TLS with " + opts_.client + " failed: " + error),
        std::move(out));
  }
  tls_desc_ = tls_->description();
  cert_ = {tls_->peer_verified(), tls_->peer_identity(), tls_->identity_refusal(),
           tls_->peer_subject(), tls_->cipher_bits()};
  log_debug(opts_.log_prefix + "TLS up with " + opts_.client + ": " + tls_desc_ +
            (cert_.subject.empty() ? "" : ", client certificate " + log_safe(cert_.subject)));
  HandlerStep up;
  // Records that arrived with the client's last handshake flight.
  if (!tls_->decode(nullptr, 0, up.plaintext)) {
    Refusal abort = close_refusal({EndCode::ProtocolError, "TLS record layer"}, "");
    abort.how = Refusal::How::Abort;
    return HandlerStep::refused(std::move(abort), std::move(out));
  }
  up.status = HandlerStep::Status::Upgrade;
  up.out = std::move(out);
  up.layer = std::move(tls_);
  state_ = State::Inner;
  return up;
}

std::unique_ptr<SecurityHandler> VeNCryptHandler::make_plain(unsigned ssf) const {
  PlainHandlerOptions o;
  o.sasl = opts_.sasl.sasl;
  o.strip_realm = opts_.sasl.strip_realm;
  o.source_gate = opts_.sasl.source_gate;
  o.mechanism = vencrypt_subtype_name(subtype_);
  o.ssf = ssf;
  return std::make_unique<PlainHandler>(std::move(o));
}

HandlerStep VeNCryptHandler::start_inner() {
  if (vencrypt_subtype_uses_plain(subtype_)) {
    inner_ =
        make_plain(vencrypt_subtype_starts_tls(subtype_) ? cert_.cipher_bits : opts_.channel_ssf);
    return inner_->begin();
  }
  if (!vencrypt_subtype_uses_sasl(subtype_)) {
    inner_ = std::make_unique<CertIdentityHandler>(cert_);
    return inner_->begin();
  }
  // Inside TLS the cipher is the security layer: SASL adds none, and only
  // X.509 (server authenticated) TLS admits plaintext password mechanisms.
  SaslHandlerOptions sasl = opts_.sasl;
  sasl.sasl.external_ssf = cert_.cipher_bits;
  sasl.sasl.allow_plaintext = !vencrypt_subtype_is_anonymous(subtype_);
  std::string error;
  auto handler = SaslHandler::create(std::move(sasl), error);
  if (!handler) {
    log_record(G_LOG_LEVEL_CRITICAL, opts_.log_prefix + "cannot offer SASL: " + error);
    return HandlerStep::refused(close_refusal(EndReason(EndCode::NoMechanism), ""));
  }
  inner_ = std::move(handler);
  return inner_->begin();
}

}  // namespace vncgate
