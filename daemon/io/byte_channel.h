// Where a Transport's wire bytes come from and go to: a socket
// (SocketChannel, below) or, for a browser, its WebSocket
// (web/websocket_channel.h). The calls have the meaning of a non-blocking
// socket's, so the Transport above treats both alike:
//   receive: > 0 bytes; 0 the peer ended the stream; -1 with errno
//            (EAGAIN: nothing now).
//   send:    > 0 bytes taken; -1 with errno (EAGAIN: full now).
//   set_events: the conditions (G_IO_IN, G_IO_OUT) the owner waits for;
//            `ready` is called with what is ready, level-triggered, and with
//            G_IO_HUP / G_IO_ERR whether asked for or not.
// cancel() stops calling back for good; close() also ends the stream.
#pragma once

#include <gio/gio.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>

#include "io/fd_watch.h"
#include "io/gobject_ptr.h"

namespace vncgate {

class ByteChannel {
 public:
  using Ready = std::function<void(GIOCondition)>;
  virtual ~ByteChannel() = default;
  // Set once, by the Transport that owns the channel, before any events.
  virtual void set_ready(Ready ready) = 0;
  virtual ssize_t receive(uint8_t *buf, size_t len) = 0;
  virtual ssize_t send(const uint8_t *data, size_t len) = 0;
  virtual void set_events(GIOCondition events) = 0;
  virtual void cancel() = 0;
  virtual void close() = 0;
};

// A connected socket: non-blocking, TCP_NODELAY where it applies, watched
// by one FdWatch. Holds a reference on the connection.
class SocketChannel final : public ByteChannel {
 public:
  explicit SocketChannel(GSocketConnection *conn);
  void set_ready(Ready ready) override { ready_ = std::move(ready); }
  ssize_t receive(uint8_t *buf, size_t len) override;
  ssize_t send(const uint8_t *data, size_t len) override;
  void set_events(GIOCondition events) override { watch_.set_events(events); }
  void cancel() override { watch_.cancel(); }
  void close() override;

 private:
  GObjectPtr<GSocketConnection> conn_;
  int fd_;
  Ready ready_;
  FdWatch watch_;
};

}  // namespace vncgate
