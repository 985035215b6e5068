#include "single_instance.h"

#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#ifdef _WIN32
#define NOMINMAX
#define WIN32_LEAN_AND_MEAN
#include <windows.h>
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <cerrno>
#include <cstring>

#include "link/viewer_instance.h"

namespace vncgate::viewer {

namespace {

constexpr size_t kMaxCommand = 64;

// One accepted client: reads a line (at most kMaxCommand bytes, 2 s).
struct Client {
  GSocketConnection *conn;
  GCancellable *cancel;
  std::function<void()> on_raise;
  char buf[kMaxCommand];
  std::string line;
  guint timer = 0;

  ~Client() {
    if (timer) g_source_remove(timer);
    g_object_unref(cancel);
    g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
    g_object_unref(conn);
  }
};

void read_more(Client *c);

void on_client_read(GObject *src, GAsyncResult *res, gpointer data) {
  auto *c = static_cast<Client *>(data);
  gssize n = g_input_stream_read_finish(G_INPUT_STREAM(src), res, nullptr);
  if (n <= 0) {
    delete c;
    return;
  }
  c->line.append(c->buf, static_cast<size_t>(n));
  const size_t nl = c->line.find('\n');
  if (nl == std::string::npos) {
    if (c->line.size() >= kMaxCommand)
      delete c;
    else
      read_more(c);
    return;
  }
  if (c->line.substr(0, nl + 1) == vncgate::kViewerRaiseCommand) {
    GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(c->conn));
    g_output_stream_write_all(out, "ok\n", 3, nullptr, nullptr, nullptr);
    if (c->on_raise) c->on_raise();
  }
  delete c;
}

void read_more(Client *c) {
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(c->conn));
  g_input_stream_read_async(in, c->buf, kMaxCommand - c->line.size(), G_PRIORITY_DEFAULT, c->cancel,
                            on_client_read, c);
}

}  // namespace

bool prepare_runtime_dir(const std::string &dir, std::string &detail) {
  if (g_mkdir_with_parents(dir.c_str(), 0700) != 0) {
    detail = dir + ": " + std::strerror(errno);
    return false;
  }
#ifdef _WIN32
  // %LOCALAPPDATA%\vncgate: the profile's ACL keeps other users out; there
  // are no owner or mode bits to check.
  if (!g_file_test(dir.c_str(), G_FILE_TEST_IS_DIR) ||
      g_file_test(dir.c_str(), G_FILE_TEST_IS_SYMLINK)) {
    detail = dir + " is not a directory";
    return false;
  }
  return true;
#else
  struct stat st;
  if (lstat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || st.st_uid != getuid() ||
      (st.st_mode & 077) != 0) {
    detail = dir + " is not a private directory of this user";
    return false;
  }
  return true;
#endif
}

bool send_raise(const std::string &path) {
  GSocketClient *client = g_socket_client_new();
  g_socket_client_set_timeout(client, 2);
  GSocketAddress *addr = g_unix_socket_address_new(path.c_str());
  GSocketConnection *conn =
      g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), nullptr, nullptr);
  g_object_unref(addr);
  g_object_unref(client);
  if (!conn) return false;
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  const std::string cmd = vncgate::kViewerRaiseCommand;
  bool ok = g_output_stream_write_all(out, cmd.data(), cmd.size(), nullptr, nullptr, nullptr);
  if (ok) {  // wait (bounded by the socket timeout) for the answer
    char reply[8];
    GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
    g_input_stream_read(in, reply, sizeof reply, nullptr, nullptr);
  }
  g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
  g_object_unref(conn);
  return ok;
}

SingleInstance::~SingleInstance() {
  if (service_) {
    g_socket_service_stop(service_);
    g_socket_listener_close(G_SOCKET_LISTENER(service_));
    g_object_unref(service_);
  }
  if (own_path_) g_unlink(path_.c_str());
}

bool SingleInstance::listen(std::string &detail, bool &in_use) {
  in_use = false;
  GSocketService *service = g_socket_service_new();
  GSocketAddress *addr = g_unix_socket_address_new(path_.c_str());
  GError *err = nullptr;
#ifndef _WIN32
  const mode_t old_mask = umask(077);
#endif
  const bool ok =
      g_socket_listener_add_address(G_SOCKET_LISTENER(service), addr, G_SOCKET_TYPE_STREAM,
                                    G_SOCKET_PROTOCOL_DEFAULT, nullptr, nullptr, &err);
#ifndef _WIN32
  umask(old_mask);
#endif
  g_object_unref(addr);
  if (!ok) {
    in_use = g_error_matches(err, G_IO_ERROR, G_IO_ERROR_ADDRESS_IN_USE);
    detail = err->message;
    g_error_free(err);
    g_object_unref(service);
    return false;
  }
  g_signal_connect(service, "incoming", G_CALLBACK(on_incoming), this);
  g_socket_service_start(service);
  service_ = service;
  own_path_ = true;
  return true;
}

SingleInstance::Claim SingleInstance::claim(const ConsoleLink &link, std::string &detail) {
  if (!prepare_runtime_dir(viewer_runtime_dir(), detail)) return Claim::Unavailable;
  path_ = viewer_socket_path(link);
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (send_raise(path_)) return Claim::OtherRaised;
      // Nobody answers: a socket file left by a viewer that died is stale.
#ifdef _WIN32
    // (An AF_UNIX socket file is a reparse point; anything else is not ours.)
    if (g_file_test(path_.c_str(), G_FILE_TEST_EXISTS)) {
      gunichar2 *wide = g_utf8_to_utf16(path_.c_str(), -1, nullptr, nullptr, nullptr);
      const DWORD attrs = wide ? GetFileAttributesW(reinterpret_cast<const wchar_t *>(wide))
                               : INVALID_FILE_ATTRIBUTES;
      g_free(wide);
      if (attrs == INVALID_FILE_ATTRIBUTES || !(attrs & FILE_ATTRIBUTE_REPARSE_POINT) ||
          (attrs & FILE_ATTRIBUTE_DIRECTORY)) {
        detail = path_ + " exists and is not a socket";
        return Claim::Unavailable;
      }
      g_unlink(path_.c_str());
    }
#else
    struct stat st;
    if (lstat(path_.c_str(), &st) == 0) {
      if (!S_ISSOCK(st.st_mode)) {
        detail = path_ + " exists and is not a socket";
        return Claim::Unavailable;
      }
      g_unlink(path_.c_str());
    }
#endif
    bool in_use = false;
    if (listen(detail, in_use)) return Claim::Owner;
    if (!in_use) return Claim::Unavailable;
    // Lost a race with another viewer starting now: raise that one.
  }
  return Claim::Unavailable;
}

gboolean SingleInstance::on_incoming(GSocketService *, GSocketConnection *conn, GObject *,
                                     gpointer self) {
  auto *me = static_cast<SingleInstance *>(self);
  auto *c = new Client{
      G_SOCKET_CONNECTION(g_object_ref(conn)), g_cancellable_new(), me->on_raise_, {}, {}, 0};
  c->timer = g_timeout_add_seconds(
      2,
      [](gpointer data) -> gboolean {
        auto *client = static_cast<Client *>(data);
        client->timer = 0;
        g_cancellable_cancel(client->cancel);
        return G_SOURCE_REMOVE;
      },
      c);
  read_more(c);
  return TRUE;
}

}  // namespace vncgate::viewer
