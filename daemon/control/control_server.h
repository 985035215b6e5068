// The control API a web UI backend calls (HTTP + JSON, libsoup 3 in the
// daemon's main loop): mint console links, list and end sessions, revoke
// tokens, add and remove consoles, health and Prometheus metrics.
// Listens on a Unix socket (trusted by its file mode and group) and
// optionally on TCP with TLS, where callers authenticate with HTTP Basic
// against a crypt(3) users file or with a client certificate. A third,
// optional listener ([control] health-listen) serves GET /v1/health alone,
// in plain HTTP and without credentials, for a load balancer's check.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "control/control_api.h"
#include "control/control_host.h"
#include "control/control_listener.h"
#include "control/token_store.h"
#include "control/users_file.h"
#include "io/gobject_ptr.h"
#include "login_limits.h"

namespace vncgate {

struct ControlSettings {
  std::string socket_path;
  std::string socket_group;
  std::optional<HostPort> listen;
  std::optional<HostPort> health_listen;  // plain HTTP, GET /v1/health only
  std::string cert, key, ca;
  std::string users_file;
  std::string public_host;
  uint16_t public_port = 5901;
  uint16_t web_port = 0;  // [web]'s first port; 0: no web links
  bool web_tls = true;    // false: a loopback web front without cert=
  bool operator==(const ControlSettings &) const = default;
};

// 429 Too Many Requests (RFC 6585), which libsoup 3.2 does not name.
inline constexpr unsigned kHttpTooManyRequests = 429;

class ControlServer {
 public:
  static std::unique_ptr<ControlServer> start(ControlHost &host, const ControlSettings &s,
                                              std::string &error);
  ~ControlServer();
  ControlServer(const ControlServer &) = delete;
  ControlServer &operator=(const ControlServer &) = delete;

  const ControlSettings &settings() const { return settings_; }

 private:
  struct Private {
    explicit Private() = default;
  };

 public:
  ControlServer(Private, ControlHost &host, ControlSettings s);  // through start()

 private:
  static void on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                         gpointer data);
  static void on_request_started(SoupServer *, SoupServerMessage *msg, gpointer data);
  bool load_credentials(std::string &error);
  bool listen_unix(std::string &error);
  bool listen_tcp(std::string &error);
  bool listen_health(std::string &error);
  // A bound, listening TCP socket; null with `error` ("WHAT ADDRESS: why").
  static GObjectPtr<GSocket> listen_inet(const HostPort &where, const char *what,
                                         std::string &error);
  void on_got_headers(SoupServerMessage *msg);
  void on_got_chunk(SoupServerMessage *msg);
  // Answers with `status` on the connection taken from libsoup and closes it.
  void refuse_early(SoupServerMessage *msg, unsigned status, const char *error,
                    const char *extra_headers = "");
  // The same with a JSON body already made (and its own headers).
  void send_early(SoupServerMessage *msg, unsigned status, const std::string &body,
                  const std::string &extra_headers);
  static bool is_health_request(SoupServerMessage *msg);
  bool on_health_listener(SoupServerMessage *msg) const;
  bool authorized(SoupServerMessage *msg);
  bool client_cert_ok(GTlsCertificate *cert) const;
  // control_limits.cpp: Basic auth under the password-guessing limits (a
  // refusal for the limits is answered here, 429).
  bool basic_auth_ok(SoupServerMessage *msg, const std::string &user, const std::string &password);

  ControlHost &host_;
  ControlSettings settings_;
  ControlApi api_;
  GObjectPtr<SoupServer> server_;
  GObjectPtr<GTlsDatabase> client_ca_;  // verifies client certificates ([control] ca=)
  GObjectPtr<GTlsCertificate> cert_;    // of the TCP listener ([control] cert=, key=)
  std::vector<std::unique_ptr<ControlListener>> listeners_;
};

}  // namespace vncgate
