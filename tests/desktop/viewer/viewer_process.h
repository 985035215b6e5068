// The vncgate-viewer under test as a child process: argument vector (no
// shell), its own environment (DISPLAY, a private XDG_RUNTIME_DIR, no
// accessibility bus), stderr to a file, every wait bounded.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "subprocess.h"

namespace vncgate::desktop {

// build/launcher/viewer/vncgate-viewer, or $VNCGATE_VIEWER.
std::string viewer_path();

class ViewerProcess {
 public:
  ViewerProcess(std::string stderr_path, std::map<std::string, std::string> env)
      : stderr_path_(std::move(stderr_path)), env_(std::move(env)) {}

  bool start(const std::vector<std::string> &args, std::string &error);
  // Waits until stderr contains `text` (at least `count` times).
  bool wait_for_stderr(const std::string &text, std::chrono::milliseconds timeout, int count = 1);
  // Exit code, or -1 when it did not exit in time (then it is killed).
  int wait_exit(std::chrono::milliseconds timeout);
  bool running() { return process_.running(); }
  bool send_signal(int signo) { return process_.send_signal(signo); }
  std::string stderr_text() const;

 private:
  std::string stderr_path_;
  std::map<std::string, std::string> env_;
  it::Subprocess process_;
};

// Runs the viewer to completion: exit code (-1 on timeout) and stderr.
struct ViewerResult {
  int exit_code = -1;
  std::string stderr_text;
};
ViewerResult run_viewer(const std::vector<std::string> &args,
                        const std::map<std::string, std::string> &env,
                        const std::string &stderr_path, std::chrono::milliseconds timeout);

}  // namespace vncgate::desktop
