// PowerVM vterm control through mkvterm/rmvterm (DESIGN.md, "mkvterm
// contract"). Processes run with GSubprocess from an argument vector, with
// a time limit. Output is read while the child runs (a child blocked on a
// full pipe would otherwise turn success into a timeout) and kept up to a
// bound; the run ends when the child exits, not at EOF, so a daemonised
// grandchild holding the pipe cannot stall us.
#pragma once

#include <gio/gio.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "io/fd_watch.h"
#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"

namespace vncgate {

// Output kept per stream; the rest is read and dropped.
inline constexpr size_t kMaxProcessOutput = 64 * 1024;

struct ProcessResult {
  bool started = false;
  bool timed_out = false;
  int exit_status = -1;  // -1: killed by a signal
  std::string out, err;  // at most kMaxProcessOutput bytes each
  bool out_truncated = false, err_truncated = false;
  std::string spawn_error;
};

// Runs argv, waits at most `timeout_s`, calls `done` in the main context.
// The returned handle cancels the wait (the child is killed) when dropped.
class ProcessRun {
 public:
  using Done = std::function<void(ProcessResult)>;
  static std::unique_ptr<ProcessRun> start(const std::vector<std::string> &argv, unsigned timeout_s,
                                           Done done);
  ~ProcessRun();
  ProcessRun(const ProcessRun &) = delete;
  ProcessRun &operator=(const ProcessRun &) = delete;

 private:
  struct Token {};  // only start() constructs one

 public:
  explicit ProcessRun(Token) {}

 private:
  static void on_exit(GObject *src, GAsyncResult *res, gpointer data);
  void finish();

  // One of the child's output pipes, read whenever it has data.
  struct Pipe {
    GInputStream *stream = nullptr;  // owned by the GSubprocess
    std::unique_ptr<FdWatch> watch;
    std::string data;
    bool truncated = false;
    bool eof = false;
  };
  void watch_pipe(Pipe &p, GInputStream *stream);
  // Reads what is there now, up to `budget` bytes; false at EOF or error.
  static bool read_available(Pipe &p, size_t budget);

  GObjectPtr<GSubprocess> proc_;
  Pipe out_, err_;
  // Cancelled by the destructor: on_exit then leaves `this` alone.
  GObjectPtr<GCancellable> cancel_;
  MainLoopTimer timer_;  // the time limit, or the report of a spawn failure
  bool timed_out_ = false;
  bool finished_ = false;
  Done done_;
};

// Interprets mkvterm's exit status and output per the contract.
enum class MkvtermVerdict { Opened, BusyOutOfBand, Failed };
MkvtermVerdict interpret_mkvterm(const ProcessResult &r, uint16_t &port, std::string &error);

// The two commands and their limits, from [gateway] mkvterm/rmvterm.
struct MkvtermBackend {
  std::string mkvterm = "/usr/bin/mkvterm";
  std::string rmvterm = "/usr/bin/rmvterm";
  unsigned timeout_s = 30;

  std::unique_ptr<ProcessRun> open(int lpar, ProcessRun::Done done) const {
    return ProcessRun::start({mkvterm, "--id", std::to_string(lpar), "--vnc", "--local"}, timeout_s,
                             std::move(done));
  }
  std::unique_ptr<ProcessRun> close(int lpar, ProcessRun::Done done) const {
    return ProcessRun::start({rmvterm, "--id", std::to_string(lpar)}, timeout_s, std::move(done));
  }
};

// One line for the operator: how a run ended, with its stderr.
std::string describe_process_failure(const ProcessResult &r);
// ": <stderr as one sanitized line>", or "" when it wrote nothing.
std::string stderr_suffix(const ProcessResult &r);

}  // namespace vncgate
