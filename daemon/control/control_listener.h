// The control API's and the web front's own accept loop: accepts on a
// Unix socket or a TCP port, does the TLS handshake, and hands each
// connection (through `wrap`, when set: the web front's request guard) to
// SoupServer
// (soup_server_accept_iostream). libsoup 3.2's listener is not used because
// its accept callback drops the listening source on the first failed
// accept(): one EMFILE and the control API stops accepting for good. Here
// an EMFILE/ENFILE pauses accepting with a backoff (one warning a second at
// most) and accepting resumes by itself; each listener holds at most
// max_connections connections, idle ones time out, and every descriptor
// is closed by its owner (see ControlServer for the libsoup 3.2 keep-alive
// leak this works around).
#pragma once

#include <gio/gio.h>
#include <libsoup/soup.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "io/gobject_ptr.h"
#include "io/main_loop_timer.h"

namespace vncgate {

// An attached GSource, destroyed (and unreferenced) with its owner.
struct SourceDestroy {
  void operator()(GSource *s) const {
    g_source_destroy(s);
    g_source_unref(s);
  }
};
using OwnedSource = std::unique_ptr<GSource, SourceDestroy>;

// What differs between the listeners of the control API and the web front.
struct ListenerOptions {
  size_t max_connections = 128;
  // Given the accepted (TLS) stream, returns the stream libsoup gets (a new
  // reference); unset: the stream itself.
  std::function<GIOStream *(GIOStream *stream, GSocketAddress *remote)> wrap;
};

class ControlListener {
 public:
  static constexpr unsigned kIdleTimeoutSeconds = 30;

  struct Tls {
    GTlsCertificate *cert = nullptr;  // borrowed; null: plain HTTP (the Unix socket)
    GTlsDatabase *ca = nullptr;       // borrowed; client certificates are requested when set
    std::function<bool(GTlsCertificate *)> accept_client;
  };

  // Takes a reference on the bound and listening `socket`. `name` starts
  // its log lines ("control /run/vncgated/control", "web 0.0.0.0:8443").
  ControlListener(SoupServer *server, GSocket *socket, Tls tls, std::string name,
                  ListenerOptions options = {});
  ~ControlListener();
  ControlListener(const ControlListener &) = delete;
  ControlListener &operator=(const ControlListener &) = delete;

  size_t connections();  // still open (for tests through the log)

 private:
  struct Handshake;
  static void finish_handshake(GObject *source, GAsyncResult *res, gpointer data);
  static gboolean on_readable(GSocket *, GIOCondition, gpointer self);
  void watch();
  void pause(unsigned ms);
  void accept_some();
  void serve(GSocket *client);
  void prune();
  void hand_over(GIOStream *stream, GSocketAddress *local, GSocketAddress *remote);

  SoupServer *server_;
  GObjectPtr<GSocket> socket_;
  Tls tls_;
  std::string name_;
  ListenerOptions options_;
  OwnedSource source_;  // the listening socket's; none while paused
  MainLoopTimer resume_;
  unsigned backoff_ms_ = 0;
  int64_t last_warning_us_ = 0;
  unsigned suppressed_ = 0;
  GObjectPtr<GCancellable> cancel_;           // pending TLS handshakes
  std::vector<GObjectPtr<GSocket>> clients_;  // closed ones are pruned
  std::set<Handshake *> handshakes_;          // owned by their pending handshake_async
};

// The client certificate that the TLS handshake of `msg`'s connection
// verified (null on the Unix socket and without one); borrowed.
GTlsCertificate *control_peer_certificate(SoupServerMessage *msg);

// The accepted socket under `msg`'s connection; borrowed.
GSocket *control_socket(SoupServerMessage *msg);

// Writes `response` (a complete HTTP response) to a connection taken from
// libsoup (`stream` and a reference on `socket` under it, both owned from
// now on), then closes it
// after a bounded lingering close, so the client reads the answer even
// while it is still sending a body.
void refuse_and_close(GIOStream *stream, GSocket *socket, std::string response);

}  // namespace vncgate
