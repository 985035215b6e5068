// Moves bytes both ways between an authenticated client and its backend
// after both handshakes, unparsed, through the client side's SASL security
// layer when one was negotiated. Reads go straight into a shared scratch
// buffer; a side keeps an output buffer only while the peer is slow, and a
// side is not read while its peer's pending output is above kHighWater.
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

  // `layer` (may be null) encodes toward and decodes from the client.
  // `from_client` and `from_backend` are bytes already read in the handshake.
  Relay(int client_fd, int backend_fd, SecurityLayer *layer, End on_end);
  ~Relay();
  Relay(const Relay &) = delete;
  Relay &operator=(const Relay &) = delete;

  // Bytes to write to the client before anything else, unencoded (the tail
  // of the handshake). Call before start().
  void queue_raw_to_client(const Bytes &raw);
  // Feeds early bytes and starts watching both sides.
  // `client_plain`: `from_client` is already plaintext (TLS decoded it).
  void start(const Bytes &from_client, bool client_plain, const Bytes &from_backend);

  // Stops relaying (the owner closes the sockets).
  void stop() { end_quietly(); }

  uint64_t bytes_to_client() const { return to_client_; }
  uint64_t bytes_from_client() const { return from_client_; }

 private:
  struct Side {
    int fd = -1;
    std::unique_ptr<FdWatch> watch;
    Bytes pending;  // bytes waiting to be written to this side
    size_t pending_off = 0;
    bool read_paused = false;
    size_t pending_size() const { return pending.size() - pending_off; }
  };

  void on_event(Side &self, Side &peer, bool self_is_client, GIOCondition cond);
  bool read_from(Side &src, Side &dst, bool src_is_client);
  bool deliver(Side &dst, const uint8_t *data, size_t len);
  bool flush(Side &dst);
  void update_events(Side &s);
  void end(const std::string &reason);
  void end_quietly();

  Side client_, backend_;
  SecurityLayer *layer_;
  End on_end_;
  bool ended_ = false;
  uint64_t to_client_ = 0, from_client_ = 0;
};

}  // namespace vncgate
