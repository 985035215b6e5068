// The command line: --version, --help, and a bad config refused at start
// with the file and the key named, before READY=1 and with no port open.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <regex>

#include "gateway_test.h"
#include "paths.h"
#include "raw_socket.h"

namespace vncgate::it {
namespace {

class DaemonStartupTest : public GatewayTest {};

TEST_F(DaemonStartupTest, VersionAndHelp) {
  CommandResult version = run_command({vncgated_path(), "--version"}, "", 10s);
  EXPECT_EQ(version.exit_code, 0) << version.output;
  EXPECT_TRUE(std::regex_search(version.output, std::regex("vncgated [0-9]+\\.[0-9]+")))
      << version.output;

  CommandResult help = run_command({vncgated_path(), "--help"}, "", 10s);
  EXPECT_EQ(help.exit_code, 0) << help.output;
  EXPECT_NE(help.output.find("--config"), std::string::npos) << help.output;

  CommandResult bogus = run_command({vncgated_path(), "--no-such-option"}, "", 10s);
  EXPECT_NE(bogus.exit_code, 0) << bogus.output;
}

TEST_F(DaemonStartupTest, BadConfigIsRefusedAtStartNamingFileAndKey) {
  add_static_console("static1");
  daemon_.config().set("gateway", "handshake-timeout", "soon");
  std::string error;
  ASSERT_FALSE(daemon_.start(error, 10s)) << "vncgated started with handshake-timeout=soon";
  auto status = daemon_.wait_exit(5s);
  ASSERT_TRUE(status);
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) != 0) << describe_wait_status(*status);
  const std::string log = daemon_.log();
  EXPECT_NE(log.find("vncgated.conf"), std::string::npos) << log;
  EXPECT_NE(log.find("handshake-timeout"), std::string::npos) << log;
  EXPECT_FALSE(port_accepts(daemon_.gateway_port()));
}

TEST_F(DaemonStartupTest, ConsoleWithTwoBackendsIsRefused) {
  add_static_console("both");
  add_lpar_console("both", 3);  // lpar-id and backend: exactly one is allowed
  std::string error;
  ASSERT_FALSE(daemon_.start(error, 10s));
  const std::string log = daemon_.log();
  EXPECT_NE(log.find("both"), std::string::npos) << log;
  EXPECT_TRUE(fake_.calls().empty());
}

}  // namespace
}  // namespace vncgate::it
