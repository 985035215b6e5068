#include "security/tls_server.h"

#include <glib.h>
#include <glib/gi18n-lib.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include "printf_string.h"

namespace vncgate {
namespace {

std::string gnutls_error(const std::string &what, int rc) {
  return what + ": " + gnutls_strerror(rc);
}

// Credential errors are translated: an operator reads them at start-up and
// from --check-config (handshake errors below are log lines and stay English).
// Refuses a certificate that is expired or not yet valid, with its file name.
bool check_validity(const std::string &path, std::string &error) {
  gnutls_datum_t data = {nullptr, 0};
  int rc = gnutls_load_file(path.c_str(), &data);
  if (rc < 0) {
    error = gnutls_error(printf_string(_("cannot read certificate %s"), path.c_str()), rc);
    return false;
  }
  gnutls_x509_crt_t crt;
  gnutls_x509_crt_init(&crt);
  rc = gnutls_x509_crt_import(crt, &data, GNUTLS_X509_FMT_PEM);
  gnutls_free(data.data);
  if (rc < 0) {
    gnutls_x509_crt_deinit(crt);
    error = gnutls_error(
        printf_string(_("certificate %s is not a PEM X.509 certificate"), path.c_str()), rc);
    return false;
  }
  time_t now = std::time(nullptr);
  time_t not_after = gnutls_x509_crt_get_expiration_time(crt);
  time_t not_before = gnutls_x509_crt_get_activation_time(crt);
  gnutls_x509_crt_deinit(crt);
  if (not_after != static_cast<time_t>(-1) && not_after < now) {
    error = printf_string(_("certificate %s has expired"), path.c_str());
    return false;
  }
  if (not_before != static_cast<time_t>(-1) && not_before > now) {
    error = printf_string(_("certificate %s is not valid yet"), path.c_str());
    return false;
  }
  return true;
}

}  // namespace

void tls_global_init() {
  gnutls_global_init();
}

std::shared_ptr<TlsCredentials> TlsCredentials::load(const TlsSettings &s, std::string &error) {
  std::shared_ptr<TlsCredentials> c(new TlsCredentials());
  c->settings_ = s;
  int rc;
  if (!s.cert.empty() || !s.key.empty()) {
    if (s.cert.empty() || s.key.empty()) {
      error = std::string("[tls] ") + _("cert and key must be set together");
      return nullptr;
    }
    if (!check_validity(s.cert, error)) return nullptr;
    gnutls_certificate_allocate_credentials(&c->x509_);
    rc = gnutls_certificate_set_x509_key_file2(c->x509_, s.cert.c_str(), s.key.c_str(),
                                               GNUTLS_X509_FMT_PEM, nullptr, 0);
    if (rc < 0) {
      error = gnutls_error(
          printf_string(_("cannot use certificate %s with key %s"), s.cert.c_str(), s.key.c_str()),
          rc);
      return nullptr;
    }
    if (!s.ca.empty()) {
      rc = gnutls_certificate_set_x509_trust_file(c->x509_, s.ca.c_str(), GNUTLS_X509_FMT_PEM);
      if (rc <= 0) {
        error = rc == 0
                    ? printf_string(_("CA file %s holds no certificate"), s.ca.c_str())
                    : gnutls_error(printf_string(_("cannot read CA file %s"), s.ca.c_str()), rc);
        return nullptr;
      }
    } else if (s.verify_client != VerifyClient::None) {
      error = std::string("[tls] ") + _("verify-client needs ca=");
      return nullptr;
    }
    if (!s.crl.empty()) {
      rc = gnutls_certificate_set_x509_crl_file(c->x509_, s.crl.c_str(), GNUTLS_X509_FMT_PEM);
      if (rc < 0) {
        error = gnutls_error(printf_string(_("cannot read CRL %s"), s.crl.c_str()), rc);
        return nullptr;
      }
    }
    gnutls_certificate_set_known_dh_params(c->x509_, GNUTLS_SEC_PARAM_MEDIUM);
    const char *err_pos = nullptr;
    rc = gnutls_priority_init(&c->prio_x509_, s.priority.c_str(), &err_pos);
    if (rc < 0) {
      error = std::string("[tls] ") +
              printf_string(_("priority is not a valid GnuTLS priority string near '%s'"),
                            err_pos ? err_pos : "");
      return nullptr;
    }
    c->summary_ = "certificate " + s.cert;
  }
  gnutls_anon_allocate_server_credentials(&c->anon_);
  gnutls_anon_set_server_known_dh_params(c->anon_, GNUTLS_SEC_PARAM_MEDIUM);
  // Anonymous DH exists only up to TLS 1.2 (what QEMU and gtk-vnc do).
  std::string anon_prio = s.priority + ":+ANON-ECDH:+ANON-DH:-VERS-TLS1.3";
  const char *err_pos = nullptr;
  rc = gnutls_priority_init(&c->prio_anon_, anon_prio.c_str(), &err_pos);
  if (rc < 0) {
    error = std::string("[tls] ") +
            printf_string(_("priority is not a valid GnuTLS priority string near '%s'"),
                          err_pos ? err_pos : "");
    return nullptr;
  }
  return c;
}

TlsCredentials::~TlsCredentials() {
  if (x509_) gnutls_certificate_free_credentials(x509_);
  if (anon_) gnutls_anon_free_server_credentials(anon_);
  if (prio_x509_) gnutls_priority_deinit(prio_x509_);
  if (prio_anon_) gnutls_priority_deinit(prio_anon_);
}

TlsSession::~TlsSession() {
  if (session_) gnutls_deinit(session_);
}

void TlsSession::attach_transport() {
  gnutls_transport_set_ptr(session_, this);
  gnutls_transport_set_push_function(session_, &TlsSession::push);
  gnutls_transport_set_pull_function(session_, &TlsSession::pull);
}

ssize_t TlsSession::push(gnutls_transport_ptr_t p, const void *data, size_t len) {
  auto *self = static_cast<TlsSession *>(p);
  auto *b = static_cast<const uint8_t *>(data);
  self->out_.insert(self->out_.end(), b, b + len);
  return static_cast<ssize_t>(len);
}

ssize_t TlsSession::pull(gnutls_transport_ptr_t p, void *data, size_t len) {
  auto *self = static_cast<TlsSession *>(p);
  size_t avail = self->in_.size() - self->in_off_;
  if (avail == 0) {
    gnutls_transport_set_errno(self->session_, EAGAIN);
    return -1;
  }
  size_t n = std::min(avail, len);
  std::memcpy(data, self->in_.data() + self->in_off_, n);
  self->in_off_ += n;
  if (self->in_off_ == self->in_.size()) {
    self->in_.clear();
    self->in_off_ = 0;
  }
  return static_cast<ssize_t>(n);
}

std::string TlsSession::explain_failure(int rc) {
  return gnutls_strerror(rc);
}

TlsSession::Handshake TlsSession::handshake(const uint8_t *in, size_t len, Bytes &out,
                                            std::string &error) {
  if (len) in_.insert(in_.end(), in, in + len);
  for (;;) {
    int rc = gnutls_handshake(session_);
    take_output(out);
    if (rc == GNUTLS_E_SUCCESS) {
      if (after_handshake(error)) return Handshake::Done;
      refused_peer_ = true;
      return Handshake::Failed;
    }
    if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED) return Handshake::NeedMore;
    if (gnutls_error_is_fatal(rc)) {
      error = "TLS handshake failed: " + explain_failure(rc);
      // Tell the peer why (e.g. "certificate required") instead of a bare close.
      gnutls_alert_send_appropriate(session_, rc);
      take_output(out);
      return Handshake::Failed;
    }
  }
}

