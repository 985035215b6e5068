#include "tls_gateway_test.h"

#include <filesystem>

#include "rfb_test_client.h"

namespace vncgate::it::tls {

void TlsGatewayTest::SetUp() {
  GatewayTest::SetUp();
  try {
    pki_ = &TestPki::get();
  } catch (const std::exception &e) {
    FAIL() << "cannot make the test certificates: " << e.what();
  }
}

void TlsGatewayTest::TearDown() {
  clear_gvnc_pki();
  // A daemon that was up must still be up: no test here stops it. After a
  // failure, give a dying daemon a moment to be seen (its sockets close
  // before it can be reaped).
  if (expect_daemon_alive_ && daemon_.pid() > 0 &&
      (HasFailure() ? daemon_.wait_exit(std::chrono::seconds(2)).has_value()
                    : !daemon_.running())) {
    auto status = daemon_.wait_exit(std::chrono::milliseconds(0));
    ADD_FAILURE() << "vncgated is no longer running: "
                  << (status ? describe_wait_status(*status) : std::string("unknown status"));
  }
  GatewayTest::TearDown();
}

void TlsGatewayTest::set_mech_list(const std::string &mech_list) {
  write_file(sasl_.dir() + "/vncgate.conf",
             "mech_list: " + mech_list + "\nsasldb_path: " + sasl_.sasldb() + "\n");
}

void TlsGatewayTest::configure_tls(const CertKey &server, const std::string &subtypes) {
  dir_.subdir("tls");
  replace_server_cert(server);
  daemon_.config()
      .set("tls", "cert", server_cert())
      .set("tls", "key", server_key())
      .set("tls", "ca", pki().ca)
      .set("tls", "subtypes", subtypes);
}

void TlsGatewayTest::replace_server_cert(const CertKey &server) {
  write_file(server_key(), read_file(server.key));
  write_file(server_cert(), read_file(server.cert));
}

VencryptGvncOptions TlsGatewayTest::vencrypt_via_gateway(const std::string &console,
                                                         unsigned subtype, const std::string &user,
                                                         const std::string &password) const {
  VencryptGvncOptions o;
  o.port = daemon_.gateway_port();
  o.console = console;
  o.subtype = subtype;
  o.username = user;
  o.password = password;
  return o;
}

std::string audit_field(const AuditRecord &a, const std::string &key) {
  auto it = a.find(key);
  return it == a.end() ? "<missing>" : it->second;
}

using vncgate::testing::printable;
using vncgate::testing::RfbSaslTestClient;
using vncgate::testing::SaslClientOptions;

std::string TlsGatewayTest::digest_login(const std::string &source, const std::string &password) {
  RfbSaslTestClient c(5000);
  c.set_source_address(source);
  if (!c.connect("127.0.0.1", daemon_.gateway_port())) return "connect: " + c.error();
  if (c.http_connect("/console/c1") != 200) return "CONNECT: " + c.error();
  if (!c.exchange_version(8)) return c.error();
  auto types = c.read_security_types();
  if (!types) return "no types: " + c.refusal_reason() + c.error();
  if (!c.choose_security_type(20)) return c.error();
  SaslClientOptions options;
  options.authname = "alice";
  options.password = password;
  options.min_ssf = 56;
  options.force_mechlist = "DIGEST-MD5";
  auto outcome = c.sasl_authenticate(options);
  if (!outcome.server_complete) return "SASL: " + outcome.error;
  auto result = c.read_security_result();
  if (!result) return c.error();
  return result->ok() ? "OK" : printable(result->reason);
}

}  // namespace vncgate::it::tls
