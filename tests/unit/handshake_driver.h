// Drives an RfbClientHandshake over a scripted backend byte stream, the way
// the relay feeds socket reads: chunks of a given size, feed() called again
// after every step that consumed bytes. TLS is treated as a pass-through
// (the bytes after start_tls stand for the decrypted stream).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>

#include "rfb/rfb_client.h"

namespace vncgate::test {

struct HandshakeOutcome {
  ParseStatus status = ParseStatus::NeedMore;
  Bytes sent;           // everything the gateway replied to the backend
  size_t leftover = 0;  // bytes received but not consumed by the handshake
  int start_tls = 0;    // steps that asked for the TLS handshake
  size_t tls_at = 0;    // stream offset where TLS starts
};

inline HandshakeOutcome run_handshake(RfbClientHandshake &h, const Bytes &server, size_t chunk) {
  HandshakeOutcome o;
  Bytes buf;
  size_t pos = 0, used = 0;
  for (;;) {
    for (;;) {
      auto step = h.feed(buf);
      EXPECT_LE(step.consumed, buf.size());
      o.sent.insert(o.sent.end(), step.reply.begin(), step.reply.end());
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(step.consumed));
      used += step.consumed;
      if (step.start_tls) {
        ++o.start_tls;
        o.tls_at = used;
      }
      o.status = step.status;
      if (step.status != ParseStatus::NeedMore || step.consumed == 0) break;
    }
    if (o.status != ParseStatus::NeedMore || pos >= server.size()) break;
    size_t n = std::min(chunk, server.size() - pos);
    buf.insert(buf.end(), server.begin() + static_cast<std::ptrdiff_t>(pos),
               server.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  }
  o.leftover = buf.size() + (server.size() - pos);
  return o;
}

inline constexpr size_t kHandshakeChunks[] = {1, 2, 3, 5, 7, 13, 1 << 20};

}  // namespace vncgate::test
