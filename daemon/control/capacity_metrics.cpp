#include "control/capacity_metrics.h"

#include <glib.h>
#include <sys/resource.h>

namespace vncgate {
namespace {

// Descriptors open now: the entries of /proc/self/fd, less the one the
// listing itself holds. -1 when /proc is not there (then no sample).
long open_fds() {
  GDir *dir = g_dir_open("/proc/self/fd", 0, nullptr);
  if (!dir) return -1;
  long n = 0;
  while (g_dir_read_name(dir)) ++n;
  g_dir_close(dir);
  return n > 0 ? n - 1 : 0;
}

void gauge(std::string &o, const char *name, const char *help, const std::string &value) {
  o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
  o += std::string(name) + " " + value + "\n";
}

}  // namespace

std::string render_capacity_metrics(unsigned max_sessions) {
  std::string o;
  gauge(o, "vncgate_max_sessions", "Connections allowed at once ([gateway] max-sessions).",
        std::to_string(max_sessions));
  if (long n = open_fds(); n >= 0)
    gauge(o, "vncgate_open_fds", "File descriptors open in vncgated.", std::to_string(n));
  struct rlimit nofile;
  if (getrlimit(RLIMIT_NOFILE, &nofile) == 0) {
    std::string limit = nofile.rlim_cur == RLIM_INFINITY ? "+Inf" : std::to_string(nofile.rlim_cur);
    gauge(o, "vncgate_max_fds", "Soft limit on open file descriptors (RLIMIT_NOFILE).", limit);
  }
  return o;
}

}  // namespace vncgate
