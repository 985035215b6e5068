// Session: the RFB security handshake (version, security types, VeNCrypt
// and TLS, SASL) and authorization. The connection plumbing, backend and
// relay hand-over live in session.cpp.
#include <algorithm>

#include "control/metrics.h"
#include "logging.h"
#include "rfb/sasl_messages.h"
#include "rfb/vencrypt.h"
#include "session.h"

namespace vncgate {
namespace {

// The external SSF a VeNCrypt SASL subtype's pre-check assumes. Cyrus only
// compares it with 1 (above: plaintext mechanisms count as protected) and
// with min_ssf, which is 0 inside TLS, so any real cipher gives the same
// mechanism list; 128 is the weakest key the default priority admits.
constexpr unsigned kTlsSsfForOffer = 128;

}  // namespace

void Session::on_raw_input(const uint8_t *data, size_t len) {
  if (state_ == State::TlsHandshake) {
    Bytes out;
    std::string error;
    auto r = tls_->handshake(data, len, out, error);
    send_raw(out);
    if (r == TlsServerSession::Handshake::Failed) {
      log_info("session " + std::to_string(id_) + ": TLS with " + client_addr_ +
               " failed: " + error);
      close_after_flush(error);  // already says "TLS handshake failed: ..."
      return;
    }
    if (r == TlsServerSession::Handshake::Done) on_tls_up();
    return;
  }
  if (tls_up_) {
    if (!tls_->decode(data, len, in_)) return end("protocol error: TLS record layer");
    Bytes extra;
    tls_->take_output(extra);
    if (!extra.empty()) send_raw(extra);
  } else {
    in_.insert(in_.end(), data, data + len);
  }
  process_input();
}

void Session::on_tls_up() {
  tls_up_ = true;
  tls_desc_ = tls_->description();
  cert_subject_ = tls_->peer_subject();
  log_debug("session " + std::to_string(id_) + ": TLS up with " + client_addr_ + ": " + tls_desc_ +
            (cert_subject_.empty() ? "" : ", client certificate " + log_safe(cert_subject_)));
  // Records that arrived with the client's last handshake flight.
  if (!tls_->decode(nullptr, 0, in_)) return end("protocol error: TLS record layer");
  if (wrapped_) {
    state_ = State::ReadConnect;
    process_input();
    return;
  }
  if (vencrypt_subtype_uses_sasl(subtype_)) {
    // Inside TLS the cipher is the security layer: SASL adds none, and only
    // X.509 (server authenticated) TLS admits plaintext password mechanisms.
    if (!start_sasl(tls_->cipher_bits(), !vencrypt_subtype_is_anonymous(subtype_))) {
      close_after_flush("no SASL mechanism available");
      return;
    }
    send(encode_sasl_mechlist(sasl_->mechlist()));
    state_ = State::ReadSaslStart;
    process_input();
    return;
  }
  // x509-none: the verified client certificate is the credential.
  mechanism_ = "x509-none";
  ssf_ = sasl_ssf_ = tls_->cipher_bits();  // no SASL: the login is the TLS handshake
  if (!tls_->peer_verified()) {
    fail_auth("a client certificate is required", "no verified client certificate", false);
    return;
  }
  if (tls_->peer_identity().empty()) {
    fail_auth(tls_->identity_refusal(),
              tls_->identity_refusal() + " (certificate " + log_safe(cert_subject_) + ")", false,
              "client certificate refused");
    return;
  }
  user_ = tls_->peer_identity();
  if (refuse_locked_out_source(false)) return;
  on_authenticated();
}

bool Session::start_sasl(unsigned external_ssf, bool allow_plaintext, bool quiet) {
  SaslServerOptions opts;
  opts.realm = config_->realm;
  opts.local_address = local_ip_port_;
  opts.remote_address = client_ip_port_;
  opts.min_ssf = config_->min_ssf;
  opts.external_ssf = external_ssf;
  opts.allow_plaintext = allow_plaintext;
  opts.auth_hint = auth_hint_;
  std::string error;
  sasl_ = SaslServerSession::create(opts, error);
  if (!sasl_) {
    log_record(quiet ? G_LOG_LEVEL_DEBUG : G_LOG_LEVEL_CRITICAL,
               "session " + std::to_string(id_) + ": cannot offer SASL: " + error);
    return false;
  }
  return true;
}

bool Session::on_version() {
  auto v = parse_client_version(in_);
  if (v.status == ParseStatus::NeedMore) return false;
  if (v.status == ParseStatus::Error) {
    log_info("session " + std::to_string(id_) + ": " + client_addr_ + ": " + v.error);
    close_after_flush("protocol error: " + v.error);
    return false;
  }
  in_.erase(in_.begin(), in_.begin() + 12);
  version_ = v.value;
  if (version_.minor < 7) {
    log_info("session " + std::to_string(id_) + ": refused " + client_addr_ +
             ": RFB 3.3 client cannot use SASL");
    send(
        encode_v33_refusal("This gateway requires SASL authentication, which needs RFB 3.7 or "
                           "later; use a client that supports it (e.g. gtk-vnc)"));
    close_after_flush("client speaks RFB 3.3 only");
    return false;
  }
  if (!wrapped_ && tls_creds_) {
    for (uint32_t st : config_->subtypes_for(*console_)) {
      const bool anonymous = vencrypt_subtype_is_anonymous(st);
      if (!anonymous && !tls_creds_->has_x509()) continue;
      // Offer a SASL subtype only if its inner SASL will have a mechanism,
      // with the settings on_tls_up() uses. The cipher's key bits are known
      // only after the handshake: kTlsSsfForOffer stands for them.
      if (vencrypt_subtype_uses_sasl(st) && !start_sasl(kTlsSsfForOffer, !anonymous, true))
        continue;
      subtypes_.push_back(st);
    }
    sasl_.reset();
  }
  offered_sasl_ = wrapped_ || config_->offer_plain_sasl || subtypes_.empty();
  // Without a usable plain-TCP mechanism, VeNCrypt alone is offered: only
  // worth an error when nothing at all is left.
  // A client's Vncgate-Auth hint that leaves nothing is no operator error.
  if (offered_sasl_ && !start_sasl(wrapped_ ? tls_->cipher_bits() : 0, wrapped_,
                                   !subtypes_.empty() || auth_hint_ != AuthHint::None))
    offered_sasl_ = false;
  if (!offered_sasl_ && subtypes_.empty()) {
    Bytes refusal{0};
    std::string reason = "no authentication method is available on this gateway";
    if (auth_hint_ != AuthHint::None) reason += " for " + std::string(auth_hint_name(auth_hint_));
    put_u32(refusal, static_cast<uint32_t>(reason.size()));
    put_string(refusal, reason);
    send(refusal);
    close_after_flush(auth_hint_ == AuthHint::None ? std::string("no SASL mechanism available")
                                                   : "no SASL mechanism left for Vncgate-Auth: " +
                                                         std::string(auth_hint_name(auth_hint_)));
    return false;
  }
  Bytes types;
  if (!subtypes_.empty()) types.push_back(kSecVeNCrypt);
  if (offered_sasl_) types.push_back(kSecSasl);
  send(encode_security_types(types));
  state_ = State::ReadSecurityChoice;
  return true;
}

bool Session::on_security_choice() {
  auto c = parse_security_choice(in_);
  if (c.status != ParseStatus::Ok) return false;
  in_.erase(in_.begin());
  if (c.value == kSecVeNCrypt && !subtypes_.empty()) {
    sasl_.reset();  // SASL, if chosen, starts afresh inside TLS
    send(encode_vencrypt_version());
    state_ = State::ReadVeNCryptVersion;
    return true;
  }
  if (c.value != kSecSasl || !offered_sasl_) {
    log_info("session " + std::to_string(id_) + ": " + client_addr_ + " chose security type " +
             std::to_string(c.value) + ", which was not offered");
    send(encode_security_result(false, "security type not offered", version_));
    close_after_flush("protocol error: security type not offered");
    return false;
  }
  if (sasl_->mechlist().size() > kMaxSaslMechList) {
    log_warning("SASL mechanism list is longer than " + std::to_string(kMaxSaslMechList) +
                " bytes; gtk-vnc clients will refuse it: shorten mech_list");
  }
  send(encode_sasl_mechlist(sasl_->mechlist()));
  state_ = State::ReadSaslStart;
  return true;
}

bool Session::on_vencrypt_version() {
  auto v = parse_vencrypt_version(in_);
  if (v.status == ParseStatus::NeedMore) return false;
  if (v.status == ParseStatus::Error) {
    log_info("session " + std::to_string(id_) + ": " + client_addr_ + ": " + v.error);
    send(Bytes{1});
    close_after_flush("protocol error: " + v.error);
    return false;
  }
  in_.erase(in_.begin(), in_.begin() + 2);
  send(encode_vencrypt_subtypes(subtypes_));
  state_ = State::ReadVeNCryptSubtype;
  return true;
}

bool Session::on_vencrypt_subtype() {
  auto c = parse_vencrypt_choice(in_);
  if (c.status != ParseStatus::Ok) return false;
  in_.erase(in_.begin(), in_.begin() + 4);
  if (std::find(subtypes_.begin(), subtypes_.end(), c.value) == subtypes_.end()) {
    log_info("session " + std::to_string(id_) + ": " + client_addr_ + " chose VeNCrypt subtype " +
             std::to_string(c.value) + ", which was not offered");
    send(Bytes{0});
    close_after_flush("protocol error: VeNCrypt subtype not offered");
    return false;
  }
  subtype_ = c.value;
  std::string error;
  tls_ = TlsServerSession::create(tls_creds_, vencrypt_subtype_is_anonymous(subtype_), error);
  if (!tls_) {
    log_error("session " + std::to_string(id_) + ": cannot start TLS: " + error);
    send(Bytes{0});
    close_after_flush("TLS unavailable");
    return false;
  }
  send(Bytes{1});
  state_ = State::TlsHandshake;
  mechanism_ = vencrypt_subtype_name(subtype_);
  // Bytes after the choice already belong to the TLS handshake.
  Bytes early = std::move(in_);
  in_.clear();
  if (!early.empty()) on_raw_input(early.data(), early.size());
  return false;
}

bool Session::on_sasl_start() {
  auto p = parse_sasl_start(in_, config_->sasl_max_field);
  if (p.status == ParseStatus::NeedMore) return false;
  if (p.status == ParseStatus::Error) {
    fail_auth("authentication failed", "protocol error: " + p.error, true);
    return false;
  }
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(p.consumed));
  mechanism_ = p.value.mechanism;
  on_sasl_result(sasl_->start(p.value.mechanism, p.value.data));
  return state_ == State::ReadSaslStep;
}

