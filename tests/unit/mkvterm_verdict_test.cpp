// interpret_mkvterm and the operator's line for a failed run: every failure
// carries the tool's stderr, as one sanitized, bounded line.
#include <glib.h>
#include <gtest/gtest.h>

#include "backends/mkvterm.h"

namespace vncgate {
namespace {

ProcessResult exited(int status, std::string out, std::string err = {}) {
  ProcessResult r;
  r.started = true;
  r.exit_status = status;
  r.out = std::move(out);
  r.err = std::move(err);
  return r;
}

TEST(MkvtermVerdict, PortOnTheFirstLineOpens) {
  uint16_t port = 0;
  std::string error;
  EXPECT_EQ(interpret_mkvterm(exited(0, "5903\nmore output\n"), port, error),
            MkvtermVerdict::Opened);
  EXPECT_EQ(port, 5903);
  EXPECT_EQ(interpret_mkvterm(exited(3, " 5904 \n"), port, error), MkvtermVerdict::Opened);
  EXPECT_EQ(port, 5904);
}

TEST(MkvtermVerdict, ExitZeroWithoutAPortLogsStderr) {
  uint16_t port = 0;
  std::string error;
  EXPECT_EQ(interpret_mkvterm(exited(0, "", "HSCL0001 no port\nsecond line\n"), port, error),
            MkvtermVerdict::Failed);
  EXPECT_NE(error.find("(exit 0)"), std::string::npos) << error;
  EXPECT_NE(error.find("HSCL0001 no port | second line"), std::string::npos) << error;
}

TEST(MkvtermVerdict, BusyOutOfBandLogsStderr) {
  uint16_t port = 0;
  std::string error;
  EXPECT_EQ(interpret_mkvterm(exited(3, "", "already open\n"), port, error),
            MkvtermVerdict::BusyOutOfBand);
  EXPECT_NE(error.find("already open"), std::string::npos) << error;
}

TEST(MkvtermVerdict, FailureLineIsSanitizedAndBounded) {
  uint16_t port = 0;
  std::string error;
  std::string err = "bad \xff byte \xe2\x80\xa8 sep\r\n" + std::string(100000, 'x');
  ProcessResult r = exited(1, "", err);
  r.err_truncated = true;
  EXPECT_EQ(interpret_mkvterm(r, port, error), MkvtermVerdict::Failed);
  EXPECT_TRUE(error.starts_with("(exit 1): bad \\xff byte \\u2028 sep | xxx"))
      << error.substr(0, 80);
  EXPECT_LT(error.size(), 1100u);
  EXPECT_TRUE(g_utf8_validate(error.data(), static_cast<gssize>(error.size()), nullptr));
  EXPECT_EQ(error.find('\n'), std::string::npos);
}

TEST(MkvtermVerdict, TimeoutAndSpawnFailure) {
  uint16_t port = 0;
  std::string error;
  ProcessResult t = exited(-1, "");
  t.timed_out = true;
  EXPECT_EQ(interpret_mkvterm(t, port, error), MkvtermVerdict::Failed);
  EXPECT_EQ(error, "(timed out)");
  ProcessResult s;
  s.spawn_error = "No such file";
  EXPECT_EQ(interpret_mkvterm(s, port, error), MkvtermVerdict::Failed);
  EXPECT_EQ(error, "could not start: No such file");
  EXPECT_EQ(stderr_suffix(exited(1, "", "\n\n")), "");
}

}  // namespace
}  // namespace vncgate