unsigned TlsSession::cipher_bits() const {
  return static_cast<unsigned>(gnutls_cipher_get_key_size(gnutls_cipher_get(session_)) * 8);
}

std::string TlsSession::description() const {
  char *d = gnutls_session_get_desc(session_);
  std::string s = d ? d : "";
  gnutls_free(d);
  return s;
}

bool TlsSession::encode(const uint8_t *in, size_t len, Bytes &out) {
  while (len > 0) {
    ssize_t n = gnutls_record_send(session_, in, len);
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) continue;  // memory push never blocks
    if (n < 0) return false;
    in += n;
    len -= static_cast<size_t>(n);
  }
  take_output(out);
  return true;
}

bool TlsSession::decode(const uint8_t *in, size_t len, Bytes &out) {
  if (len) in_.insert(in_.end(), in, in + len);
  uint8_t buf[16384];
  for (;;) {
    ssize_t n = gnutls_record_recv(session_, buf, sizeof buf);
    if (n > 0) {
      out.insert(out.end(), buf, buf + n);
      continue;
    }
    if (n == 0) return true;  // close_notify: the socket's EOF follows
    if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) return true;
    if (n == GNUTLS_E_REHANDSHAKE) continue;  // ignored: renegotiation is not supported
    if (!gnutls_error_is_fatal(static_cast<int>(n))) continue;
    return false;
  }
}

void TlsSession::take_output(Bytes &out) {
  if (out_.empty()) return;
  if (out.empty()) {
    out.swap(out_);
  } else {
    out.insert(out.end(), out_.begin(), out_.end());
    out_.clear();
  }
}

std::unique_ptr<TlsServerSession> TlsServerSession::create(std::shared_ptr<TlsCredentials> creds,
                                                           bool anonymous, std::string &error) {
  std::unique_ptr<TlsServerSession> t(new TlsServerSession());
  t->creds_ = std::move(creds);
  t->anonymous_ = anonymous;
  if (!anonymous && !t->creds_->has_x509()) {
    error = "no server certificate configured";
    return nullptr;
  }
  int rc = gnutls_init(&t->session_, GNUTLS_SERVER | GNUTLS_NONBLOCK);
  if (rc < 0) {
    error = gnutls_error("gnutls_init", rc);
    return nullptr;
  }
  if (anonymous) {
    gnutls_priority_set(t->session_, t->creds_->priority_anon());
    gnutls_credentials_set(t->session_, GNUTLS_CRD_ANON, t->creds_->anon());
  } else {
    gnutls_priority_set(t->session_, t->creds_->priority_x509());
    gnutls_credentials_set(t->session_, GNUTLS_CRD_CERTIFICATE, t->creds_->x509());
    switch (t->creds_->settings().verify_client) {
      case VerifyClient::None:
        gnutls_certificate_server_set_request(t->session_, GNUTLS_CERT_IGNORE);
        break;
      case VerifyClient::Optional:
        gnutls_certificate_server_set_request(t->session_, GNUTLS_CERT_REQUEST);
        break;
      case VerifyClient::Require:
        gnutls_certificate_server_set_request(t->session_, GNUTLS_CERT_REQUIRE);
        break;
    }
  }
  t->attach_transport();
  return t;
}