bool Session::on_sasl_step() {
  auto p = parse_sasl_step(in_, config_->sasl_max_field);
  if (p.status == ParseStatus::NeedMore) return false;
  if (p.status == ParseStatus::Error) {
    fail_auth("authentication failed", "protocol error: " + p.error, true);
    return false;
  }
  in_.erase(in_.begin(), in_.begin() + static_cast<std::ptrdiff_t>(p.consumed));
  if (refuse_locked_out_source(true)) return false;
  on_sasl_result(sasl_->step(p.value.data));
  return state_ == State::ReadSaslStep;
}

void Session::on_sasl_result(const SaslServerSession::Step &st) {
  if (st.outcome != SaslServerSession::Outcome::Continue && refuse_limited_login()) return;
  const Bytes *out = st.serverout ? &*st.serverout : nullptr;
  auto reply = [&](bool complete) {
    send(encode_sasl_reply(out ? reinterpret_cast<const char *>(out->data()) : nullptr,
                           out ? static_cast<unsigned>(out->size()) : 0, complete));
  };
  switch (st.outcome) {
    case SaslServerSession::Outcome::Continue:
      reply(false);
      state_ = State::ReadSaslStep;
      return;
    case SaslServerSession::Outcome::Complete:
      user_ = sasl_->username();
      if (config_->strip_realm && user_.size() > config_->realm.size() + 1 &&
          user_.ends_with("@" + config_->realm))
        user_.resize(user_.size() - config_->realm.size() - 1);
      sasl_ssf_ = sasl_->ssf();
      // Inside TLS the cipher is the security layer (SASL's SSF_EXTERNAL).
      ssf_ = tls_up_ ? tls_->cipher_bits() : sasl_ssf_;
      reply(true);
      on_authenticated();
      return;
    case SaslServerSession::Outcome::Failed:
      fail_auth("authentication failed", st.error, true);
      return;
  }
}

