// Opens the viewer's own TCP connection to a gateway (or a plain VNC
// server), sends the CONNECT preamble for console links, and reads the
// gateway's answer with a size cap and a deadline, byte by byte so the RFB
// bytes that follow stay in the socket for gtk-vnc. Asynchronous: the
// window keeps drawing while a console is being opened (mkvterm may take
// a while).
#pragma once

#include <gio/gio.h>

#include <functional>
#include <string>

#include "exit_status.h"
#include "link/console_link.h"
#include "rfb/http_connect.h"

namespace vncgate::viewer {

struct GatewayResult {
  int fd = -1;  // connected socket ready for RFB (caller owns it), or -1
  Outcome failure = Outcome::ConnectFailed;  // when fd < 0
  std::string message;                       // user sentence when fd < 0
  std::string detail;                        // technical detail (for stderr), may be empty
  int http_status = 0;
};

inline constexpr unsigned kTcpConnectTimeoutSeconds = 15;
// A current gateway answers CONNECT at once (it opens the console after the
// login); older ones answered only after mkvterm ran on the host.
inline constexpr unsigned kConnectAnswerTimeoutSeconds = 45;

// One connection attempt. Deletes itself after calling `done` (or when
// cancelled, without calling it); the pointer is not to be used after
// either.
class GatewayJob {
 public:
  using Done = std::function<void(GatewayResult)>;
  // `hint` goes into the CONNECT request (connect_response.h).
  static GatewayJob *start(const ConsoleLink &link, bool with_token, AuthHint hint, Done done);
  void cancel();

 private:
  GatewayJob(const ConsoleLink &link, bool with_token, AuthHint hint, Done done);
  ~GatewayJob();
  void arm_timer(unsigned seconds);
  void finish(GatewayResult r);
  void fail(Outcome o, std::string message, std::string detail);
  void read_next();
  static void on_connected(GObject *src, GAsyncResult *res, gpointer self);
  static void on_written(GObject *src, GAsyncResult *res, gpointer self);
  static void on_read(GObject *src, GAsyncResult *res, gpointer self);
  static gboolean on_timeout(gpointer self);

  ConsoleLink link_;
  bool with_token_;
  AuthHint hint_;
  Done done_;
  GCancellable *cancellable_;
  GSocketConnection *conn_ = nullptr;
  std::string request_;
  std::string received_;
  char byte_ = 0;
  guint timer_ = 0;
  bool timed_out_ = false;
  bool cancelled_ = false;
};

}  // namespace vncgate::viewer
