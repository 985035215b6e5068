#include "viewer_instance_files.h"

#ifdef _WIN32
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>  // in gio-2.0 on Windows since GLib 2.72
#include <windows.h>
#else
#include <sys/stat.h>
#include <unistd.h>
#endif

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <cerrno>

#include "link/viewer_instance.h"

namespace vncgate::launcher {

#ifdef _WIN32
// %LOCALAPPDATA%\vncgate (viewer_runtime_dir): the profile's ACL already
// keeps other users out; there are no mode bits to check.
bool ensure_private_runtime_dir() {
  const QString dir = QString::fromStdString(viewer_runtime_dir());
  return QDir().mkpath(dir) && QFileInfo(dir).isDir() && !QFileInfo(dir).isSymLink();
}
#else
bool ensure_private_runtime_dir() {
  const QByteArray dir = QFile::encodeName(QString::fromStdString(viewer_runtime_dir()));
  if (::mkdir(dir.constData(), 0700) != 0 && errno != EEXIST) {
    // The parent may be missing (XDG_RUNTIME_DIR is always there; the
    // fallback under the temp dir is one level deep).
    QDir().mkpath(QFile::decodeName(dir));
    ::chmod(dir.constData(), 0700);
  }
  struct stat st {};
  return ::lstat(dir.constData(), &st) == 0 && S_ISDIR(st.st_mode) && st.st_uid == ::getuid() &&
         (st.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}
#endif

InstanceFiles InstanceFiles::for_link(const ConsoleLink &link) {
  InstanceFiles f;
  f.socket = QString::fromStdString(viewer_socket_path(link));
  if (ensure_private_runtime_dir() && f.socket.endsWith(QLatin1String(".sock"))) {
    const QString base = f.socket.chopped(5);
    f.lock = base + QStringLiteral(".lock");
    f.log = base + QStringLiteral(".log");
  }
  return f;
}

#ifdef _WIN32
// The viewer's GIO AF_UNIX socket (Windows 10 1803 and later); the same
// exchange as the viewer's own send_raise (launcher/viewer/single_instance.cpp).
RaiseResult raise_existing_viewer(const QString &socket_path, int timeout_ms) {
  if (!QFileInfo::exists(socket_path)) return RaiseResult::NoViewer;
  GSocketClient *client = g_socket_client_new();
  g_socket_client_set_timeout(client, guint((timeout_ms + 999) / 1000));
  GSocketAddress *addr = g_unix_socket_address_new(socket_path.toUtf8().constData());
  GSocketConnection *conn =
      g_socket_client_connect(client, G_SOCKET_CONNECTABLE(addr), nullptr, nullptr);
  g_object_unref(addr);
  g_object_unref(client);
  if (!conn) return RaiseResult::NoViewer;
  const char *cmd = kViewerRaiseCommand;
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  const bool sent = g_output_stream_write_all(out, cmd, qstrlen(cmd), nullptr, nullptr, nullptr);
  g_io_stream_close(G_IO_STREAM(conn), nullptr, nullptr);
  g_object_unref(conn);
  return sent ? RaiseResult::Raised : RaiseResult::NoViewer;
}

SocketStamp socket_stamp(const QString &socket_path) {
  // An AF_UNIX socket file is a reparse point: open it (no access rights
  // needed) without following it, to read its file ID.
  HANDLE h =
      CreateFileW(reinterpret_cast<const wchar_t *>(socket_path.utf16()), 0,
                  FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, nullptr, OPEN_EXISTING,
                  FILE_FLAG_OPEN_REPARSE_POINT | FILE_FLAG_BACKUP_SEMANTICS, nullptr);
  if (h == INVALID_HANDLE_VALUE) return {};
  BY_HANDLE_FILE_INFORMATION info{};
  const BOOL ok = GetFileInformationByHandle(h, &info);
  CloseHandle(h);
  if (!ok) return {};
  return SocketStamp{true, info.dwVolumeSerialNumber,
                     (std::uint64_t(info.nFileIndexHigh) << 32) | info.nFileIndexLow};
}
#else
RaiseResult raise_existing_viewer(const QString &socket_path, int timeout_ms) {
  if (!QFileInfo::exists(socket_path)) return RaiseResult::NoViewer;
  QLocalSocket socket;
  socket.connectToServer(socket_path);
  // Refused: a file left by a viewer that crashed (or one that is between
  // bind and listen: so the file is not removed here; the viewer replaces it).
  if (!socket.waitForConnected(timeout_ms)) return RaiseResult::NoViewer;
  socket.write(kViewerRaiseCommand);
  if (socket.bytesToWrite() > 0) socket.waitForBytesWritten(timeout_ms);
  const bool sent = socket.bytesToWrite() == 0;
  socket.disconnectFromServer();
  if (socket.state() != QLocalSocket::UnconnectedState) socket.waitForDisconnected(timeout_ms);
  return sent ? RaiseResult::Raised : RaiseResult::NoViewer;
}

SocketStamp socket_stamp(const QString &socket_path) {
  struct stat st {};
  if (::lstat(QFile::encodeName(socket_path).constData(), &st) != 0) return {};
  return SocketStamp{true, st.st_dev, st.st_ino};
}

#endif

}  // namespace vncgate::launcher
