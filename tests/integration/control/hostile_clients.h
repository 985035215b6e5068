// What the hostile-client control tests look at from outside the daemon:
// its descriptors, memory and CPU time in /proc, and the Python HTTP
// clients of http_clients.py (a second real HTTP stack besides curl).
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

#include "control_test.h"

namespace vncgate::it {

size_t open_fds(pid_t pid);
// Resident set size in KiB (VmRSS).
long rss_kib(pid_t pid);
// User + system CPU time in seconds.
double cpu_seconds(pid_t pid);

// Runs http_clients.py with these arguments (bounded); its JSON line, or
// a Json that is not ok() with the output in `output`.
Json run_http_clients(const std::vector<std::string> &args, std::string &output,
                      std::chrono::seconds timeout = std::chrono::seconds(120));
std::string http_clients_script();

}  // namespace vncgate::it
