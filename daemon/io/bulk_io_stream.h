// The browser's connection as libsoup's WebSocket code should see it: the
// same bytes, moved in bulk.
//
// SoupWebsocketConnection (libsoup 3.2) writes once per main-loop wake-up
// and reads 1 KiB at a time. Over TLS one write is one 16 KiB record and
// one read a locked trip through glib-networking, so a console's update of
// a few hundred KB costs dozens of main-loop rounds. This stream sits
// between libsoup and the accepted (TLS) connection, from the first byte
// (guarded, below) to the WebSocket's last:
//  - a non-blocking write goes on until the socket would block (a whole
//    frame in one wake-up, as many records as the kernel takes);
//  - a non-blocking read takes up to 64 KiB from the connection at once and
//    serves libsoup's small reads from that buffer.
// Framing, masking, limits and the closing handshake stay libsoup's.
//
// Guarded (bulk_io_stream_new_guarded, for a connection before libsoup's
// HTTP server sees it): the input first collects the request head and
// checks it (io/request_head.h); a refused head gets a 400 and the end of
// the stream, an accepted one is handed on alone. After it, the stream
// ends (one request per connection: a second head would reach libsoup
// unchecked) unless the head asked for an upgrade and the answer written
// was 101, when the WebSocket's bytes flow on.
// Closing closes the wrapped stream (asynchronously on the main loop, as
// libsoup asks for it).
#pragma once

#include <gio/gio.h>

#include <functional>
#include <string>

#include "io/request_head.h"

namespace vncgate {

// Returns a new reference; takes its own reference on `base`, whose input
// and output streams must be pollable (libsoup's are).
GIOStream *bulk_io_stream_new(GIOStream *base);
// `refused` is told why when a head is refused (for the log). With
// BodyRule::WellFormed (the control API) the body and the rest follow the
// head (its answers close the connection).
GIOStream *bulk_io_stream_new_guarded(GIOStream *base, BodyRule rule,
                                      std::function<void(const std::string &why)> refused);

// Told when a non-blocking write leaves the connection full (true: libsoup
// now holds bytes the socket did not take) and when a later write gets all
// it was given out again (false): the web session's back-pressure. One
// observer; fn == nullptr removes it. False when `stream` is not a
// BulkIOStream.
using BulkBlockedFn = void (*)(bool blocked, void *data);
bool bulk_io_stream_set_blocked_observer(GIOStream *stream, BulkBlockedFn fn, void *data);

}  // namespace vncgate
