// Counters for GET /metrics (Prometheus text exposition format 0.0.4).
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <string>

namespace vncgate {

struct Metrics {
  uint64_t sessions_total = 0;
  std::map<std::string, uint64_t> handshakes;  // result → count
  uint64_t bytes_to_clients = 0;
  uint64_t bytes_from_clients = 0;
  uint64_t mkvterm_calls = 0;
  uint64_t mkvterm_failures = 0;
  uint64_t rmvterm_calls = 0;
  static constexpr std::array<double, 9> kBuckets = {0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  std::array<uint64_t, kBuckets.size()> latency_buckets{};
  uint64_t latency_count = 0;
  double latency_sum = 0;
  // Password-guessing limits (login_limits.cpp).
  std::map<std::string, uint64_t> auth_failures;  // service (rfb|control) → count
  std::map<std::string, uint64_t> lockouts;       // kind (source|account) → count
  size_t lockouts_active = 0;                     // gauge, set before render()
  // [cluster] (cluster/redis_client.cpp); not rendered when not clustered.
  int cluster_redis_up = -1;  // gauge: 1 up, 0 down, -1 no [cluster]
  uint64_t cluster_redis_failed_commands = 0;

  void observe_handshake(const std::string &result, double seconds);
  // Renders everything; `active_sessions` and `open_consoles` are gauges.
  std::string render(size_t active_sessions, size_t open_consoles) const;
};

// The one instance the daemon's parts update (single-threaded main loop).
Metrics &metrics();

}  // namespace vncgate
