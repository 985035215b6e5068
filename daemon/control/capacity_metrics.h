// Gauges for GET /metrics about how close the daemon is to its limits, so
// that alert rules can compare use with capacity without knowing the
// configuration (data/prometheus/vncgate.rules.yml).
#pragma once

#include <string>

namespace vncgate {

// vncgate_max_sessions (the [gateway] max-sessions in force), and
// vncgate_open_fds / vncgate_max_fds (descriptors open now, and the soft
// RLIMIT_NOFILE; each session holds two), read at scrape time.
std::string render_capacity_metrics(unsigned max_sessions);

}  // namespace vncgate