bool TlsServerSession::after_handshake(std::string &error) {
  if (anonymous_) return true;
  VerifyClient mode = creds_->settings().verify_client;
  if (mode == VerifyClient::None) return true;
  unsigned list_size = 0;
  const gnutls_datum_t *certs = gnutls_certificate_get_peers(session_, &list_size);
  if (!certs || list_size == 0) {
    if (mode == VerifyClient::Require) {
      error = "the client sent no certificate";
      return false;
    }
    return true;
  }
  unsigned status = 0;
  int rc = gnutls_certificate_verify_peers3(session_, nullptr, &status);
  if (rc < 0 || status != 0) {
    gnutls_datum_t text = {nullptr, 0};
    std::string why = rc < 0 ? gnutls_strerror(rc) : "";
    if (rc >= 0 &&
        gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
      why.assign(reinterpret_cast<char *>(text.data), text.size);
      gnutls_free(text.data);
    }
    error = "client certificate refused: " + why;
    return false;
  }
  gnutls_x509_crt_t crt;
  gnutls_x509_crt_init(&crt);
  if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) == 0) {
    gnutls_datum_t dn = {nullptr, 0};
    if (gnutls_x509_crt_get_dn3(crt, &dn, 0) == 0) {
      peer_subject_.assign(reinterpret_cast<char *>(dn.data), dn.size);
      gnutls_free(dn.data);
    }
    ClientCertIdentity id = client_cert_identity(crt, creds_->settings().identity);
    peer_identity_ = std::move(id.user);
    identity_refusal_ = std::move(id.refusal);
  } else {
    identity_refusal_ = "the client certificate cannot be parsed";
  }
  gnutls_x509_crt_deinit(crt);
  peer_verified_ = true;
  return true;
}

std::unique_ptr<TlsClientSession> TlsClientSession::create(const TlsClientSettings &s,
                                                           std::string &error) {
  std::unique_ptr<TlsClientSession> t(new TlsClientSession());
  gnutls_certificate_allocate_credentials(&t->creds_);
  int rc = gnutls_certificate_set_x509_trust_file(t->creds_, s.ca.c_str(), GNUTLS_X509_FMT_PEM);
  if (rc <= 0) {
    error = rc == 0 ? "backend CA file " + s.ca + " holds no certificate"
                    : gnutls_error("cannot read backend CA file " + s.ca, rc);
    return nullptr;
  }
  if (!s.cert.empty()) {
    rc = gnutls_certificate_set_x509_key_file2(t->creds_, s.cert.c_str(), s.key.c_str(),
                                               GNUTLS_X509_FMT_PEM, nullptr, 0);
    if (rc < 0) {
      error = gnutls_error("cannot use backend client certificate " + s.cert, rc);
      return nullptr;
    }
  }
  rc = gnutls_init(&t->session_, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
  if (rc < 0) {
    error = gnutls_error("gnutls_init", rc);
    return nullptr;
  }
  const char *err_pos = nullptr;
  rc = gnutls_priority_set_direct(t->session_, s.priority.c_str(), &err_pos);
  if (rc < 0) {
    error = gnutls_error("backend TLS priority", rc);
    return nullptr;
  }
  gnutls_credentials_set(t->session_, GNUTLS_CRD_CERTIFICATE, t->creds_);
  if (!g_hostname_is_ip_address(s.verify_name.c_str()))
    gnutls_server_name_set(t->session_, GNUTLS_NAME_DNS, s.verify_name.data(),
                           s.verify_name.size());
  // GnuTLS verifies chain, validity and name during the handshake.
  gnutls_session_set_verify_cert(t->session_, s.verify_name.c_str(), 0);
  t->attach_transport();
  return t;
}

TlsClientSession::~TlsClientSession() {
  if (session_) {
    gnutls_deinit(session_);
    session_ = nullptr;
  }
  if (creds_) gnutls_certificate_free_credentials(creds_);
}

std::string TlsClientSession::explain_failure(int rc) {
  if (rc != GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) return gnutls_strerror(rc);
  unsigned status = gnutls_session_get_verify_cert_status(session_);
  gnutls_datum_t text = {nullptr, 0};
  std::string why = "the backend certificate did not verify";
  if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
    why += ": " + std::string(reinterpret_cast<char *>(text.data), text.size);
    gnutls_free(text.data);
  }
  return why;
}

}  // namespace vncgate
