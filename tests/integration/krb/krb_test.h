// The Kerberos test set-up: one KDC per test executable (a gtest
// Environment registered at static initialisation, torn down at the end), and a GatewayTest whose
// vncgated offers GSSAPI (and DIGEST-MD5 from a sasldb in the Kerberos realm), with [sasl] keytab,
// realm=TEST.LOCAL and replay-cache=none:. Each test gets its own ticket caches in its directory.
// The test process exports KRB5_CONFIG (the KDC's krb5.conf) for gtk-vnc, kinit and the daemon,
// which inherits it; KRB5CCNAME is set per client with use_ccache().
#pragma once

#include <gtest/gtest.h>

#include <string>

#include "gateway_test.h"
#include "kdc.h"
#include "krb_vnc_client.h"

namespace vncgate::it {

// The shared KDC, or nullptr if it failed to start (the reason in
// kdc_start_error()).
Kdc *shared_kdc();
const std::string &kdc_start_error();

// Password users for DIGEST-MD5 in the sasldb, realm TEST.LOCAL.
inline constexpr const char *kDigestAlicePassword = "alice-Digest-3";

class KrbGatewayTest : public GatewayTest {
 protected:
  // The SASL application config gets `mech_list`; [sasl] keytab is the
  // KDC's service keytab.
  explicit KrbGatewayTest(const std::string &mech_list = "gssapi digest-md5");
  void SetUp() override;
  void TearDown() override;

  Kdc &kdc() { return *shared_kdc(); }
  // FILE:<test dir>/<name>.ccache
  std::string ccache(const std::string &name) const;
  // kinit USER@TEST.LOCAL (alice or bob, their KDC passwords) into
  // ccache(user); fails the test (non-fatally) and returns false on error.
  bool kinit(const std::string &user, const std::string &lifetime = {});
  // Points KRB5CCNAME (read by gtk-vnc's GSSAPI when it authenticates).
  static void use_ccache(const std::string &ccache);
  // Replaces the SASL application config's mech_list.
  void set_mech_list(const std::string &mech_list);

  KrbVncOptions krb_via_gateway(const std::string &console) const;
  // Opens a gtk-vnc client with `ccache`, waits until it settles.
  std::unique_ptr<KrbVncClient> login(const KrbVncOptions &options, const std::string &ccache,
                                      std::chrono::milliseconds timeout = std::chrono::seconds(20));
};

// Value of `key` in an audit record, or "".
std::string audit_value(const AuditRecord &record, const std::string &key);

}  // namespace vncgate::it
