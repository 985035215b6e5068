// The browser front ([web], docs/web.md): a libsoup 3 server on its own
// listener that serves
//   GET /console/NAME          our page (data/web/, compiled in), which runs
//   GET /novnc/...             noVNC from the system (novnc-dir) against
//   GET /ws/console/NAME       a WebSocket carrying binary RFB.
// The WebSocket upgrade is refused (403) unless Origin is the page's own
// origin or in allowed-origins (cross-site WebSocket hijacking), and (503)
// when every place for a browser that has not yet sent its first message is
// taken. The first message (text, bounded in size and time) is the web
// link's token; then a WebBridge hands the WebSocket to an ordinary Session
// (daemon/session.h), whose Transport runs over it (websocket_channel.h).
// libsoup's WebSocket runs over a BulkIOStream (bulk_io_stream.h).
#pragma once

#include <libsoup/soup.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config.h"
#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"
#include "session.h"

namespace vncgate {

class ControlListener;
class WebBridge;

// What the web front asks of the daemon.
class WebHost {
 public:
  virtual ~WebHost() = default;
  virtual bool web_console_known(const std::string &name) const = 0;
  // A browser sent its first message: run a session over peer.channel.
  virtual void start_web_session(GSocketAddress *remote, const std::string &console,
                                 WebPeer peer) = 0;
};

struct WebSettings {
  std::vector<HostPort> listen;
  std::string cert, key;
  std::vector<std::string> allowed_origins;
  std::string novnc_dir;
  unsigned max_pending = 256;         // upgraded, first message not read yet
  size_t max_connections = 512;       // open connections on each listen address
  unsigned first_message_ms = 10000;  // the bound on that wait
};

class WebServer {
 public:
  static std::unique_ptr<WebServer> start(WebHost &host, WebSettings s, std::string &error);
  ~WebServer();
  WebServer(const WebServer &) = delete;
  WebServer &operator=(const WebServer &) = delete;

  // The bound ports, in the order of `listen` (a port 0 is resolved).
  const std::vector<uint16_t> &ports() const { return ports_; }
  size_t pending() const;
  // Serves one connection accepted elsewhere with the same handlers (the
  // fuzz target feeds it from memory). False with `error` when libsoup
  // refuses it.
  bool serve(GIOStream *connection, GSocketAddress *local, GSocketAddress *remote,
             std::string &error);

 private:
  struct Private {
    explicit Private() = default;
  };

 public:
  WebServer(Private, WebHost &host, WebSettings s);

 private:
  static void on_http(SoupServer *, SoupServerMessage *msg, const char *path, GHashTable *,
                      gpointer self);
  static void on_upgrade_request(SoupServer *, SoupServerMessage *msg, const char *path,
                                 GHashTable *, gpointer self);
  static void on_switched(SoupServerMessage *msg, gpointer server);
  bool listen(std::string &error);
  GObjectPtr<GSocket> bind(GInetAddress *ia, uint16_t &port, std::string &error);
  void add_listener(GSocket *sock, const std::string &name);
  static GIOStream *guard(GIOStream *stream, GSocketAddress *remote);
  bool origin_allowed(SoupServerMessage *msg) const;
  void serve_page(SoupServerMessage *msg, const std::string &console);
  void serve_resource(SoupServerMessage *msg, const char *resource, const char *type);
  void serve_novnc(SoupServerMessage *msg, const std::string &relative);
  void bridge_done(uint64_t id);

  WebHost &host_;
  WebSettings settings_;
  GObjectPtr<SoupServer> server_;
  GObjectPtr<GTlsCertificate> cert_;  // null: plain HTTP (loopback only)
  std::vector<std::unique_ptr<ControlListener>> listeners_;
  std::vector<uint16_t> ports_;
  std::map<uint64_t, std::unique_ptr<WebBridge>> bridges_;
  std::vector<std::unique_ptr<WebBridge>> ended_;
  MainLoopTimer reap_;
  uint64_t next_id_ = 1;
};

}  // namespace vncgate
