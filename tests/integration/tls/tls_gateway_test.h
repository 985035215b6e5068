// Base fixture of the TLS tests: the shared GatewayTest (private
// directory, sasldb users alice and bob, fake mkvterm, vncgated) plus the
// test PKI, a [tls] section, the SASL mechanism list of the test, and
// gtk-vnc's ~/.pki files in the private home (cleared after each test).
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gateway_test.h"
#include "private_home.h"
#include "test_pki.h"
#include "vencrypt_gvnc_client.h"

namespace vncgate::it::tls {

// gtk-vnc's X.509 files can only be given to it in a private home.
#define REQUIRE_PRIVATE_HOME()                                                           \
  do {                                                                                   \
    if (!::vncgate::it::tls::private_home_active())                                      \
      GTEST_SKIP() << "no private mount namespace (needs root): gtk-vnc would read the " \
                      "real ~/.pki";                                                     \
  } while (0)

class TlsGatewayTest : public GatewayTest {
 protected:
  // A DIGEST-MD5 login (type 20 on plain TCP, CONNECT /console/c1, user
  // alice) from `source` to the gateway port: the failed SecurityResult's
  // reason, "OK" on success, or what went wrong.
  std::string digest_login(const std::string &source, const std::string &password);
  void SetUp() override;
  void TearDown() override;

  // Rewrites the Cyrus application config with this mech_list.
  void set_mech_list(const std::string &mech_list);
  // [tls] cert= and key= (copies in the test directory, see server_cert()),
  // ca= the test CA, subtypes= as given.
  void configure_tls(const CertKey &server, const std::string &subtypes = "x509-sasl");
  // Where configure_tls() put the server certificate and key.
  std::string server_cert() const { return dir_.file("tls/server.pem"); }
  std::string server_key() const { return dir_.file("tls/server-key.pem"); }
  // Replaces the configured certificate and key files on disk.
  void replace_server_cert(const CertKey &server);

  VencryptGvncOptions vencrypt_via_gateway(const std::string &console, unsigned subtype,
                                           const std::string &user = "alice",
                                           const std::string &password = kAlicePassword) const;

  const TestPki &pki() const { return *pki_; }

  const TestPki *pki_ = nullptr;
  // TearDown() fails the test if a started vncgated has exited.
  bool expect_daemon_alive_ = true;
};

// A field of an audit record, or "<missing>".
std::string audit_field(const AuditRecord &a, const std::string &key);

// Audit "tls=" of a certificate (X.509) session: "(TLS1.x)-(...)-(...)".
inline constexpr const char *kTlsDescription = R"(\(TLS1\.[23]\)-\(.+\)-\(.+\))";

}  // namespace vncgate::it::tls
