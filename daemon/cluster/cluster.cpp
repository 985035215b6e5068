#include "cluster/cluster.h"

#include "logging.h"

namespace vncgate {

Cluster::Cluster(const ClusterConfig &config, int64_t lease)
    : config_(config),
      redis_(config.redis, config.password_file, "main", true),
      subscriber_(config.redis, config.password_file, "subscriber", false),
      tokens_(redis_, lease) {}

void Cluster::start() {
  log_info("cluster: node " + config_.node_name + ", shared state in Redis " +
           config_.redis.to_string());
  redis_.start();
  subscriber_.start();
}

}  // namespace vncgate