void Session::on_authenticated() {
  if (!leave_admission()) return;
  log_info("session " + std::to_string(id_) + ": " + client_addr_ + " authenticated as " +
           log_safe(user_) + " with " + mechanism_ + ", SSF " + std::to_string(sasl_ssf_));
  auto it = config_->consoles.find(*console_);
  // Authorization follows the newest configuration (a reload may have changed it).
  auto current = host_.config();
  auto cit = current->consoles.find(*console_);
  if (it == config_->consoles.end() || cit == current->consoles.end()) {
    fail_auth("the console no longer exists", "console " + *console_ + " was removed", false,
              "console removed");
    return;
  }
  if (!token_user_.empty() && !user_allowed({token_user_}, user_, current->realm)) {
    fail_auth("this console link belongs to another user",
              "user " + log_safe(user_) + " used token " + token_id_ + " bound to " +
                  log_safe(token_user_),
              false, "token bound to another user");
    return;
  }
  if (!user_allowed(cit->second.allowed_users, user_, current->realm)) {
    fail_auth("user is not authorized for this console",
              "user " + log_safe(user_) + " is not in allowed-users of console " + *console_, false,
              "not authorized");
    return;
  }
  // A one-time token stays reserved until the relay starts
  // (Session::on_backend): a console that cannot be opened frees it again,
  // so the user can retry the same link.
  if (sasl_ && !sasl_->has_layer()) sasl_.reset();  // nothing left to do for it: free its memory
  // From here the time is bounded by mkvterm-timeout and backend-timeout,
  // each of which ends with a reason for the user; the handshake timer
  // would cut the user off without one.
  cancel_timer(handshake_timer_);
  open_console();
}

