// Signals: SIGTERM ends the sessions, runs rmvterm for every vterm the
// daemon opened and exits 0; SIGHUP reloads consoles and the allow-list
// without dropping live sessions, and a broken new config keeps the old one.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <csignal>
#include <regex>

#include "gateway_test.h"
#include "raw_socket.h"
#include "wait.h"

namespace vncgate::it {
namespace {

using vncgate::it::to_string;

class DaemonSignalTest : public GatewayTest {};

std::string field(const AuditRecord &a, const std::string &key) {
  auto it = a.find(key);
  return it == a.end() ? std::string("<missing>") : it->second;
}

TEST_F(DaemonSignalTest, SigtermEndsSessionsRunsRmvtermAndExitsZero) {
  add_lpar_console("live", 31);             // a session open at SIGTERM
  add_lpar_console("lingering", 32);        // its session ended, inside the grace period
  add_lpar_console("unused", 33);           // never opened
  add_static_console("static1");            // no vterm to close
  ASSERT_NO_FATAL_FAILURE(start_daemon());  // idle-close=300

  std::string error;
  {
    GvncClient done(via_gateway("lingering"));
    ASSERT_TRUE(done.open(error)) << error;
    ASSERT_TRUE(done.wait_full_update(20s)) << done.describe();
  }
  GvncClient live(via_gateway("live"));
  ASSERT_TRUE(live.open(error)) << error;
  ASSERT_TRUE(live.wait_full_update(20s)) << live.describe();
  GvncClient on_static(via_gateway("static1"));
  ASSERT_TRUE(on_static.open(error)) << error;
  ASSERT_TRUE(on_static.wait_full_update(20s)) << on_static.describe();
  ASSERT_TRUE(fake_.vterm_open(31));
  ASSERT_TRUE(fake_.vterm_open(32));

  ASSERT_TRUE(daemon_.send_signal(SIGTERM));
  // The clients see their connections end...
  EXPECT_TRUE(live.wait_disconnected(10s)) << live.describe();
  EXPECT_TRUE(on_static.wait_disconnected(10s)) << on_static.describe();
  // ...and the daemon exits 0 within a bound.
  auto status = daemon_.wait_exit(15s);
  ASSERT_TRUE(status) << "vncgated still running 15 s after SIGTERM";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << describe_wait_status(*status);

  EXPECT_EQ(fake_.rmvterm_calls(31), 1);
  EXPECT_EQ(fake_.rmvterm_calls(32), 1);
  EXPECT_EQ(fake_.rmvterm_calls(33), 0);
  EXPECT_EQ(fake_.mkvterm_calls(33), 0);
  EXPECT_FALSE(fake_.vterm_open(31));
  EXPECT_FALSE(fake_.vterm_open(32));

  const auto audits = daemon_.audits();
  ASSERT_EQ(audits.size(), 3u) << daemon_.log();
  EXPECT_EQ(field(audits[0], "console"), "lingering") << to_string(audits[0]);
  EXPECT_EQ(field(audits[0], "end"), "client closed") << to_string(audits[0]);
  for (size_t i = 1; i < audits.size(); ++i)
    EXPECT_EQ(field(audits[i], "end"), "daemon stopping") << to_string(audits[i]);
  EXPECT_FALSE(port_accepts(daemon_.gateway_port()));
}

TEST_F(DaemonSignalTest, SighupWithBrokenConfigKeepsTheOldOne) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());
  const std::string good = daemon_.config().render();

  GvncClient live(via_gateway("static1"));
  std::string error;
  ASSERT_TRUE(live.open(error)) << error;
  ASSERT_TRUE(live.wait_full_update(10s)) << live.describe();

