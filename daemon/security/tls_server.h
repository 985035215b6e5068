// GnuTLS server side for VeNCrypt and TLS-wrapped ports, driven from
// memory: the caller feeds raw bytes it read and sends what comes out, so
// TLS is one more SecurityLayer for the relay and the handshake code never
// touches a socket.
#pragma once

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <memory>
#include <string>

#include "security/security_layer.h"

namespace vncgate {

enum class VerifyClient { None, Optional, Require };

struct TlsSettings {
  std::string cert, key, ca, crl;
  VerifyClient verify_client = VerifyClient::None;
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

class TlsServerSession : public SecurityLayer {
 public:
  // `anonymous`: TLSNone/TLSSASL (anonymous DH, TLS 1.2), else X.509.
  static std::unique_ptr<TlsServerSession> create(std::shared_ptr<TlsCredentials> creds,
                                                  bool anonymous, std::string &error);
  ~TlsServerSession() override;
  TlsServerSession(const TlsServerSession &) = delete;
  TlsServerSession &operator=(const TlsServerSession &) = delete;

  enum class Handshake { NeedMore, Done, Failed };
  // Feeds raw bytes (may be empty) and appends bytes to send to `out`.
  Handshake handshake(const uint8_t *in, size_t len, Bytes &out, std::string &error);

  // After the handshake:
  unsigned cipher_bits() const;
  std::string description() const;  // e.g. "TLS1.3 AES-256-GCM"
  bool peer_verified() const { return peer_verified_; }
  const std::string &peer_subject() const { return peer_subject_; }
  const std::string &peer_identity() const { return peer_identity_; }

  size_t max_encode_chunk() const override { return 16384; }
  bool encode(const uint8_t *in, size_t len, Bytes &out) override;
  bool decode(const uint8_t *in, size_t len, Bytes &out) override;
  void take_output(Bytes &out) override;

 private:
  TlsServerSession() = default;
  static ssize_t push(gnutls_transport_ptr_t p, const void *data, size_t len);
  static ssize_t pull(gnutls_transport_ptr_t p, void *data, size_t len);
  bool verify_peer(std::string &error);

  std::shared_ptr<TlsCredentials> creds_;
  gnutls_session_t session_ = nullptr;
  Bytes in_;  // raw bytes not yet consumed by GnuTLS
  size_t in_off_ = 0;
  Bytes out_;  // raw bytes GnuTLS produced
  bool anonymous_ = false;
  bool peer_verified_ = false;
  std::string peer_subject_, peer_identity_;
};

// Global GnuTLS set-up (once per process) and log routing.
void tls_global_init();

}  // namespace vncgate
