// The control API a web UI backend calls (HTTP + JSON, libsoup 3 in the
// daemon's main loop): mint console links, list and end sessions, revoke
// tokens, add and remove consoles, health and Prometheus metrics.
// Listens on a Unix socket (trusted by its file mode and group) and
// optionally on TCP with TLS, where callers authenticate with HTTP Basic
// against a crypt(3) users file or with a client certificate.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "control/control_listener.h"
#include "control/token_store.h"
#include "control/users_file.h"
#include "login_limits.h"

namespace vncgate {

struct SessionInfo {
  uint64_t id;
  std::string client, console, user, mechanism, state, token_id;
  int64_t started_at;  // unix seconds
  uint64_t bytes_to_client, bytes_from_client;
};

struct ConsoleInfo {
  std::string name, kind, state;  // kind: mkvterm|static; state: closed|opening|open|closing
  size_t sessions;
  int64_t idle_deadline;  // unix seconds, 0 when none
  bool runtime;           // added through the API
};

class ControlHost {
 public:
  virtual ~ControlHost() = default;
  virtual std::shared_ptr<const Config> config() const = 0;
  virtual TokenStore &tokens() = 0;
  // Saves the tokens; false when they could not be saved (logged).
  virtual bool tokens_changed() = 0;
  virtual std::vector<SessionInfo> session_list() const = 0;
  virtual bool end_session(uint64_t id, const std::string &reason) = 0;
  virtual size_t end_token_sessions(const std::string &token_id, const std::string &reason) = 0;
  virtual std::vector<ConsoleInfo> console_list() const = 0;
  // 200/201 on success, else an HTTP status with `error`.
  virtual int put_console(const ConsoleConfig &c, std::string &error) = 0;
  virtual int delete_console(const std::string &name, std::string &error) = 0;
  virtual std::string metrics_text() const = 0;
  // Password-guessing limits (Basic auth, GET/DELETE /v1/lockouts).
  virtual LoginLimits &login_limits() = 0;
};

struct ControlSettings {
  std::string socket_path;
  std::string socket_group;
  std::optional<HostPort> listen;
  std::string cert, key, ca;
  std::string users_file;
  std::string public_host;
  uint16_t public_port = 5901;
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
  ControlServer(ControlHost &host, ControlSettings s) : host_(host), settings_(std::move(s)) {}
  static void on_request(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                         gpointer data);
  static void on_request_started(SoupServer *, SoupServerMessage *msg, gpointer data);
  void on_got_headers(SoupServerMessage *msg);
  void on_got_chunk(SoupServerMessage *msg);
  // Answers with `status` on the connection taken from libsoup and closes it.
  void refuse_early(SoupServerMessage *msg, unsigned status, const char *error,
                    const char *extra_headers = "");
  // The same with a JSON body already made (and its own headers).
  void send_early(SoupServerMessage *msg, unsigned status, const std::string &body,
                  const std::string &extra_headers);
  void handle(SoupServerMessage *msg, const std::string &method, const std::string &path);
  bool authorized(SoupServerMessage *msg);
  bool client_cert_ok(GTlsCertificate *cert) const;
  // control_limits.cpp: Basic auth under the password-guessing limits (a
  // refusal for the limits is answered here, 429); GET/DELETE /v1/lockouts.
  bool basic_auth_ok(SoupServerMessage *msg, const std::string &user, const std::string &password);
  void handle_lockouts(SoupServerMessage *msg, const std::string &method, const std::string &path);

  ControlHost &host_;
  ControlSettings settings_;
  SoupServer *server_ = nullptr;
  GTlsDatabase *client_ca_ = nullptr;  // verifies client certificates ([control] ca=)
  GTlsCertificate *cert_ = nullptr;    // of the TCP listener ([control] cert=, key=)
  std::vector<std::unique_ptr<ControlListener>> listeners_;
};

}  // namespace vncgate
