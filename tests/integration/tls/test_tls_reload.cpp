// Certificates over the daemon's life: SIGHUP after the certificate file
// was replaced makes new connections present the new certificate (seen by
// its fingerprint from a raw GnuTLS client) while a running gtk-vnc session
// keeps its TLS session and still gets framebuffer updates; a reload with a
// broken certificate keeps the old one. At startup an expired certificate,
// a certificate whose key does not match, a missing file and x509-none
// without verify-client=require are refused: exit status 1 and a message
// naming the problem.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <regex>

#include "tls_gateway_test.h"
#include "tls_probe.h"
#include "wait.h"

namespace vncgate::it::tls {
namespace {

class TlsReloadTest : public TlsGatewayTest {
 protected:
  void setup() {
    set_mech_list("scram-sha-256");
    add_static_console("c1", 320, 240);
    configure_tls(pki().server, "x509-sasl");
    daemon_.config().set("tls", "offer-plain-sasl", "false");
  }

  // The fingerprint of the certificate a new connection gets (verified
  // against the test CA).
  std::string presented_fingerprint() {
    TlsProbeOptions o;
    o.port = daemon_.gateway_port();
    o.console = "c1";
    o.ca = pki().ca;
    TlsProbeResult r = probe_vencrypt(o);
    EXPECT_TRUE(r.handshake_ok) << describe(r);
    return r.peer_fingerprint;
  }

  // SIGHUP, then waits for the outcome line number `count` matching `pattern`.
  void reload_and_expect(const std::string &pattern, int count = 1) {
    ASSERT_TRUE(daemon_.send_signal(SIGHUP));
    const std::regex re(pattern);
    ASSERT_TRUE(wait_until([&] { return daemon_.count_log(re) >= count; }, 10s))
        << "no log line /" << pattern << "/ after SIGHUP";
  }
};

TEST_F(TlsReloadTest, SighupSwitchesNewConnectionsToTheNewCertificate) {
  REQUIRE_PRIVATE_HOME();
  setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  install_gvnc_ca(pki().ca);
  const std::string old_fp = pem_sha256_fingerprint(pki().server.cert);
  const std::string new_fp = pem_sha256_fingerprint(pki().server2.cert);
  ASSERT_FALSE(old_fp.empty());
  ASSERT_NE(old_fp, new_fp);
  EXPECT_EQ(presented_fingerprint(), old_fp);

  VencryptGvncOptions options = vencrypt_via_gateway("c1", kX509Sasl);
  options.raw_encoding = true;  // each refresh moves the whole screen through TLS
  VencryptGvncClient live(options);
  std::string error;
  ASSERT_TRUE(live.open(error)) << error;
  ASSERT_TRUE(live.wait_full_update(15s)) << live.describe();

  replace_server_cert(pki().server2);
  ASSERT_NO_FATAL_FAILURE(reload_and_expect("configuration reloaded from .*1 sessions kept"));

  EXPECT_EQ(presented_fingerprint(), new_fp) << "a new connection still got the old certificate";
  // The running session keeps its TLS session and its backend.
  EXPECT_TRUE(live.refresh(10s)) << live.describe();
  EXPECT_FALSE(live.disconnected());

  // A gtk-vnc client trusting the CA logs in with the new certificate.
  VencryptGvncClient fresh(vencrypt_via_gateway("c1", kX509Sasl, "bob", kBobPassword));
  ASSERT_TRUE(fresh.open(error)) << error;
  ASSERT_TRUE(fresh.wait_full_update(15s)) << fresh.describe();
  EXPECT_TRUE(live.refresh(10s)) << live.describe();

  live.close();
  fresh.close();
  ASSERT_TRUE(daemon_.wait_for_audit(10s, 4)) << "expected 2 probe and 2 session records";
  int good = 0;
  for (const auto &a : daemon_.audits()) {
    if (audit_field(a, "end") != "client closed") continue;
    ++good;
    EXPECT_TRUE(std::regex_match(audit_field(a, "tls"), std::regex(kTlsDescription)))
        << to_string(a);
  }
  EXPECT_EQ(good, 2);
}

TEST_F(TlsReloadTest, SighupWithABrokenCertificateKeepsTheOldOne) {
  setup();
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string old_fp = pem_sha256_fingerprint(pki().server.cert);
  EXPECT_EQ(presented_fingerprint(), old_fp);

  // Expired certificate.
  replace_server_cert(pki().server_expired);
  ASSERT_NO_FATAL_FAILURE(
      reload_and_expect("reload failed, keeping the current configuration: .*certificate " +
                        server_cert() + " has expired"));
  EXPECT_EQ(presented_fingerprint(), old_fp);

  // New certificate, old key.
  write_file(server_cert(), read_file(pki().server2.cert));
  write_file(server_key(), read_file(pki().server.key));
  ASSERT_NO_FATAL_FAILURE(
      reload_and_expect("reload failed, keeping the current configuration: .*cannot use "
                        "certificate " +
                            server_cert() + " with key " + server_key(),
                        1));
  EXPECT_EQ(presented_fingerprint(), old_fp);
  EXPECT_TRUE(daemon_.running());
}

class TlsStartupTest : public TlsGatewayTest {
 protected:
  void SetUp() override {
    TlsGatewayTest::SetUp();
    expect_daemon_alive_ = false;
  }

  // Starts vncgated expecting it to refuse; returns its log.
  std::string expect_refused() {
    add_static_console("c1", 320, 240);
    std::string error;
    EXPECT_FALSE(daemon_.start(error, 10s)) << "vncgated started with a bad [tls] section";
    auto status = daemon_.wait_exit(5s);
    EXPECT_TRUE(status.has_value()) << "vncgated did not exit";
    if (status) {
      EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 1) << describe_wait_status(*status);
    }
    EXPECT_FALSE(daemon_.notifications().size() > 0 &&
                 daemon_.notifications().front().find("READY=1") != std::string::npos);
    return daemon_.log();
  }
};

TEST_F(TlsStartupTest, ExpiredCertificateIsRefused) {
  configure_tls(pki().server_expired);
  const std::string log = expect_refused();
  EXPECT_TRUE(std::regex_search(log, std::regex("configuration refused: .*\\[tls\\] certificate " +
                                                server_cert() + " has expired")))
      << log;
}

TEST_F(TlsStartupTest, KeyThatDoesNotMatchIsRefused) {
  configure_tls(pki().server);
  write_file(server_key(), read_file(pki().server2.key));
  const std::string log = expect_refused();
  EXPECT_TRUE(std::regex_search(
      log, std::regex("configuration refused: .*cannot use certificate " + server_cert() +
                      " with key " + server_key() + ": .*(match|key)")))
      << log;
}

TEST_F(TlsStartupTest, MissingCertificateFileIsRefused) {
  configure_tls(pki().server);
  const std::string missing = dir_.file("tls/no-such-cert.pem");
  daemon_.config().set("tls", "cert", missing);
  const std::string log = expect_refused();
  EXPECT_NE(log.find("configuration refused: " + daemon_.config_path() +
                     ": [tls] cannot read certificate " + missing + ": "),
            std::string::npos)
      << log;
}

TEST_F(TlsStartupTest, X509NoneWithoutRequiredClientCertificatesIsRefused) {
  configure_tls(pki().server, "x509-none");
  daemon_.config().set("tls", "verify-client", "optional");
  const std::string log = expect_refused();
  EXPECT_TRUE(std::regex_search(
      log, std::regex("x509-none is only allowed with \\[tls\\] verify-client=require")))
      << log;
}

}  // namespace
}  // namespace vncgate::it::tls
