// The control API's endpoints as a route table: one handler per method and
// path pattern. A request reaches it authorized (control_server.cpp); each
// handler reads its arguments, asks the ControlHost, and maps the typed
// answer to an HTTP status and a JSON reply (json_reply.h).
//
//   GET    /metrics                      Prometheus text
//   GET    /v1/health                    200 "ok", or 503 "draining" (a load balancer's
//                                        check reads the node as down); no credentials
//                                        needed: control_server.cpp
//   PUT    /v1/drain                     drain: new clients refused, sessions continue
//   DELETE /v1/drain                     accept new clients again
//   GET    /v1/consoles
//   PUT    /v1/consoles/{console}        body: control/console_json.h
//   DELETE /v1/consoles/{console}
//   POST   /v1/consoles/{console}/links  body: {"user", "ttl", "one_time", "kind"}
//   GET    /v1/sessions
//   DELETE /v1/sessions/{id}
//   DELETE /v1/tokens/{id}
//   GET    /v1/lockouts                  (control_limits.cpp)
//   DELETE /v1/lockouts/{key...}         key percent-encoded (a /64 has a '/')
//
// A path that matches a pattern with another method is answered 405, one
// that matches none 404; a {console} that is not a valid name, 400.
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <string>
#include <vector>

#include "control/control_host.h"

namespace vncgate {

// Where web links point: [web]'s port (0: the web front is off, no web
// links) and whether it speaks TLS.
struct WebFront {
  uint16_t port = 0;
  bool tls = true;
};

class ControlApi {
 public:
  // Minted links name `public_host`:`public_port` (the gateway's address).
  ControlApi(ControlHost &host, std::string public_host, uint16_t public_port, WebFront web = {})
      : host_(host), public_host_(std::move(public_host)), public_port_(public_port), web_(web) {}

  // `anonymous`: a request allowed without credentials (GET /v1/health).
  void handle(SoupServerMessage *msg, const std::string &method, const std::string &path,
              bool anonymous = false);

 private:
  struct Request {
    SoupServerMessage *msg;
    std::vector<std::string> args;  // the pattern's {captures}, in order
    bool anonymous = false;
  };
  using Handler = void (ControlApi::*)(const Request &);
  struct Route {
    const char *method;
    const char *pattern;  // "/v1/consoles/{console}"; "{key...}" takes the rest of the path
    Handler handler;
  };
  static const Route kRoutes[];

  void get_metrics(const Request &r);
  void get_health(const Request &r);
  void put_drain(const Request &r);
  void delete_drain(const Request &r);
  void respond_drain(const Request &r);
  void get_consoles(const Request &r);
  void put_console(const Request &r);
  void delete_console(const Request &r);
  void post_link(const Request &r);
  void get_sessions(const Request &r);
  void delete_session(const Request &r);
  void delete_token(const Request &r);
  void get_lockouts(const Request &r);    // control_limits.cpp
  void delete_lockout(const Request &r);  // control_limits.cpp

  ControlHost &host_;
  std::string public_host_;
  uint16_t public_port_;
  WebFront web_;
};

}  // namespace vncgate
