// Moves bytes both ways between an authenticated client and its backend
// after both handshakes, unparsed, through each side's security layer when
// it has one (client: SASL SSF layer or TLS; backend: TLS). Reads go
// straight into a shared scratch buffer; a side keeps an output buffer only
// while its peer is slow, and a side is not read while the other side's
// pending output is above kHighWater.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/fd_watch.h"
#include "rfb/parse.h"

namespace vncgate {

class SecurityLayer;

class Relay {
 public:
  static constexpr size_t kHighWater = 1024 * 1024;
  static constexpr size_t kLowWater = 256 * 1024;

  using End = std::function<void(const std::string &reason)>;

  // Layers may be null (plain TCP on that side); they are borrowed.
  Relay(int client_fd, SecurityLayer *client_layer, int backend_fd, SecurityLayer *backend_layer,
        End on_end);
  ~Relay();
  Relay(const Relay &) = delete;
  Relay &operator=(const Relay &) = delete;

  // Wire bytes to write to the client before anything else (the tail of
  // the handshake, already encoded). Call before start().
  void queue_raw_to_client(const Bytes &raw);
  // Plaintext each side sent during its handshake, then start watching.
  void start(const Bytes &plain_from_client, const Bytes &plain_from_backend);
  // Raw client bytes read during the handshake that still need decoding.
  void feed_raw_from_client(const Bytes &raw);
  // Stops relaying (the owner closes the sockets).
  void stop() { end_quietly(); }

  uint64_t bytes_to_client() const { return to_client_; }
  uint64_t bytes_from_client() const { return from_client_; }

 private:
  struct Side {
    const char *name;
    int fd = -1;
    SecurityLayer *layer = nullptr;
    std::unique_ptr<FdWatch> watch;
    Bytes pending;  // wire bytes waiting to be written to this side
    size_t pending_off = 0;
    bool read_paused = false;
    size_t pending_size() const { return pending.size() - pending_off; }
  };

  void on_event(Side &self, Side &peer, GIOCondition cond);
  bool read_from(Side &src, Side &dst);
  bool forward(Side &src, Side &dst, const uint8_t *raw, size_t len, bool raw_is_plain);
  bool deliver(Side &dst, const uint8_t *data, size_t len);
  bool flush(Side &dst);
  void update_events(Side &s);
  void end(const std::string &reason);
  void end_quietly();

  Side client_, backend_;
  End on_end_;
  bool ended_ = false;
  uint64_t to_client_ = 0, from_client_ = 0;
};

}  // namespace vncgate
