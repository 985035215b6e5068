#include "viewer_instance_files.h"

#include <sys/stat.h>
#include <unistd.h>

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QLocalSocket>
#include <cerrno>

#include "link/viewer_instance.h"

namespace vncgate::launcher {

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

}  // namespace vncgate::launcher
