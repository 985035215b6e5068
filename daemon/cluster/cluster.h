// A node's part in a cluster ([cluster], vncgated.conf(5)): the Redis
// connections (commands, and a subscriber for pub/sub) and what is kept
// there. Created by the daemon when the section exists; [cluster] changes
// take effect at the next start (a reload says so).
#pragma once

#include <memory>

#include "cluster/redis_client.h"
#include "cluster/redis_token_store.h"
#include "config.h"

namespace vncgate {

class Cluster {
 public:
  // `lease`: seconds a token reservation outlives a node that never settles it.
  Cluster(const ClusterConfig &config, int64_t lease);
  void start();

  const ClusterConfig &config() const { return config_; }
  RedisClient &redis() { return redis_; }
  // For pub/sub (SUBSCRIBE); commands go through redis().
  RedisClient &subscriber() { return subscriber_; }
  RedisTokenStore &tokens() { return tokens_; }
  bool redis_up() const { return redis_.up(); }

 private:
  ClusterConfig config_;
  RedisClient redis_;
  RedisClient subscriber_;
  RedisTokenStore tokens_;
};

}  // namespace vncgate
