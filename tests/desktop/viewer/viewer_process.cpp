#include "viewer_process.h"

#include <sys/wait.h>

#include <cstdlib>

#include "temp_dir.h"
#include "wait.h"

namespace vncgate::desktop {

std::string viewer_path() {
  const char *env = std::getenv("VNCGATE_VIEWER");
  return env && *env ? env : std::string(VNCGATE_BUILD_ROOT) + "/launcher/viewer/vncgate-viewer";
}

bool ViewerProcess::start(const std::vector<std::string> &args, std::string &error) {
  it::SpawnOptions o;
  o.argv = {viewer_path()};
  o.argv.insert(o.argv.end(), args.begin(), args.end());
  o.env = {{"NO_AT_BRIDGE", "1"}, {"GDK_BACKEND", "x11"}, {"GSETTINGS_BACKEND", "memory"},
           {"LANG", "C.UTF-8"},   {"LANGUAGE", ""},       {"LC_ALL", ""}};
  for (const auto &[k, v] : env_) o.env[k] = v;
  o.unset_env = {"VNCGATE_VIEWER_USERNAME", "VNCGATE_VIEWER_PASSWORD_FILE", "WAYLAND_DISPLAY"};
  for (const auto &[k, v] : env_) std::erase(o.unset_env, k);
  o.stderr_path = stderr_path_;
  o.stdout_path = stderr_path_;
  return process_.start(o, error);
}

bool ViewerProcess::wait_for_stderr(const std::string &text, std::chrono::milliseconds timeout,
                                    int count) {
  return it::wait_until(
      [&] {
        const std::string all = stderr_text();
        int n = 0;
        for (size_t at = all.find(text); at != std::string::npos; at = all.find(text, at + 1)) ++n;
        return n >= count;
      },
      timeout);
}

int ViewerProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto status = process_.wait(timeout);
  if (!status) {
    process_.kill_and_reap();
    return -1;
  }
  return WIFEXITED(*status) ? WEXITSTATUS(*status) : -1;
}

std::string ViewerProcess::stderr_text() const {
  return it::read_file(stderr_path_);
}

ViewerResult run_viewer(const std::vector<std::string> &args,
                        const std::map<std::string, std::string> &env,
                        const std::string &stderr_path, std::chrono::milliseconds timeout) {
  ViewerProcess p(stderr_path, env);
  ViewerResult r;
  std::string error;
  if (!p.start(args, error)) {
    r.stderr_text = error;
    return r;
  }
  r.exit_code = p.wait_exit(timeout);
  r.stderr_text = p.stderr_text();
  return r;
}

}  // namespace vncgate::desktop
