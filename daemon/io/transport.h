// One non-blocking stream connection in the main loop: its channel (a
// socket, or a browser's WebSocket: io/byte_channel.h), a plaintext input
// buffer, a wire output buffer and an optional
// security layer that can be installed in place (TLS after the VeNCrypt
// subtype or on a TLS-wrapped port; the SASL SSF layer once SASL is done).
// The client handshake, the backend connection and both sides of the relay
// all move bytes through it.
//
//   input:  channel ─recv─► [layer decode] ─► input() ─consume(n)─► reader
//   output: write(plain) ─► [layer encode] ─┬─► send ─► channel
//           write_raw(wire) ────────────────┘   (what send() left: pending)
//
// Reading. Reading starts paused: set the handler, then resume_reading().
// Whenever new plaintext arrives, handler.input() runs; it looks at input()
// (everything received and not yet consumed, earlier leftovers first) and
// consume()s what it used. What it leaves is kept and offered again, with
// more bytes, next time: a parser that needs more simply consumes nothing.
// On the plain path (no layer, nothing left over) input() is a view of the
// receive scratch buffer: nothing is copied unless the reader leaves bytes.
// set_input_limit(n): more than n unconsumed plaintext bytes fail the
// transport (TransportError::InputLimit); set_input_budget() is asked before
// the input buffer grows (with what both buffers would then hold) and may
// refuse (TransportError::Budget). input() is valid until the next call on
// the transport.
//
// Upgrades. Bytes that arrived before an upgrade but were not consumed are
// wire bytes of the new layer: install_layer() decodes them through it, and
// start_tls() feeds them to the TLS handshake. Consume the last message of
// the old protocol (e.g. the VeNCrypt subtype, the last SASL step) before
// upgrading, and write its reply first: output is ordered, and bytes
// written before the upgrade go out as they were written. Upgrading from
// inside handler.input() is fine; the new plaintext is delivered when it
// returns. unread() puts plaintext back in front of input() (bytes another
// reader took before it handed the socket over).
//
// Back-pressure. pending() is the wire output not yet taken by the kernel.
// Once it rises above kHighWater, handler.drained() runs when it falls
// below kLowWater again; a pump pauses its source in between.
//
// Ending. EOF, a socket error, a layer error or a limit fail the transport
// once: it stops watching and handler.failed() runs with a TransportError.
// write() returns false when the transport has failed (already reported).
// A failure while no handler.failed is set is reported by the next
// resume_reading().
// close_after_flush() stops reading and runs `flushed` once the output is
// written (at once when none is pending). close() closes the socket now and
// frees the buffers.
//
// Ownership rules (the daemon's, written here once):
//  - GObjects are held by GObjectPtr members (io/gobject_ptr.h) or
//    g_autoptr locals; nothing is handed over raw with "the callee owns it":
//    owners pass std::unique_ptr<Transport> or GObjectPtr.
//  - Main-loop sources (timeouts, idle calls) are MainLoopTimer members;
//    descriptor watches are FdWatch members. Destroying the owner removes
//    them, so no callback outlives the object it was armed for.
//  - Async GIO calls get a GCancellable owned by the caller; the callback
//    checks G_IO_ERROR_CANCELLED before touching its `data`.
//  - No naked new, no context struct cast through gpointer.
//  - Callbacks (here: the handler) must not destroy their caller
//    synchronously; owners are reaped from the main loop.
#pragma once

#include <gio/gio.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "io/byte_channel.h"
#include "rfb/parse.h"

namespace vncgate {

class SecurityLayer;
class TlsSession;

struct TransportError {
  enum class Kind {
    Eof,          // the peer closed
    Reset,        // ECONNRESET / EPIPE: how a peer usually closes mid-stream
    Io,           // another socket error (errno in `err`)
    LayerDecode,  // the security layer refused what the peer sent
    LayerEncode,  // the security layer could not encode our output
    InputLimit,   // more unconsumed input than set_input_limit() allows
    Budget,       // set_input_budget() refused to let the input buffer grow
  };
  Kind kind = Kind::Eof;
  int err = 0;  // errno for Reset / Io
  // For logs and the audit, e.g. "client closed", "client closed
  // (connection reset)", "backend connection error: ...", "protocol error:
  // client security layer decode failed".
  std::string describe(const std::string &side) const;
};

class Transport {
 public:
  static constexpr size_t kHighWater = 1024 * 1024;
  static constexpr size_t kLowWater = 256 * 1024;

  struct Handler {
    std::function<void()> input = nullptr;                         // new plaintext in input()
    std::function<void(const TransportError &)> failed = nullptr;  // once; see Ending
    std::function<void()> drained = nullptr;                       // optional; see Back-pressure
  };

