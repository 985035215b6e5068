// GnuTLS server side for VeNCrypt and TLS-wrapped ports, driven from
// memory: the caller feeds raw bytes it read and sends what comes out, so
// TLS is one more SecurityLayer for the relay and the handshake code never
// touches a socket.
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <string>

#include "security/client_cert_identity.h"
#include "security/security_layer.h"

namespace vncgate {

enum class VerifyClient { None, Optional, Require };

struct TlsSettings {
  std::string cert, key, ca, crl;
  VerifyClient verify_client = VerifyClient::None;
  CertIdentity identity = CertIdentity::Cn;  // where x509-none takes the user from
  std::string priority = "SECURE256:+SECURE128:-VERS-TLS1.0:-VERS-TLS1.1";
  bool operator==(const TlsSettings &) const = default;
};

// Certificates, key, CA, CRL and anonymous-DH credentials, loaded and
// checked together. Sessions hold a shared_ptr, so a reload (SIGHUP)
// affects new connections only.
class TlsCredentials {
 public:
  static std::shared_ptr<TlsCredentials> load(const TlsSettings &s, std::string &error);
  ~TlsCredentials();
  TlsCredentials(const TlsCredentials &) = delete;
  TlsCredentials &operator=(const TlsCredentials &) = delete;

  const TlsSettings &settings() const { return settings_; }
  bool has_x509() const { return x509_ != nullptr; }
  gnutls_certificate_credentials_t x509() const { return x509_; }
  gnutls_anon_server_credentials_t anon() const { return anon_; }
  gnutls_priority_t priority_x509() const { return prio_x509_; }
  gnutls_priority_t priority_anon() const { return prio_anon_; }
  const std::string &summary() const { return summary_; }

 private:
  TlsCredentials() = default;
  TlsSettings settings_;
  gnutls_certificate_credentials_t x509_ = nullptr;
  gnutls_anon_server_credentials_t anon_ = nullptr;
  gnutls_priority_t prio_x509_ = nullptr;
  gnutls_priority_t prio_anon_ = nullptr;
  std::string summary_;
};

// A GnuTLS session whose transport is two memory buffers: raw bytes the
// caller read go in, raw bytes to send come out.
class TlsSession : public SecurityLayer {
 public:
  ~TlsSession() override;
  TlsSession(const TlsSession &) = delete;
  TlsSession &operator=(const TlsSession &) = delete;

  enum class Handshake { NeedMore, Done, Failed };
  // Feeds raw bytes (may be empty) and appends bytes to send to `out`.
  Handshake handshake(const uint8_t *in, size_t len, Bytes &out, std::string &error);

  // After a failed handshake: the TLS exchange itself succeeded and the
  // peer (its certificate) was refused, rather than TLS failing.
  bool refused_peer() const { return refused_peer_; }

  unsigned cipher_bits() const;
  std::string description() const;  // e.g. "(TLS1.3)-(ECDHE-...)-(AES-256-GCM)"

  size_t max_encode_chunk() const override { return 16384; }
  bool encode(const uint8_t *in, size_t len, Bytes &out) override;
  bool decode(const uint8_t *in, size_t len, Bytes &out) override;
  void take_output(Bytes &out) override;

 protected:
  TlsSession() = default;
  // Wires the memory transport; call once session_ exists.
  void attach_transport();
  // After a successful handshake; false (with `error`) refuses the peer.
  virtual bool after_handshake(std::string &error) = 0;
  // Explains a failed handshake (e.g. why a certificate did not verify).
  virtual std::string explain_failure(int rc);

  gnutls_session_t session_ = nullptr;

 private:
  static ssize_t push(gnutls_transport_ptr_t p, const void *data, size_t len);
  static ssize_t pull(gnutls_transport_ptr_t p, void *data, size_t len);

  Bytes in_;  // raw bytes not yet consumed by GnuTLS
  size_t in_off_ = 0;
  Bytes out_;  // raw bytes GnuTLS produced
  bool refused_peer_ = false;
};

class TlsServerSession : public TlsSession {
 public:
  // `anonymous`: TLSNone/TLSSASL (anonymous DH, TLS 1.2), else X.509.
  static std::unique_ptr<TlsServerSession> create(std::shared_ptr<TlsCredentials> creds,
                                                  bool anonymous, std::string &error);
  // After the handshake:
  bool peer_verified() const { return peer_verified_; }
  const std::string &peer_subject() const { return peer_subject_; }
  // The user the verified certificate names (see client_cert_identity.h);
  // empty when it names none, and then identity_refusal() says why.
  const std::string &peer_identity() const { return peer_identity_; }
  const std::string &identity_refusal() const { return identity_refusal_; }

 private:
  TlsServerSession() = default;
  bool after_handshake(std::string &error) override;

  std::shared_ptr<TlsCredentials> creds_;
  bool anonymous_ = false;
  bool peer_verified_ = false;
  std::string peer_subject_, peer_identity_, identity_refusal_;
};

// Client side toward a backend VNC server (VeNCrypt X509*): verifies the
// server certificate against `ca` and `verify_name`.
struct TlsClientSettings {
  std::string ca, cert, key;
  std::string verify_name;  // host name or IP the backend certificate must name
  std::string priority = "NORMAL:-VERS-TLS1.0:-VERS-TLS1.1";
  bool operator==(const TlsClientSettings &) const = default;
};

class TlsClientSession : public TlsSession {
 public:
  static std::unique_ptr<TlsClientSession> create(const TlsClientSettings &s, std::string &error);
  ~TlsClientSession() override;

 private:
  TlsClientSession() = default;
  bool after_handshake(std::string &) override { return true; }
  std::string explain_failure(int rc) override;
  gnutls_certificate_credentials_t creds_ = nullptr;
};

// Global GnuTLS set-up (once per process) and log routing.
void tls_global_init();

}  // namespace vncgate
