// The start-up warning for a sasldb vncgated cannot read (issue 16.5), as
// an operator sees it in the journal: the sasldb_path of the Cyrus
// application config (<app-name>.conf on SASL_CONF_PATH) is missing, or is
// a directory. (The tests run as root, for whom a mode-000 file is still
// readable: a missing file and a directory are what root cannot read.)
// A readable sasldb gives no warning, and a password login works.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>

#include "gateway_test.h"
#include "temp_dir.h"

namespace vncgate::it {
namespace {

class SasldbWarningTest : public GatewayTest {
 protected:
  // Rewrites the application config the daemon will read.
  void point_sasldb_at(const std::string &path) {
    write_file(sasl_.dir() + "/vncgate.conf",
               "mech_list: digest-md5 scram-sha-256\nsasldb_path: " + path + "\n");
  }
};

const std::regex kAnySasldbWarning(".*sasldb .* logins will fail.*");

TEST_F(SasldbWarningTest, MissingSasldbIsNamedAtStart) {
  const std::string missing = dir_.file("no-such-sasldb");
  point_sasldb_at(missing);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_LOG(daemon_,
             ".*sasldb " + missing + " \\(sasldb_path in " + sasl_.dir() +
                 "/vncgate.conf\\) cannot be read: No such file or directory: password "
                 "\\(DIGEST-MD5, SCRAM\\) logins will fail.*",
             5000ms);
}

TEST_F(SasldbWarningTest, DirectoryInsteadOfSasldbIsNamedAtStart) {
  const std::string directory = dir_.subdir("sasldb-is-a-directory");
  point_sasldb_at(directory);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_LOG(daemon_, ".*sasldb " + directory + " .*is not a regular file.*", 5000ms);
}

TEST_F(SasldbWarningTest, ReadableSasldbGivesNoWarningAndPasswordsWork) {
  add_static_console("c1", 320, 240);
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  GvncClient client(via_gateway("c1"));
  std::string error;
  ASSERT_TRUE(client.open(error)) << error;
  ASSERT_TRUE(client.wait_initialized(20s)) << client.describe();
  EXPECT_EQ(daemon_.count_log(kAnySasldbWarning), 0);
}

TEST_F(SasldbWarningTest, KerberosOnlyConfigNeedsNoSasldb) {
  write_file(sasl_.dir() + "/vncgate.conf",
             "mech_list: gssapi\nsasldb_path: " + dir_.file("missing") + "\n");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  EXPECT_EQ(daemon_.count_log(kAnySasldbWarning), 0);
}

}  // namespace
}  // namespace vncgate::it
