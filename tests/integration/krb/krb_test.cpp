#include "krb_test.h"

#include <cstdlib>
#include <iostream>
#include <memory>

#include "subprocess.h"
#include "temp_dir.h"

namespace vncgate::it {

namespace {

std::unique_ptr<Kdc> g_kdc;
std::string g_kdc_error = "the KDC environment was not registered";

class KdcEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    // Only our files: no keytab, replay cache or ccache from the caller.
    for (const char *var : {"KRB5_KTNAME", "KRB5_CLIENT_KTNAME", "KRB5RCACHENAME", "KRB5RCACHETYPE",
                            "KRB5CCNAME", "KRB5_KDC_PROFILE"})
      unsetenv(var);
    auto kdc = std::make_unique<Kdc>();
    std::string error;
    if (!kdc->start(error)) {
      g_kdc_error = error;
      FAIL() << "cannot start the test KDC: " << error;
    }
    setenv("KRB5_CONFIG", kdc->krb5_conf().c_str(), 1);
    g_kdc = std::move(kdc);
    g_kdc_error.clear();
  }
  void TearDown() override {
    g_kdc.reset();  // kills krb5kdc, removes its directory
    unsetenv("KRB5_CONFIG");
  }
};

}  // namespace

// Registered before main() runs, so every executable linking this gets it.
[[maybe_unused]] ::testing::Environment *const g_kdc_environment =
    ::testing::AddGlobalTestEnvironment(new KdcEnvironment);

Kdc *shared_kdc() {
  return g_kdc.get();
}
const std::string &kdc_start_error() {
  return g_kdc_error;
}

KrbGatewayTest::KrbGatewayTest(const std::string &mech_list) {
  set_mech_list(mech_list);
  // DIGEST-MD5 users in the Kerberos realm, which is the daemon's realm.
  std::string saslpasswd2 = find_program("saslpasswd2");
  CommandResult r = run_command(
      {saslpasswd2, "-p", "-a", "vncgate", "-c", "-f", sasl_.sasldb(), "-u", kKrbRealm, "alice"},
      kDigestAlicePassword, std::chrono::seconds(10));
  if (r.exit_code != 0) throw std::runtime_error("saslpasswd2 failed: " + r.output);
  if (Kdc *k = shared_kdc()) daemon_.config().set("sasl", "keytab", k->service_keytab());
  daemon_.config().set("sasl", "realm", kKrbRealm).set("sasl", "replay-cache", "none:");
}

void KrbGatewayTest::SetUp() {
  GatewayTest::SetUp();
  ASSERT_NE(shared_kdc(), nullptr) << "no test KDC: " << kdc_start_error();
  ASSERT_TRUE(shared_kdc()->running()) << "the test KDC is not running";
  unsetenv("KRB5CCNAME");
}

void KrbGatewayTest::TearDown() {
  if (HasFailure() && shared_kdc())
    std::cerr << "---- KDC log ----\n" << shared_kdc()->log() << "----\n";
  unsetenv("KRB5CCNAME");
  GatewayTest::TearDown();
}

std::string KrbGatewayTest::ccache(const std::string &name) const {
  return "FILE:" + dir_.file(name + ".ccache");
}

bool KrbGatewayTest::kinit(const std::string &user, const std::string &lifetime) {
  std::string password = user == "alice" ? kKrbAlicePassword : kKrbBobPassword;
  std::string error;
  bool ok = kdc().kinit(user + "@" + kKrbRealm, password, ccache(user), error, lifetime);
  EXPECT_TRUE(ok) << error;
  return ok;
}

void KrbGatewayTest::use_ccache(const std::string &ccache) {
  setenv("KRB5CCNAME", ccache.c_str(), 1);
}

void KrbGatewayTest::set_mech_list(const std::string &mech_list) {
  write_file(sasl_.dir() + "/vncgate.conf",
             "mech_list: " + mech_list + "\nsasldb_path: " + sasl_.sasldb() + "\n");
}

KrbVncOptions KrbGatewayTest::krb_via_gateway(const std::string &console) const {
  KrbVncOptions o;
  o.port = daemon_.gateway_port();
  o.console = console;
  o.host = "localhost";
  // Handed out only if gtk-vnc asks, which the tests check it does not.
  o.username = "alice";
  o.password = kDigestAlicePassword;
  return o;
}

std::unique_ptr<KrbVncClient> KrbGatewayTest::login(const KrbVncOptions &options,
                                                    const std::string &ccache,
                                                    std::chrono::milliseconds timeout) {
  use_ccache(ccache);
  auto client = std::make_unique<KrbVncClient>(options);
  std::string error;
  EXPECT_TRUE(client->open(error)) << error;
  if (error.empty()) client->wait_settled(timeout);
  return client;
}

std::string audit_value(const AuditRecord &record, const std::string &key) {
  auto it = record.find(key);
  return it == record.end() ? std::string() : it->second;
}

}  // namespace vncgate::it
