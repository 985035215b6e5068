// Moves bytes both ways between an authenticated client and its backend
// after both handshakes, unparsed: a pump between two Transports, each with
// its own security layer when it has one (client: SASL SSF layer or TLS;
// backend: TLS). On the plain path a relayed byte is never copied in user
// space (the source's input() is a view of the receive buffer, written
// straight on); a side keeps an output buffer only while its peer is slow,
// and a side is not read while the other side's pending output is above
// Transport::kHighWater (until it falls below kLowWater).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "io/transport.h"

namespace vncgate {

class Relay {
 public:
  using End = std::function<void(const std::string &reason)>;

  // Takes both connections with their layers installed; what each side sent
  // during its handshake and nobody consumed is relayed first, and wire
  // bytes already written to a side go out before anything relayed.
  // `on_end` runs once, with the reason ("client closed", ...); it must not
  // destroy the relay synchronously.
  Relay(std::unique_ptr<Transport> client, std::unique_ptr<Transport> backend, End on_end);
  ~Relay();
  Relay(const Relay &) = delete;
  Relay &operator=(const Relay &) = delete;

  void start();
  // Stops relaying and closes both connections (no on_end).
  void stop();

  uint64_t bytes_to_client() const { return to_client_; }
  uint64_t bytes_from_client() const { return from_client_; }

 private:
  void pump(Transport &src, Transport &dst, uint64_t &counter);
  void end(const std::string &reason);

  std::unique_ptr<Transport> client_, backend_;
  End on_end_;
  bool ended_ = false;
  uint64_t to_client_ = 0, from_client_ = 0;
};

}  // namespace vncgate
