// GSSAPI inside X.509 TLS (VeNCrypt X509SASL) with gtk-vnc: single sign-on
// without a credential prompt, and no second security layer (TLS protects
// the session; SASL gets the cipher bits as SSF_EXTERNAL and max_ssf 0).
//
// gtk-vnc reads its CA only from ~/.pki/CA/cacert.pem (home from the passwd
// entry, not $HOME) or /etc/pki/CA/cacert.pem. This executable therefore
// runs in a private mount namespace with a temporary directory bound over
// the home directory, set up before any thread exists; the real home is
// never written.
#include <gtest/gtest.h>
#include <pwd.h>
#include <sched.h>
#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <regex>

#include "krb_test.h"

namespace vncgate::it {
namespace {

std::string g_home;        // the passwd home, with our directory bound over it
std::string g_home_dir;    // that directory (outside the namespace: /tmp/...)
std::string g_home_error;  // why there is no private home
bool g_home_skip = false;  // not permitted here (not root): skip, not fail

int thread_count() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("Threads:")) return std::atoi(line.c_str() + 8);
  return -1;
}

class PrivateHomeEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    const passwd *pw = getpwuid(getuid());
    if (!pw || !pw->pw_dir || !*pw->pw_dir) {
      g_home_error = "no passwd home directory";
      return;
    }
    // unshare() moves only the calling thread into the new namespace.
    if (int n = thread_count(); n != 1) {
      g_home_error = "the test process has " + std::to_string(n) + " threads before set-up";
      return;
    }
    if (unshare(CLONE_NEWNS) != 0) {
      g_home_skip = errno == EPERM;
      g_home_error = std::string("unshare(CLONE_NEWNS): ") + strerror(errno);
      return;
    }
    if (mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) {
      g_home_error = std::string("making / private: ") + strerror(errno);
      return;
    }
    std::string tmpl = "/tmp/vncgate-krb-home-XXXXXX";
    if (!mkdtemp(tmpl.data())) {
      g_home_error = std::string("mkdtemp: ") + strerror(errno);
      return;
    }
    if (mount(tmpl.c_str(), pw->pw_dir, nullptr, MS_BIND, nullptr) != 0) {
      g_home_error = std::string("bind mount over ") + pw->pw_dir + ": " + strerror(errno);
      rmdir(tmpl.c_str());
      return;
    }
    g_home = pw->pw_dir;
    g_home_dir = tmpl;
  }
  void TearDown() override {
    if (g_home_dir.empty()) return;
    umount2(g_home.c_str(), MNT_DETACH);
    std::error_code ec;
    std::filesystem::remove_all(g_home_dir, ec);
  }
};

[[maybe_unused]] ::testing::Environment *const g_private_home =
    ::testing::AddGlobalTestEnvironment(new PrivateHomeEnvironment);

// A CA and a server certificate for "localhost", made with openssl.
bool make_certificates(const TempDir &dir, std::string &error) {
  const std::string openssl = find_program("openssl");
  if (openssl.empty()) {
    error = "openssl not found";
    return false;
  }
  dir.write("server.ext",
            "subjectAltName = DNS:localhost, IP:127.0.0.1\n"
            "basicConstraints = critical, CA:FALSE\n"
            "keyUsage = critical, digitalSignature, keyEncipherment\n"
            "extendedKeyUsage = serverAuth\n");
  const std::vector<std::vector<std::string>> steps = {
      {openssl,
       "req",
       "-x509",
       "-newkey",
       "ec",
       "-pkeyopt",
       "ec_paramgen_curve:prime256v1",
       "-nodes",
       "-keyout",
       dir.file("ca.key"),
       "-out",
       dir.file("ca.pem"),
       "-days",
       "2",
       "-subj",
       "/CN=vncgate Kerberos test CA",
       "-addext",
       "basicConstraints=critical,CA:TRUE",
       "-addext",
       "keyUsage=critical,keyCertSign,cRLSign"},
      {openssl, "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
       "-keyout", dir.file("server.key"), "-out", dir.file("server.csr"), "-subj", "/CN=localhost"},
      {openssl, "x509", "-req", "-in", dir.file("server.csr"), "-CA", dir.file("ca.pem"), "-CAkey",
       dir.file("ca.key"), "-CAcreateserial", "-out", dir.file("server.pem"), "-days", "2",
       "-extfile", dir.file("server.ext")},
  };
  for (const auto &argv : steps) {
    CommandResult r = run_command(argv, "", std::chrono::seconds(20));
    if (r.exit_code != 0) {
      error = "openssl " + argv[1] + " failed: " + r.output;
      return false;
    }
  }
  return true;
}

