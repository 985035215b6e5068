#include "test_pki.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <stdexcept>

#include "subprocess.h"

namespace vncgate::it::tls {

namespace {

std::string certtool() {
  std::string path = find_program("certtool");
  if (path.empty()) throw std::runtime_error("certtool not found (package gnutls-bin)");
  return path;
}

void run_certtool(const std::vector<std::string> &args) {
  std::vector<std::string> argv = {certtool()};
  argv.insert(argv.end(), args.begin(), args.end());
  CommandResult r = run_command(argv, "", std::chrono::seconds(20));
  if (r.exit_code != 0) {
    std::string line;
    for (const auto &a : argv) line += a + " ";
    throw std::runtime_error("'" + line + "' failed: " + r.output);
  }
}

std::string hex_colon(const unsigned char *data, size_t len) {
  std::string out;
  char buf[4];
  for (size_t i = 0; i < len; ++i) {
    std::snprintf(buf, sizeof buf, i ? ":%02X" : "%02X", data[i]);
    out += buf;
  }
  return out;
}

}  // namespace

const TestPki &TestPki::get() {
  static std::unique_ptr<TestPki> pki(new TestPki());
  return *pki;
}

std::string server_template(const std::string &extra) {
  return "cn = \"localhost\"\n"
         "dns_name = \"localhost\"\n"
         "ip_address = \"127.0.0.1\"\n"
         "tls_www_server\n"
         "signing_key\n"
         "encryption_key\n" +
         (extra.empty() ? std::string("expiration_days = 30\n") : extra);
}

TestPki::TestPki() {
  const std::string ca_template = "ca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 30\n";
  ca_pair = make("ca", "cn = \"vncgate test CA\"\n" + ca_template, nullptr, {});
  ca = ca_pair.cert;
  CertKey other = make("other-ca", "cn = \"unknown test CA\"\n" + ca_template, nullptr, {});
  other_ca = other.cert;

  server = make("server", server_template(), &ca_pair, ca);
  server2 = make("server2", server_template(), &ca_pair, ca);
  server_other_ca = make("server-other-ca", server_template(), &other, other_ca);
  server_expired = make("server-expired",
                        server_template("activation_date = \"2020-01-01 00:00:00 UTC\"\n"
                                        "expiration_date = \"2020-06-01 00:00:00 UTC\"\n"),
                        &ca_pair, ca);
  const std::string client = "tls_www_client\nsigning_key\nexpiration_days = 30\n";
  alice = make("alice", "cn = \"alice\"\n" + client, &ca_pair, ca);
  mallory = make("mallory", "cn = \"mallory\"\n" + client, &ca_pair, ca);
  alice_other_ca = make("alice-other-ca", "cn = \"alice\"\n" + client, &other, other_ca);
}

CertKey TestPki::issue(const std::string &name, const std::string &template_text) const {
  return make(name, template_text, &ca_pair, ca);
}

CertKey TestPki::make(const std::string &name, const std::string &template_text,
                      const CertKey *issuer, const std::string &issuer_cert) const {
  CertKey out{dir_.file(name + ".pem"), dir_.file(name + "-key.pem")};
  const std::string tmpl =
      dir_.write(name + ".cfg", template_text + "serial = " + std::to_string(++serial_) + "\n");
  run_certtool({"--generate-privkey", "--key-type", "ecdsa", "--outfile", out.key});
  if (issuer) {
    run_certtool({"--generate-certificate", "--load-privkey", out.key, "--load-ca-certificate",
                  issuer_cert, "--load-ca-privkey", issuer->key, "--template", tmpl, "--outfile",
                  out.cert});
  } else {
    run_certtool({"--generate-self-signed", "--load-privkey", out.key, "--template", tmpl,
                  "--outfile", out.cert});
  }
  return out;
}

std::string der_sha256_fingerprint(const unsigned char *der, size_t len) {
  unsigned char digest[32];
  if (gnutls_hash_fast(GNUTLS_DIG_SHA256, der, len, digest) != 0) return {};
  return hex_colon(digest, sizeof digest);
}

std::string pem_sha256_fingerprint(const std::string &pem_path) {
  std::string pem = read_file(pem_path);
  if (pem.empty()) return {};
  gnutls_datum_t in = {reinterpret_cast<unsigned char *>(pem.data()),
                       static_cast<unsigned>(pem.size())};
  gnutls_x509_crt_t crt;
  if (gnutls_x509_crt_init(&crt) != 0) return {};
  std::string fp;
  if (gnutls_x509_crt_import(crt, &in, GNUTLS_X509_FMT_PEM) == 0) {
    gnutls_datum_t der = {nullptr, 0};
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der) == 0) {
      fp = der_sha256_fingerprint(der.data, der.size);
      gnutls_free(der.data);
    }
  }
  gnutls_x509_crt_deinit(crt);
  return fp;
}

}  // namespace vncgate::it::tls
