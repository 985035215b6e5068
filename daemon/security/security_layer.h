// What the relay needs from a client-side security layer (the SASL SSF
// layer or a TLS record layer): turn plaintext into wire bytes and back.
// Both work on memory only; the relay owns the sockets.
#pragma once

#include <cstddef>
#include <cstdint>

#include "rfb/parse.h"

namespace vncgate {

class SecurityLayer {
 public:
  virtual ~SecurityLayer() = default;
  // Largest plaintext chunk encode() accepts at once.
  virtual size_t max_encode_chunk() const = 0;
  // Appends the wire form of `len` plaintext bytes to `out`.
  virtual bool encode(const uint8_t *in, size_t len, Bytes &out) = 0;
  // Appends whatever plaintext the raw bytes complete (possibly none).
  virtual bool decode(const uint8_t *in, size_t len, Bytes &out) = 0;
  // Wire bytes the layer wants sent on its own (e.g. a TLS key update
  // answered while decoding). Appended to `out`.
  virtual void take_output(Bytes &out) { (void)out; }
};

}  // namespace vncgate
