// One browser connection to the web front, from its first byte: an HTTP
// request (a page, a noVNC file, a WebSocket upgrade with its Origin) and,
// after an upgrade, frames; fed from memory to a WebServer with the
// daemon's handlers and a host that knows the console "fuzz" and drops
// every session it is handed (as admission refusing it would). The HTTP
// parser and the framing are libsoup's; this covers what vncgated does
// around them. Besides memory safety: nothing outside novnc-dir is ever
// served, and the connection is let go within a bounded time once its
// input ends.
#include <gio/gio.h>
#include <glib/gstdio.h>

#include <cstdint>
#include <cstring>
#include <string>

#include "fuzz_check.h"
#include "web/web_server.h"

using namespace vncgate;

namespace {

constexpr const char *kSecret = "vncgate-fuzz-secret-outside-novnc";

class DroppingHost : public WebHost {
 public:
  bool web_console_known(const std::string &name) const override { return name == "fuzz"; }
  void start_web_session(GSocketAddress *, const std::string &, WebPeer) override {}
};

// novnc-dir with one file, and beside it a file that must never be served.
const std::string &novnc_dir() {
  static const std::string dir = [] {
    g_autofree gchar *root = g_dir_make_tmp("vncgate-fuzz-web-XXXXXX", nullptr);
    const std::string novnc = std::string(root) + "/novnc";
    g_mkdir_with_parents((novnc + "/core").c_str(), 0700);
    g_file_set_contents((novnc + "/core/rfb.js").c_str(), "export default 1;\n", -1, nullptr);
    g_file_set_contents((std::string(root) + "/secret.js").c_str(), kSecret, -1, nullptr);
    g_file_set_contents((novnc + "/.hidden.js").c_str(), kSecret, -1, nullptr);
    return novnc;
  }();
  return dir;
}

void on_finalized(gpointer done, GObject *) {
  *static_cast<bool *>(done) = true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  DroppingHost host;
  WebSettings settings;
  settings.novnc_dir = novnc_dir();
  settings.first_message_ms = 50;
  std::string error;
  auto server = WebServer::start(host, settings, error);
  FUZZ_CHECK(server);
  g_autoptr(GOutputStream) out = g_memory_output_stream_new_resizable();
  bool released = false;
  {
    g_autoptr(GInputStream) in = g_memory_input_stream_new_from_data(
        g_memdup2(data, size), static_cast<gssize>(size), g_free);
    g_autoptr(GIOStream) conn = g_simple_io_stream_new(in, out);
    g_object_weak_ref(G_OBJECT(conn), on_finalized, &released);
    g_autoptr(GInetAddress) lo = g_inet_address_new_loopback(G_SOCKET_FAMILY_IPV4);
    g_autoptr(GSocketAddress) local = g_inet_socket_address_new(lo, 8443);
    g_autoptr(GSocketAddress) remote = g_inet_socket_address_new(lo, 40000);
    FUZZ_CHECK(server->serve(conn, local, remote, error));
  }
  // The input ends at once (a memory stream): libsoup answers and lets the
  // connection go, a WebSocket closes, a bridge is reaped.
  bool late = false;
  GSource *bound = g_timeout_source_new(2000);
  g_source_set_callback(
      bound, [](gpointer flag) { return *static_cast<bool *>(flag) = true, G_SOURCE_REMOVE; },
      &late, nullptr);
  g_source_attach(bound, ctx);
  while (!released && !late) g_main_context_iteration(ctx, TRUE);
  g_source_destroy(bound);
  g_source_unref(bound);
  FUZZ_CHECK(released);

  gsize written = g_memory_output_stream_get_data_size(G_MEMORY_OUTPUT_STREAM(out));
  const auto *reply =
      static_cast<const char *>(g_memory_output_stream_get_data(G_MEMORY_OUTPUT_STREAM(out)));
  FUZZ_CHECK(!reply || !memmem(reply, written, kSecret, std::strlen(kSecret)));

  server.reset();
  while (g_main_context_iteration(ctx, FALSE)) {
  }
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return 0;
}