  // Takes a reference on `conn`; makes the socket non-blocking with
  // TCP_NODELAY. Reading is paused and nothing is watched until a handler
  // asks for it.
  explicit Transport(GSocketConnection *conn);
  // Over another channel (a browser's WebSocket), the same way.
  explicit Transport(std::unique_ptr<ByteChannel> channel);
  ~Transport();
  Transport(const Transport &) = delete;
  Transport &operator=(const Transport &) = delete;

  // Replaces the handler (the backend connection hands the transport over);
  // called from a handler, it takes effect when that call returns.
  void set_handler(Handler handler);

  // --- reading ---
  ByteSpan input() const;
  void consume(size_t n);
  void unread(ByteSpan plain);
  // Offers the unconsumed input again (and what unread() or an upgrade
  // added) before watching the socket again; from inside handler.input()
  // the offer is made when that call returns.
  void resume_reading();
  void pause_reading();
  bool reading() const { return reading_; }
  void set_input_limit(size_t max_unconsumed);  // 0: none (the default)
  // Asked with the capacity both buffers will hold once the input grows.
  void set_input_budget(std::function<bool(size_t new_capacity)> grow);

  // --- writing ---
  bool write(ByteSpan plain);
  bool write_raw(ByteSpan wire);  // bypasses the layer (handshake bytes)
  // write() during start_tls() is refused (false): nothing to encode with yet.
  size_t pending() const { return out_.size() - out_off_; }

  // --- security layer ---
  // Owned, or borrowed (then it must outlive this transport). One layer at
  // a time: SASL inside TLS negotiates none.
  void install_layer(std::unique_ptr<SecurityLayer> layer);
  void install_layer(SecurityLayer &borrowed);
  // Runs the TLS handshake on this connection. `done(true, "")` once it is
  // up (the session is then this transport's layer: layer() returns it),
  // `done(false, error)` when it failed (the alert is already queued: the
  // caller usually close_after_flush()es). May run before start_tls returns.
  using TlsDone = std::function<void(bool ok, const std::string &error)>;
  void start_tls(std::unique_ptr<TlsSession> tls, TlsDone done);
  SecurityLayer *layer() const { return layer_; }
  bool tls_handshaking() const { return handshake_ != nullptr; }

  // --- ending ---
  void close_after_flush(std::function<void()> flushed);
  void close();
  bool failed() const { return failed_; }
  bool closed() const { return closed_; }

  // Bytes held by the input and output buffers (capacity), for budgets.
  size_t buffered_capacity() const { return in_.capacity() + out_.capacity(); }
  // Gives back a large input buffer once everything in it was consumed
  // (done after every delivery; an owner declaring a budget calls it first).
  void release_idle_buffers();

 private:
  void on_event(GIOCondition cond);
  void read_some();
  bool take_wire(const uint8_t *wire, size_t len);  // decode or keep; false: failed
  bool feed_handshake(const uint8_t *wire, size_t len);
  void deliver();
  bool stash_view();
  bool reserve_input(size_t need);
  bool send_or_queue(const uint8_t *data, size_t len);
  bool flush();
  void upgrade_buffered();
  void check_input_limit();
  void install(SecurityLayer *layer);
  size_t unconsumed() const { return view_ ? view_len_ : in_.size() - in_off_; }
  void update_events();
  void fail(TransportError e);
  void after_call();

  std::unique_ptr<ByteChannel> channel_;
  Handler handler_;
  std::optional<Handler> next_handler_;  // set_handler() from inside a handler call
  int calling_ = 0;                      // handler calls running
  // Plaintext input: in_[in_off_..] unconsumed; while handler.input() runs
  // on the plain path, view_ points into the receive scratch buffer instead.
  Bytes in_;
  size_t in_off_ = 0;
  const uint8_t *view_ = nullptr;
  size_t view_len_ = 0;
  Bytes out_;  // wire bytes not yet sent: out_[out_off_..]
  size_t out_off_ = 0;
  std::unique_ptr<SecurityLayer> owned_layer_;
  SecurityLayer *layer_ = nullptr;
  std::unique_ptr<TlsSession> handshake_;
  TlsDone tls_done_;
  std::function<bool(size_t)> budget_;
  std::function<void()> flushed_;
  size_t input_limit_ = 0;
  bool reading_ = false;
  bool in_input_ = false;  // handler.input() is running
  bool fresh_ = false;     // plaintext arrived that the reader has not seen
  bool above_high_ = false;
  std::optional<TransportError> unreported_;  // failed while no handler was set
  bool failed_ = false;
  bool closed_ = false;
};

}  // namespace vncgate