class KrbTlsTest : public KrbGatewayTest {
 protected:
  void SetUp() override {
    KrbGatewayTest::SetUp();
    if (HasFatalFailure()) return;
    if (g_home_skip) GTEST_SKIP() << "no private mount namespace: " << g_home_error;
    ASSERT_TRUE(g_home_error.empty()) << "no private home for gtk-vnc's CA: " << g_home_error;
    std::string error;
    ASSERT_TRUE(make_certificates(dir_, error)) << error;
    std::filesystem::create_directories(g_home + "/.pki/CA");
    write_file(g_home + "/.pki/CA/cacert.pem", read_file(dir_.file("ca.pem")));
    daemon_.config()
        .set("tls", "cert", dir_.file("server.pem"))
        .set("tls", "key", dir_.file("server.key"))
        .set("tls", "subtypes", "x509-sasl")
        .set("tls", "offer-plain-sasl", "false");
  }
};

TEST_F(KrbTlsTest, GssapiInsideX509TlsWithoutSecondLayer) {
  XvncBackend &backend = add_static_console("krb1", 800, 600);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  ASSERT_TRUE(kinit("alice"));

  KrbVncOptions options = krb_via_gateway("krb1");
  options.vencrypt_x509_sasl = true;
  options.wire_tap = true;
  auto client = login(options, ccache("alice"));
  ASSERT_TRUE(client->initialized()) << client->describe();
  EXPECT_EQ(client->offered_types(), std::vector<unsigned>{19u}) << client->describe();
  EXPECT_EQ(client->offered_subtypes(), std::vector<unsigned>{263u}) << client->describe();
  // gtk-vnc asks for a client name (for a client certificate), never for
  // a user name or password.
  EXPECT_FALSE(client->asked_for_user_credentials()) << client->describe();
  EXPECT_EQ(client->desktop_name(), backend.desktop_name());
  ASSERT_TRUE(client->wait_full_update(15s)) << client->describe();
  ASSERT_TRUE(client->refresh(10s)) << client->describe();

  // The SSF negotiated by SASL is 0: GSSAPI added no layer of its own on
  // top of TLS (both sides agree, or the session above would not work).
  auto line = daemon_.wait_for_log(
      std::regex(R"(authenticated as alice@TEST\.LOCAL with GSSAPI, SSF \d+)"), 5s);
  ASSERT_TRUE(line) << "no GSSAPI authentication line";
  EXPECT_TRUE(line->ends_with("with GSSAPI, SSF 0")) << "a second security layer? " << *line;
  // Everything after the VeNCrypt negotiation is TLS: not even the
  // mechanism list is in clear.
  const std::string s2c = client->wire_server_to_client();
  EXPECT_EQ(s2c.find("GSSAPI"), std::string::npos);
  EXPECT_EQ(s2c.find(backend.desktop_name()), std::string::npos);

  client->close();
  auto audit = daemon_.wait_for_audit(10s);
  ASSERT_TRUE(audit) << "no audit record after the session ended";
  EXPECT_EQ(audit_value(*audit, "user"), "alice@TEST.LOCAL") << to_string(*audit);
  EXPECT_EQ(audit_value(*audit, "mechanism"), "GSSAPI") << to_string(*audit);
  EXPECT_EQ(audit_value(*audit, "end"), "client closed") << to_string(*audit);
  // TLS is the protection: the record names the protocol and cipher.
  EXPECT_TRUE(std::regex_search(audit_value(*audit, "tls"), std::regex(R"(\(TLS1\.[23]\))")))
      << to_string(*audit);
}

}  // namespace
}  // namespace vncgate::it
