#include "control/metrics.h"

#include <glib.h>

namespace vncgate {

Metrics &metrics() {
  static Metrics m;
  return m;
}

void Metrics::observe_handshake(const std::string &result, double seconds) {
  handshakes[result]++;
  if (result != "ok") return;
  latency_count++;
  latency_sum += seconds;
  for (size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) latency_buckets[i]++;
  }
}

std::string Metrics::render(size_t active_sessions, size_t open_consoles) const {
  std::string o;
  auto num = [](double d) {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return std::string(g_ascii_formatd(buf, sizeof buf, "%g", d));
  };
  auto metric = [&](const char *name, const char *type, const char *help) {
    o += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n";
  };
  metric("vncgate_sessions", "gauge", "Client connections currently open.");
  o += "vncgate_sessions " + std::to_string(active_sessions) + "\n";
  metric("vncgate_sessions_total", "counter", "Client connections accepted.");
  o += "vncgate_sessions_total " + std::to_string(sessions_total) + "\n";
  metric("vncgate_consoles_open", "gauge", "Consoles with an open backend.");
  o += "vncgate_consoles_open " + std::to_string(open_consoles) + "\n";
  metric("vncgate_handshakes_total", "counter", "Finished handshakes by result.");
  for (const auto &[r, n] : handshakes)
    o += "vncgate_handshakes_total{result=\"" + r + "\"} " + std::to_string(n) + "\n";
  metric("vncgate_relay_bytes_total", "counter", "Payload bytes relayed.");
  o += "vncgate_relay_bytes_total{direction=\"to_client\"} " + std::to_string(bytes_to_clients) +
       "\n";
  o += "vncgate_relay_bytes_total{direction=\"from_client\"} " +
       std::to_string(bytes_from_clients) + "\n";
  metric("vncgate_mkvterm_calls_total", "counter", "mkvterm runs.");
  o += "vncgate_mkvterm_calls_total " + std::to_string(mkvterm_calls) + "\n";
  metric("vncgate_mkvterm_failures_total", "counter", "mkvterm runs that failed.");
  o += "vncgate_mkvterm_failures_total " + std::to_string(mkvterm_failures) + "\n";
  metric("vncgate_rmvterm_calls_total", "counter", "rmvterm runs.");
  o += "vncgate_rmvterm_calls_total " + std::to_string(rmvterm_calls) + "\n";
  metric("vncgate_handshake_seconds", "histogram",
         "Time from accept to a relaying session, successful handshakes.");
  for (size_t i = 0; i < kBuckets.size(); ++i)
    o += "vncgate_handshake_seconds_bucket{le=\"" + num(kBuckets[i]) + "\"} " +
         std::to_string(latency_buckets[i]) + "\n";
  o += "vncgate_handshake_seconds_bucket{le=\"+Inf\"} " + std::to_string(latency_count) + "\n";
  o += "vncgate_handshake_seconds_sum " + num(latency_sum) + "\n";
  o += "vncgate_handshake_seconds_count " + std::to_string(latency_count) + "\n";
  metric("vncgate_auth_failures_total", "counter", "Failed logins by service.");
  for (const char *svc : {"control", "rfb"}) {
    auto it = auth_failures.find(svc);
    o += std::string("vncgate_auth_failures_total{service=\"") + svc + "\"} " +
         std::to_string(it == auth_failures.end() ? 0 : it->second) + "\n";
  }
  metric("vncgate_lockouts_total", "counter",
         "Sources refused and accounts throttled after failed logins.");
  for (const char *kind : {"account", "source"}) {
    auto it = lockouts.find(kind);
    o += std::string("vncgate_lockouts_total{kind=\"") + kind + "\"} " +
         std::to_string(it == lockouts.end() ? 0 : it->second) + "\n";
  }
  metric("vncgate_lockouts_active", "gauge", "Sources refused and accounts throttled now.");
  o += "vncgate_lockouts_active " + std::to_string(lockouts_active) + "\n";
  if (cluster_redis_up >= 0) {
    metric("vncgate_cluster_redis_up", "gauge", "1 while the cluster's Redis is reachable.");
    o += "vncgate_cluster_redis_up " + std::to_string(cluster_redis_up) + "\n";
    metric("vncgate_cluster_redis_failed_commands_total", "counter",
           "Redis commands that failed (Redis down, connection lost or an error reply).");
    o += "vncgate_cluster_redis_failed_commands_total " +
         std::to_string(cluster_redis_failed_commands) + "\n";
  }
  return o;
}

}  // namespace vncgate
