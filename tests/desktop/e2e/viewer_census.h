// The vncgate-viewer processes one test owns. The launcher starts each
// viewer in its own session and then exits, so no viewer is a child the
// test started: they are found in /proc by their executable and by the
// test's private XDG_RUNTIME_DIR in their environment. The test process is
// made a child subreaper, so an orphaned viewer is reparented to it and
// its exit status can be read (and no zombie is left).
//
// The destructor ends every viewer still running (SIGTERM, then SIGKILL),
// so a failing test leaves none behind.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace vncgate::desktop {

class ViewerCensus {
 public:
  ViewerCensus(const std::string &program, std::string runtime_dir);
  ~ViewerCensus();
  ViewerCensus(const ViewerCensus &) = delete;
  ViewerCensus &operator=(const ViewerCensus &) = delete;

  // Makes this process the reaper of its orphaned descendants.
  static bool become_subreaper();

  // Running (not zombie) viewers of this test, sorted.
  std::vector<pid_t> pids() const;

  // SIGTERM and wait (bounded); the viewer's exit code, -2 when it ended
  // but its status could not be read (not reparented to us), -1 when it
  // had to be killed.
  int terminate(pid_t pid, std::chrono::milliseconds timeout);
  void terminate_all();

 private:
  std::string program_;  // canonical path of the viewer executable
  std::string runtime_dir_;
};

}  // namespace vncgate::desktop
