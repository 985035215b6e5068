// RfbClientHandshake::feed on a scripted backend byte stream delivered in
// chunks chosen by the input. Input layout:
//   byte 0: bit 0 = password configured, bits 1-4 = password length,
//           bit 5 = TLS wanted (VeNCrypt X509 toward the backend)
//   then the password, then byte k = number of chunk sizes, k chunk sizes,
//   then the stream the backend sends.
// The outcome (status, state, error, bytes sent, bytes used) must not depend
// on how the stream is split, and each step must keep the feed() contract.
// TLS is a pass-through here: bytes after start_tls stand for plaintext.
#include <optional>

#include "fuzz_check.h"
#include "rfb/rfb_client.h"

using namespace vncgate;
using State = RfbClientHandshake::State;

namespace {

struct Outcome {
  ParseStatus status = ParseStatus::NeedMore;
  State state = State::Version;
  std::string error;
  Bytes sent;
  size_t used = 0;
  int start_tls = 0;
};

Outcome run(const std::optional<std::string> &password, bool want_tls, ByteSpan stream,
            ByteSpan chunks) {
  RfbClientHandshake h(password, want_tls);
  Outcome o;
  Bytes buf;
  size_t pos = 0, next_chunk = 0;
  for (;;) {
    for (;;) {
      auto step = h.feed(buf);
      FUZZ_CHECK(step.consumed <= buf.size());
      FUZZ_CHECK(step.reply.empty() || step.consumed > 0);
      FUZZ_CHECK(step.reply.empty() || step.reply.size() == 12 || step.reply.size() == 1 ||
                 step.reply.size() == 16 ||
                 (want_tls && (step.reply.size() == 2 || step.reply.size() == 4)));
      if (step.start_tls) {
        FUZZ_CHECK(want_tls && step.consumed > 0 && o.start_tls == 0);
        ++o.start_tls;
      }
      FUZZ_CHECK(step.reply.size() != 16 || password.has_value());
      if (step.status == ParseStatus::Error) {
        FUZZ_CHECK(step.consumed == 0 && h.state() == State::Failed && !h.error().empty());
      } else if (step.status == ParseStatus::Ok) {
        FUZZ_CHECK(h.state() == State::Done);
      } else {
        FUZZ_CHECK(h.state() != State::Done && h.state() != State::Failed);
      }
      o.sent.insert(o.sent.end(), step.reply.begin(), step.reply.end());
      buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(step.consumed));
      o.used += step.consumed;
      o.status = step.status;
      if (step.status != ParseStatus::NeedMore || step.consumed == 0) break;
    }
    if (o.status != ParseStatus::NeedMore || pos >= stream.size()) break;
    size_t n = chunks.empty() ? stream.size() : 1 + chunks[next_chunk++ % chunks.size()] % 64;
    n = std::min(n, stream.size() - pos);
    buf.insert(buf.end(), stream.begin() + static_cast<std::ptrdiff_t>(pos),
               stream.begin() + static_cast<std::ptrdiff_t>(pos + n));
    pos += n;
  }
  o.state = h.state();
  o.error = h.error();
  // Final states are sticky.
  Bytes more{0, 1, 2, 3};
  if (o.status == ParseStatus::Ok) {
    auto s = h.feed(more);
    FUZZ_CHECK(s.status == ParseStatus::Ok && s.consumed == 0 && s.reply.empty());
    // With TLS wanted the handshake never completes in the clear.
    if (want_tls) {
      FUZZ_CHECK(o.start_tls == 1 && h.security_type() == kSecVeNCrypt);
    } else {
      FUZZ_CHECK(h.security_type() == kSecNone || h.security_type() == kSecVncAuth);
    }
  } else if (o.status == ParseStatus::Error) {
    auto s = h.feed(more);
    FUZZ_CHECK(s.status == ParseStatus::Error && s.consumed == 0);
  }
  return o;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  ByteSpan in(data, size);
  if (in.empty()) return 0;
  std::optional<std::string> password;
  bool want_tls = (in[0] & 0x20) != 0;
  size_t at = 1;
  if (in[0] & 1) {
    size_t len = std::min<size_t>((in[0] >> 1) & 15, in.size() - at);
    password.emplace(reinterpret_cast<const char *>(in.data() + at), len);
    at += len;
  }
  size_t nchunks = at < in.size() ? in[at++] % 8 : 0;
  nchunks = std::min(nchunks, in.size() - at);
  ByteSpan chunks = in.subspan(at, nchunks);
  ByteSpan stream = in.subspan(at + nchunks);

  Outcome whole = run(password, want_tls, stream, {});
  Outcome split = run(password, want_tls, stream, chunks);
  FUZZ_CHECK(whole.status == split.status);
  FUZZ_CHECK(whole.state == split.state);
  FUZZ_CHECK(whole.error == split.error);
  FUZZ_CHECK(whole.sent == split.sent);
  FUZZ_CHECK(whole.used == split.used);
  FUZZ_CHECK(whole.start_tls == split.start_tls);
  return 0;
}
