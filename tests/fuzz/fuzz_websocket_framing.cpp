// What a browser sends after the upgrade, fed to libsoup's server-side
// WebSocket over a BulkIOStream with the web front's settings (message
// limit, no extensions), as the daemon runs it. The framing is libsoup's;
// this target covers the stream in between and the limits the bridge sets.
// Besides memory safety: no message beyond the limit is delivered, nothing
// is delivered that the input did not carry, and once the input ends the
// connection is no longer open after a bounded number of main-loop rounds.
#include <gio/gio.h>
#include <libsoup/soup.h>

#include <cstdint>
#include <cstring>

#include "fuzz_check.h"
#include "io/bulk_io_stream.h"
#include "web/web_bridge.h"

namespace {

struct Seen {
  size_t messages = 0;
  size_t payload = 0;
};

void on_message(SoupWebsocketConnection *, gint, GBytes *message, gpointer data) {
  auto *seen = static_cast<Seen *>(data);
  const size_t size = g_bytes_get_size(message);
  FUZZ_CHECK(size <= vncgate::WebBridge::kMaxMessage);
  ++seen->messages;
  seen->payload += size;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  // Its own context, so nothing outlives one input.
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  {
    g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data(
        g_memdup2(data, size), static_cast<gssize>(size), g_free);
    g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
    g_autoptr(GIOStream) base = g_simple_io_stream_new(in, out);
    g_autoptr(GIOStream) bulk = vncgate::bulk_io_stream_new(base);
    g_autoptr(GUri) uri = g_uri_parse("wss://127.0.0.1/ws/console/fuzz", G_URI_FLAGS_NONE, nullptr);
    g_autoptr(SoupWebsocketConnection) ws = soup_websocket_connection_new(
        bulk, uri, SOUP_WEBSOCKET_CONNECTION_SERVER, "https://127.0.0.1", nullptr, nullptr);
    soup_websocket_connection_set_max_incoming_payload_size(ws, vncgate::WebBridge::kMaxMessage);
    soup_websocket_connection_set_keepalive_interval(ws, 0);
    Seen seen;
    g_signal_connect(ws, "message", G_CALLBACK(on_message), &seen);
    // A memory stream is always readable: the whole input is taken in the
    // first rounds, then EOF closes the connection (asynchronously).
    for (int round = 0; round < 1000; ++round) {
      if (soup_websocket_connection_get_state(ws) == SOUP_WEBSOCKET_STATE_CLOSED) break;
      g_main_context_iteration(ctx, TRUE);
    }
    FUZZ_CHECK(soup_websocket_connection_get_state(ws) != SOUP_WEBSOCKET_STATE_OPEN);
    FUZZ_CHECK(seen.payload <= size);
    g_signal_handlers_disconnect_by_data(ws, &seen);
  }
  // Whatever the close left pending (its completion) runs before the
  // context goes.
  while (g_main_context_iteration(ctx, FALSE)) {
  }
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return 0;
}