void Session::recheck_authorization(const Config &current) {
  // Before login the check at on_authenticated uses the new configuration.
  if (closing_ || (state_ != State::WaitBackend && state_ != State::Relay)) return;
  auto cit = current.consoles.find(*console_);
  std::string why;
  if (cit == current.consoles.end()) {
    why = "console " + *console_ + " was removed from the configuration";
  } else if (!user_allowed(cit->second.allowed_users, user_, current.realm)) {
    why = "user " + log_safe(user_) + " is no longer in allowed-users of console " + *console_;
  } else {
    return;
  }
  log_info("session " + std::to_string(id_) + ": " + client_addr_ + ": " + why +
           "; ending the session");
  if (state_ == State::WaitBackend) {
    send(encode_security_result(false, "you are no longer authorized for this console", version_));
    close_after_flush("authorization withdrawn");
    return;
  }
  end("authorization withdrawn");
}

void Session::fail_auth(const std::string &client_reason, const std::string &log_reason,
                        bool send_complete, const std::string &end_reason) {
  if (user_.empty() && sasl_) user_ = sasl_->attempted_user();
  log_info("session " + std::to_string(id_) + ": " + end_reason + " for " + client_addr_ +
           " (user " + (user_.empty() ? "-" : log_safe(user_)) + ", mechanism " +
           (mechanism_.empty() ? "-" : log_safe(mechanism_)) + "): " + log_safe(log_reason, 400));
  record_login_failure(end_reason);
  state_ = State::AuthFailing;
  Bytes msg;
  if (send_complete) msg = encode_sasl_reply(nullptr, 0, true);
  Bytes result = encode_security_result(false, client_reason, version_);
  msg.insert(msg.end(), result.begin(), result.end());
  struct Pending {
    Session *self;
    Bytes msg;
    std::string reason;
  };
  auto *p = new Pending{this, std::move(msg), end_reason};
  update_watch();
  // A short delay slows password guessing; the session still ends in bounded time.
  fail_timer_ = g_timeout_add_full(
      G_PRIORITY_DEFAULT, static_cast<guint>(config_->auth_failure_delay * 1000),
      [](gpointer d) -> gboolean {
        auto *p = static_cast<Pending *>(d);
        p->self->fail_timer_ = 0;
        p->self->send(p->msg);
        p->self->close_after_flush(p->reason);
        return G_SOURCE_REMOVE;
      },
      p, [](gpointer d) { delete static_cast<Pending *>(d); });
}

}  // namespace vncgate
