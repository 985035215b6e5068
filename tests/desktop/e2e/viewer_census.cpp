#include "viewer_census.h"

#include <dirent.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <iterator>

#include "wait.h"

namespace vncgate::desktop {
namespace {

std::string canonical(const std::string &path) {
  char buf[PATH_MAX];
  return realpath(path.c_str(), buf) ? std::string(buf) : path;
}

std::string proc_file(pid_t pid, const char *name) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/" + name, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Gone, or a zombie nobody reaped yet: either way it no longer runs.
bool alive(pid_t pid) {
  const std::string stat = proc_file(pid, "stat");
  const size_t paren = stat.rfind(')');
  return paren != std::string::npos && paren + 2 < stat.size() && stat[paren + 2] != 'Z';
}

// The parent process id, or 0 when `pid` is gone.
pid_t parent_of(pid_t pid) {
  const std::string stat = proc_file(pid, "stat");
  const size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  // ") S PPID ..."
  return static_cast<pid_t>(std::strtol(stat.c_str() + paren + 4, nullptr, 10));
}

// Reaps `pid` if it is our child; its wait status, or -1.
int try_reap(pid_t pid) {
  int status = 0;
  return ::waitpid(pid, &status, WNOHANG) == pid ? status : -1;
}

}  // namespace

ViewerCensus::ViewerCensus(const std::string &program, std::string runtime_dir)
    : program_(canonical(program)), runtime_dir_(std::move(runtime_dir)) {}

ViewerCensus::~ViewerCensus() {
  terminate_all();
}

bool ViewerCensus::become_subreaper() {
  return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0;
}

std::vector<pid_t> ViewerCensus::pids() const {
  std::vector<pid_t> found;
  DIR *proc = opendir("/proc");
  if (!proc) return found;
  const std::string marker = "XDG_RUNTIME_DIR=" + runtime_dir_;
  while (dirent *e = readdir(proc)) {
    char *end = nullptr;
    const long pid = std::strtol(e->d_name, &end, 10);
    if (pid <= 0 || *end) continue;
    char exe[PATH_MAX];
    const std::string link = "/proc/" + std::string(e->d_name) + "/exe";
    const ssize_t n = readlink(link.c_str(), exe, sizeof exe - 1);
    if (n <= 0 || std::string(exe, size_t(n)) != program_) continue;
    // environ is NUL-separated; look for the whole entry.
    const std::string env = std::string(1, '\0') + proc_file(pid_t(pid), "environ");
    if (env.find(std::string(1, '\0') + marker + '\0') == std::string::npos) continue;
    if (alive(pid_t(pid))) found.push_back(pid_t(pid));
  }
  closedir(proc);
  std::sort(found.begin(), found.end());
  return found;
}

int ViewerCensus::terminate(pid_t pid, std::chrono::milliseconds timeout) {
  int status = -1;
  auto ended = [&] {
    if (alive(pid)) return false;
    status = try_reap(pid);
    // A multi-threaded leader shows as a zombie before its other threads
    // are gone, and only then can it be reaped: keep waiting while it is
    // still our unreaped child.
    return status != -1 || parent_of(pid) != getpid();
  };
  if (::kill(pid, SIGTERM) != 0 && errno == ESRCH) return -2;
  if (!it::wait_until(ended, timeout)) {
    ::kill(pid, SIGKILL);
    it::wait_until(ended, std::chrono::milliseconds(3000));
    try_reap(pid);
    return -1;
  }
  if (status == -1) return -2;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ViewerCensus::terminate_all() {
  for (pid_t pid : pids()) terminate(pid, std::chrono::milliseconds(5000));
}

}  // namespace vncgate::desktop
