// vncgated's configuration, read from a GKeyFile (see vncgated.conf(5)).
// Loading is strict: an unknown section or key, a bad value, or a console
// without exactly one backend refuses the whole file with the reason.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "cluster/redis_address.h"
#include "net/allow_list.h"
#include "security/login_throttle.h"
#include "security/tls_server.h"

namespace vncgate {

struct HostPort {
  std::string host;  // IP literal (no brackets) or, for backends, a host name
  uint16_t port = 0;
  std::string to_string() const;
  bool operator==(const HostPort &) const = default;
};

// "127.0.0.1:5901", "[::1]:5901", "*:5901" (all addresses). Host names are
// accepted only when `allow_names` (backends), never for listeners.
std::optional<HostPort> parse_host_port(const std::string &text, bool allow_names,
                                        std::string &error);

struct ConsoleConfig {
  std::string name;
  std::optional<int> lpar_id;       // opened with mkvterm --id N --vnc --local
  std::optional<HostPort> backend;  // or a static VNC server
  std::string backend_password_file;
  std::optional<uint16_t> port;  // dedicated port (plain RFB, no CONNECT)
  std::vector<std::string> allowed_users;
  bool force = false;
  std::optional<std::vector<uint32_t>> subtypes;  // VeNCrypt subtypes; unset = [tls] subtypes
  std::optional<TlsClientSettings> backend_tls;   // backend-tls=x509: VeNCrypt toward the backend
  bool operator==(const ConsoleConfig &) const = default;
};

// [cluster]: several nodes sharing link tokens and password-guessing
// counters through one Redis (vncgated.conf(5)).
struct ClusterConfig {
  RedisAddress redis;
  std::string password_file;  // Redis AUTH; read at start and on reload, never logged
  std::string node_name;      // default: this host's name
  // While Redis is unreachable: logins without a token are still admitted
  // (token logins always fail closed).
  bool tokenless_logins_without_redis = true;
  bool operator==(const ClusterConfig &) const = default;
};

// [sasl] workers when unset: the CPU count, at least 2 (vncgated.conf(5)).
unsigned default_sasl_workers();

struct Config {
  std::string path;
  // [gateway]
  std::vector<HostPort> listen;
  AllowList allowed_clients;
  std::vector<std::string> allowed_clients_text;
  // Load balancers whose connections start with a PROXY protocol header
  // naming the client (empty: nobody; AllowList's "empty = everyone" does
  // not apply here).
  AllowList proxy_protocol_from;
  std::vector<std::string> proxy_protocol_from_text;
  unsigned handshake_timeout = 30;
  unsigned idle_close = 300;
  std::string mkvterm = "/usr/bin/mkvterm";
  std::string rmvterm = "/usr/bin/rmvterm";
  unsigned mkvterm_timeout = 30;
  unsigned backend_timeout = 10;  // after login: the backend's RFB handshake
  unsigned max_session_time = 0;  // seconds of relay; 0 = unlimited
  unsigned max_sessions = 1000;
  // Admission of unauthenticated connections (daemon/admission.h).
  unsigned max_handshakes = 256;
  unsigned max_handshakes_per_source = 16;  // per IPv4 address or IPv6 /64
  unsigned handshake_buffer_mib = 32;       // all handshakes' buffers together
  unsigned listen_backlog = 4096;           // capped by net.core.somaxconn
  std::string state_dir;        // tokens, runtime consoles, opened vterms; empty = not kept
  std::string public_host;      // host name put into minted links; empty = this host's name
  LoginThrottleSettings guess;  // guess-* keys: password-guessing limits
  // [control] (the API is served only when the section exists)
  bool control = false;
  std::string control_socket = "/run/vncgate/control.sock";
  std::string control_group;
  std::optional<HostPort> control_listen;
  std::optional<HostPort> control_health_listen;  // GET /v1/health in plain HTTP
  std::string control_cert, control_key, control_ca, control_users_file;
  // [sasl]
  std::string sasl_app_name = "vncgate";
  unsigned min_ssf = 56;
  std::string realm;         // user realm handed to Cyrus (DIGEST-MD5, sasldb); empty = host name
  std::string keytab;        // Kerberos keytab for GSSAPI (vnc/<host>@REALM)
  bool strip_realm = false;  // "alice@REALM" → "alice" for [sasl] realm
  std::string replay_cache;  // KRB5RCACHENAME value; empty = Kerberos default
  double auth_failure_delay = 1.0;
  unsigned sasl_max_field = 64 * 1024;             // largest SASL token a client may send
  unsigned sasl_workers = default_sasl_workers();  // SASL step threads; 0 = on the main loop
  // [tls]
  TlsSettings tls;
  std::vector<uint32_t> tls_subtypes;  // VeNCrypt subtypes offered, in order
  bool offer_plain_sasl = true;        // type 20 (SSF layer) beside VeNCrypt
  bool tls_wrap = false;               // TLS from byte 0 on the gateway port
  bool tls_configured() const;
  const std::vector<uint32_t> &subtypes_for(const std::string &console) const;
  // [cluster] (clustered only when the section exists)
  std::optional<ClusterConfig> cluster;
  // [web] (the browser front, daemon/web/: served only when the section exists)
  bool web = false;
  std::vector<HostPort> web_listen;
  std::string web_cert, web_key;                 // required unless every listen address is loopback
  std::vector<std::string> web_allowed_origins;  // empty: the page's own origin only
  std::string novnc_dir = "/usr/share/novnc";
  // [console:NAME]
  std::map<std::string, ConsoleConfig> consoles;
};

// Parses key-file text; `origin` names the file in messages.
bool parse_config(const std::string &text, const std::string &origin, Config &out,
                  std::string &error);
bool load_config(const std::string &path, Config &out, std::string &error);

// The (section, key) pairs the parser accepts, in its own order; console
// sections appear as "console:NAME". For the documentation check
// (vncgated --list-config-keys).
std::vector<std::pair<std::string, std::string>> config_accepted_keys();

// Reads a backend VNC password file: the first line, at most 8 bytes used.
bool read_password_file(const std::string &path, std::string &out, std::string &error);

}  // namespace vncgate
