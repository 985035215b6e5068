// A raw VeNCrypt client built on GnuTLS, for what gtk-vnc does not show:
// the server certificate's fingerprint, the negotiated TLS parameters and
// the SASL mechanism list offered inside TLS. It speaks the RFB 3.8
// handshake up to the chosen subtype, does the TLS handshake (verifying the
// server certificate against `ca` and `verify_host` when `ca` is set, so a
// bad certificate ends with a TLS alert as real clients send), then reads
// the first inner message and closes. Every read is bounded.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "test_pki.h"

namespace vncgate::it::tls {

struct TlsProbeOptions {
  uint16_t port = 0;
  std::string console;  // non-empty: "CONNECT /console/<console>" first
  uint32_t subtype = 263;
  std::string ca;  // trust anchors; empty: the certificate is not verified
  std::string verify_host = "localhost";
  CertKey client;  // optional client certificate
  // Send `client` even when the server asks for certificates from other
  // CAs (GnuTLS and gtk-vnc otherwise send none).
  bool force_client_cert = false;
  int timeout_ms = 10000;
};

struct TlsProbeResult {
  std::string error;  // why the exchange stopped early (empty: it got as far as it could)
  int http_status = 0;
  std::vector<uint8_t> types;      // security types offered
  std::string refusal_reason;      // when none was offered: the server's reason
  std::vector<uint32_t> subtypes;  // VeNCrypt subtypes offered
  bool subtype_accepted = false;
  bool handshake_ok = false;
  std::string handshake_error;
  std::string peer_fingerprint;  // SHA-256, "AB:CD:..."
  std::string description;       // gnutls_session_get_desc
  unsigned cipher_bits = 0;
  // Inside TLS, by subtype: SASL ones send the mechanism list, X509None
  // and TLSNone the SecurityResult.
  std::string mechlist;
  std::optional<uint32_t> security_result;
  std::string security_reason;
};

TlsProbeResult probe_vencrypt(const TlsProbeOptions &options);

std::string describe(const TlsProbeResult &r);

}  // namespace vncgate::it::tls
