// [cluster]: see config.h (ClusterConfig) and vncgated.conf(5).
#include <glib.h>
#include <glib/gi18n-lib.h>

#include "config_reader.h"

namespace vncgate {

bool parse_cluster(const SectionReader &r, Config &c, std::string &error) {
  if (!r.only_known({"redis", "password-file", "tls-ca", "tls-cert", "tls-key", "node-name",
                     "tokenless-logins-without-redis"},
                    error))
    return false;
  ClusterConfig cl;
  // hiredis before 1.0 (Debian 12 ships 0.14) has no TLS: refusing the keys
  // beats a cluster that looks encrypted and is not.
  for (const char *key : {"tls-ca", "tls-cert", "tls-key"}) {
    if (r.has(key)) {
      error = r.where(key) + ": " +
              _("TLS to Redis needs hiredis 1.0 or later, which this build lacks; reach Redis "
                "over a Unix socket, a private network or a TLS tunnel (stunnel)");
      return false;
    }
  }
  if (!r.has("redis")) {
    error = r.where("redis") + ": " + _("missing: where the cluster's Redis is");
    return false;
  }
  std::string why;
  auto address = parse_redis_address(r.raw("redis"), why);
  if (!address) {
    error = r.where("redis") + ": " + why;
    return false;
  }
  cl.redis = *address;
  if (!r.path("password-file", cl.password_file, error) ||
      !r.boolean("tokenless-logins-without-redis", cl.tokenless_logins_without_redis, error))
    return false;
  cl.node_name = r.has("node-name") ? r.raw("node-name") : g_get_host_name();
  bool name_ok = !cl.node_name.empty() && cl.node_name.size() <= 64;
  for (char ch : cl.node_name)
    name_ok = name_ok && (g_ascii_isalnum(ch) || ch == '-' || ch == '_' || ch == '.');
  if (!name_ok) {
    error = r.where("node-name") + ": " + _("expected 1 to 64 letters, digits, '-', '_' or '.'");
    return false;
  }
  c.cluster = std::move(cl);
  return true;
}

}  // namespace vncgate
