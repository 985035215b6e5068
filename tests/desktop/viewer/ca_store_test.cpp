// CA files for gtk-vnc: fingerprints shown before installing, installing
// adds only what is missing, and a file that is no certificate is refused.
#include "ca_store.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

namespace vncgate::viewer {
namespace {

// Two throw-away self-signed CAs (EC P-256), made once with openssl.
constexpr const char *kCaA = R"(-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIUE425W5pvWPkOUgQzyIoDqbHmwI0wCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRdm5jZ2F0ZSB0ZXN0IENBIGEwIBcNMjYxMTI1MjE0MDI4WhgP
MjEyNjExMDEyMTQwMjhaMBwxGjAYBgNVBAMMEXZuY2dhdGUgdGVzdCBDQSBhMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE9peHGVa1BDJDu9s3jRyYYgkzVU7QzFWB
fuTm7bgT0ZPMUD2Sn555ShkokhTT1xE3EYA4Hpa0ZG0GSHdf9fnJf6NTMFEwHQYD
VR0OBBYEFIZwuxF8qN4Wx7SEwEPpXfSbVtQDMB8GA1UdIwQYMBaAFIZwuxF8qN4W
x7SEwEPpXfSbVtQDMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIh
ANDZ7ugHr3lj3+Wn57DvUa7XZYgDjRojBjYY62OcDJXhAiAnHtjUZIwlgYsQ8HBB
i1dopoStpiFKpcpAlo+MQf8/5w==
-----END CERTIFICATE-----
-----END CERTIFICATE-----
)";
constexpr const char *kCaB = R"(-----BEGIN CERTIFICATE-----
MIIBkDCCATWgAwIBAgIUTCq46dJT0owIAsq40LDbSt7ADkIwCgYIKoZIzj0EAwIw
HDEaMBgGA1UEAwwRdm5jZ2F0ZSB0ZXN0IENBIGIwIBcNMjYxMTI1MjE0MDI4WhgP
MjEyNjExMDEyMTQwMjhaMBwxGjAYBgNVBAMMEXZuY2dhdGUgdGVzdCBDQSBiMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEu61knkgmHVAa1DwYcXmZtP9rVMBZWa0J
+3yB+XgZwb3VGb6saGNTLYXezvRnZpU3jZJuBH0QqqJ82Quc+qirTqNTMFEwHQYD
VR0OBBYEFNoQG6K8hL827aoDmvx1im9UeDamMB8GA1UdIwQYMBaAFNoQG6K8hL82
7aoDmvx1im9UeDamMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIh
AIj2wTjP2SPLhBDl1w7VopiVWSanVIJecJoIR1VqbL+sAiEAyjru5M2iZWWOMX4t
/dlmIBg9r4lvHDvzkSWVZJrB+LM=
-----END CERTIFICATE-----
-----END CERTIFICATE-----
)";
constexpr const char *kFingerprintA =
    "B7:7E:44:B3:96:99:5E:92:D1:B1:C1:B6:4C:FA:5E:A4:6D:D1:67:1F:05:24:15:B3:ED:48:3D:57:D0:E4:03:"
    "C5";

class CaStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gchar *d = g_dir_make_tmp("vncgate-ca-XXXXXX", nullptr);
    ASSERT_NE(d, nullptr);
    dir_ = d;
    g_free(d);
  }
  void TearDown() override {
    for (const char *f : {"a.pem", "b.pem", "junk.pem", "pki/CA/cacert.pem"})
      g_unlink((dir_ + "/" + f).c_str());
    g_rmdir((dir_ + "/pki/CA").c_str());
    g_rmdir((dir_ + "/pki").c_str());
    g_rmdir(dir_.c_str());
  }
  std::string write(const std::string &name, const std::string &text) {
    std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  static std::string slurp(const std::string &path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
  }
  std::string dir_;
};

TEST_F(CaStoreTest, ReadsFingerprintAndSubject) {
  std::vector<CertInfo> certs;
  std::string error;
  ASSERT_TRUE(read_certificates(write("a.pem", kCaA), certs, error)) << error;
  ASSERT_EQ(certs.size(), 1u);
  EXPECT_EQ(certs[0].fingerprint, kFingerprintA);
  EXPECT_NE(certs[0].subject.find("vncgate test CA a"), std::string::npos) << certs[0].subject;
  EXPECT_TRUE(certs[0].is_ca);
}

TEST_F(CaStoreTest, RefusesNonCertificates) {
  std::vector<CertInfo> certs;
  std::string error;
  EXPECT_FALSE(read_certificates(write("junk.pem", "hello\n"), certs, error));
  EXPECT_NE(error.find("no PEM certificate"), std::string::npos) << error;
  EXPECT_FALSE(read_certificates(dir_ + "/missing.pem", certs, error));
}

TEST_F(CaStoreTest, InstallAddsOnlyMissingCertificates) {
  const std::string dest = dir_ + "/pki/CA/cacert.pem";
  int added = -1;
  std::string error;
  ASSERT_TRUE(install_ca_file(write("a.pem", kCaA), dest, added, error)) << error;
  EXPECT_EQ(added, 1);
  ASSERT_TRUE(install_ca_file(dir_ + "/a.pem", dest, added, error)) << error;
  EXPECT_EQ(added, 0);
  ASSERT_TRUE(install_ca_file(write("b.pem", kCaB), dest, added, error)) << error;
  EXPECT_EQ(added, 1);
  std::vector<CertInfo> certs;
  ASSERT_TRUE(read_certificates(dest, certs, error)) << error;
  ASSERT_EQ(certs.size(), 2u);
  EXPECT_EQ(certs[0].fingerprint, kFingerprintA);
  EXPECT_EQ(slurp(dest).find("-----BEGIN CERTIFICATE-----"), 0u);
}

TEST_F(CaStoreTest, UserPathIsUnderThePasswdHome) {
  EXPECT_TRUE(g_str_has_suffix(user_ca_path().c_str(), "/.pki/CA/cacert.pem"));
  EXPECT_EQ(system_ca_path(), "/etc/pki/CA/cacert.pem");
}

}  // namespace
}  // namespace vncgate::viewer
