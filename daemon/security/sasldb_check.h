// A start-up check that the sasldb named by the Cyrus application config
// (<app-name>.conf on the SASL config path, its sasldb_path, by default
// /etc/sasldb2) can be read by vncgated, so a wrong owner or mode is a clear
// warning at start rather than a Berkeley DB error at the first password
// login (as kerberos_check_keytab() does for the keytab).
#pragma once

#include <string>
#include <string_view>

namespace vncgate {

// Cyrus' compiled-in search path for <app-name>.conf (libsasl2's CONFIGDIR on
// Debian and Fedora), used when SASL_CONF_PATH is not set.
inline constexpr std::string_view kCyrusConfigPath =
    "/etc/sasl2:/etc/sasl:/usr/lib/x86_64-linux-gnu/sasl2:/usr/lib/sasl2";
inline constexpr std::string_view kCyrusDefaultSasldb = "/etc/sasldb2";

// What an application config says about the sasldb.
struct SasldbUse {
  bool used = true;  // false: no password mechanism, or an auxprop plugin other than sasldb
  std::string path{kCyrusDefaultSasldb};
};

// Pure: reads "key: value" lines (# comments) of an application config:
// mech_list (only Kerberos mechanisms: no sasldb), auxprop_plugin (must
// name sasldb, when set) and sasldb_path.
SasldbUse sasldb_use_from_config(std::string_view config_text);

// The first `<app_name>.conf` in the ':'-separated `search_path`, or "".
std::string find_sasl_app_config(const std::string &app_name, std::string_view search_path);

// Empty when no sasldb is used or it can be opened for reading; otherwise a
// warning naming the file and why (missing, not a file, permission).
// `search_path` empty: $SASL_CONF_PATH, else kCyrusConfigPath.
std::string sasldb_check(const std::string &app_name, std::string_view search_path = {});

}  // namespace vncgate