  // A console with both kinds of backend, and a key that does not exist.
  daemon_.write_config_text(good +
                            "[console:bad]\nlpar-id=5\nbackend=127.0.0.1:1\n"
                            "no-such-key=1\n");
  ASSERT_TRUE(daemon_.send_signal(SIGHUP));
  auto line = daemon_.wait_for_log(
      std::regex("(?:reload|config).*(?:keep|fail|error|invalid)", std::regex::icase), 5s);
  ASSERT_TRUE(line) << "no log line about the refused reload";
  EXPECT_NE(line->find("vncgated.conf"), std::string::npos)
      << "the reason does not name the file: " << *line;
  ASSERT_TRUE(daemon_.running());

  // The live session survived, and the old consoles still work.
  EXPECT_TRUE(live.refresh(10s)) << live.describe();
  GvncClient fresh(via_gateway("static1"));
  ASSERT_TRUE(fresh.open(error)) << error;
  EXPECT_TRUE(fresh.wait_full_update(10s)) << fresh.describe();

  // Broken text that is not even a key file.
  daemon_.write_config_text("this is [not a key file\n");
  ASSERT_TRUE(daemon_.send_signal(SIGHUP));
  EXPECT_TRUE(wait_until(
      [&] {
        return daemon_.count_log(std::regex("(?:reload|config).*(?:keep|fail|error|invalid)",
                                            std::regex::icase)) >= 2;
      },
      5000ms))
      << "no log line about the second refused reload";
  GvncClient third(via_gateway("static1"));
  ASSERT_TRUE(third.open(error)) << error;
  EXPECT_TRUE(third.wait_full_update(10s)) << third.describe();
  EXPECT_TRUE(live.refresh(10s)) << live.describe();
}

TEST_F(DaemonSignalTest, SighupReloadsConsolesAndAllowListKeepingLiveSessions) {
  add_static_console("static1");
  ASSERT_NO_FATAL_FAILURE(start_daemon());

  GvncClient live(via_gateway("static1"));
  std::string error;
  ASSERT_TRUE(live.open(error)) << error;
  ASSERT_TRUE(live.wait_full_update(10s)) << live.describe();

  // Add a console.
  add_static_console("static2", 640, 480);
  daemon_.write_config_text(daemon_.config().render());
  ASSERT_TRUE(daemon_.send_signal(SIGHUP));
  bool reloaded = wait_until(
      [&] {
        RawSocket s;
        std::string err, got;
        if (!s.connect(daemon_.gateway_port(), err)) return false;
        s.send("CONNECT /console/static2 HTTP/1.1\r\n\r\n", err);
        s.read_until("\r\n\r\n", got, 2000);
        return got.starts_with("HTTP/1.1 200 ");
      },
      5000ms, 100ms);
  ASSERT_TRUE(reloaded) << "console static2 unknown after SIGHUP";
  GvncClient on_new(via_gateway("static2"));
  ASSERT_TRUE(on_new.open(error)) << error;
  ASSERT_TRUE(on_new.wait_full_update(10s)) << on_new.describe();
  EXPECT_EQ(on_new.width(), 640);
  EXPECT_TRUE(live.refresh(10s)) << "live session lost in the reload: " << live.describe();

  // Narrow the allow-list: new connections are refused, live ones stay.
  daemon_.config().set("gateway", "allowed-clients", "10.0.0.0/8");
  daemon_.write_config_text(daemon_.config().render());
  ASSERT_TRUE(daemon_.send_signal(SIGHUP));
  bool refused = wait_until(
      [&] {
        RawSocket s;
        std::string err, got;
        if (!s.connect(daemon_.gateway_port(), err)) return false;
        return s.read_until_closed(got, 2000) != RawSocket::End::Open && got.empty();
      },
      5000ms, 100ms);
  EXPECT_TRUE(refused) << "loopback still accepted after narrowing allowed-clients";
  EXPECT_LOG(daemon_, "refused connection from 127\\.0\\.0\\.1.*not in allowed-clients", 5s);
  EXPECT_TRUE(live.refresh(10s)) << "live session lost in the reload: " << live.describe();
  EXPECT_TRUE(on_new.refresh(10s)) << on_new.describe();
}

}  // namespace
}  // namespace vncgate::it
