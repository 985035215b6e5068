// Certificates for the TLS tests, made with GnuTLS' certtool (package
// gnutls-bin) once per test process in a private directory: a test CA,
// server and client certificates it signed, an expired server
// certificate, and certificates from a second CA nobody trusts. ECDSA
// P-256 keys keep generation to a few milliseconds.
#pragma once

#include <string>

#include "temp_dir.h"

namespace vncgate::it::tls {

struct CertKey {
  std::string cert;  // PEM file
  std::string key;   // PEM file
};

class TestPki {
 public:
  // Generated on first use; throws std::runtime_error with certtool's
  // output when that fails.
  static const TestPki &get();

  std::string ca;        // "vncgate test CA"
  CertKey ca_pair;       // its certificate and key
  std::string other_ca;  // "unknown test CA": trusted by nobody
  // CN=localhost, SAN DNS:localhost and IP:127.0.0.1, signed by `ca`.
  CertKey server;
  // The same names with a new key (what SIGHUP tests switch to).
  CertKey server2;
  // The same names, signed by `other_ca`.
  CertKey server_other_ca;
  // The same names, signed by `ca`, valid January to June 2020.
  CertKey server_expired;
  // Client certificates signed by `ca`: subject CN=alice / CN=mallory.
  CertKey alice;
  CertKey mallory;
  // CN=alice signed by `other_ca`.
  CertKey alice_other_ca;

  // Makes another certificate signed by `ca` (for tests that need a
  // private copy, e.g. to replace it on disk).
  CertKey issue(const std::string &name, const std::string &template_text) const;

 private:
  TestPki();
  CertKey make(const std::string &name, const std::string &template_text, const CertKey *issuer,
               const std::string &issuer_cert) const;
  TempDir dir_;
  mutable int serial_ = 1;
};

// "AB:CD:..." SHA-256 fingerprint of the first certificate in a PEM file
// (empty when it cannot be read).
std::string pem_sha256_fingerprint(const std::string &pem_path);
// The same for a DER certificate.
std::string der_sha256_fingerprint(const unsigned char *der, size_t len);

// certtool template lines for a server certificate naming localhost.
std::string server_template(const std::string &extra = {});

}  // namespace vncgate::it::tls
