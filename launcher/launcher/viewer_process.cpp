#include "viewer_process.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <QDateTime>
#include <QFile>
#include <cerrno>
#include <cstring>
#include <vector>

#include "i18n.h"

extern char **environ;

namespace vncgate::launcher {
namespace {

// RAII for the posix_spawn helper objects.
struct SpawnActions {
  posix_spawn_file_actions_t fa;
  SpawnActions() { posix_spawn_file_actions_init(&fa); }
  ~SpawnActions() { posix_spawn_file_actions_destroy(&fa); }
  SpawnActions(const SpawnActions &) = delete;
  SpawnActions &operator=(const SpawnActions &) = delete;
};
struct SpawnAttr {
  posix_spawnattr_t attr;
  SpawnAttr() { posix_spawnattr_init(&attr); }
  ~SpawnAttr() { posix_spawnattr_destroy(&attr); }
  SpawnAttr(const SpawnAttr &) = delete;
  SpawnAttr &operator=(const SpawnAttr &) = delete;
};
struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

constexpr int kPollMs = 50;
constexpr int kMaxLineChars = 300;

}  // namespace

ViewerProcess::ViewerProcess(QObject *parent) : QObject(parent) {
  poll_timer_.setInterval(kPollMs);
  connect(&poll_timer_, &QTimer::timeout, this, &ViewerProcess::poll);
}

ViewerProcess::~ViewerProcess() = default;  // never kills the viewer: it outlives us

bool ViewerProcess::start(const QString &program, const QStringList &arguments,
                          const QString &log_path, QString *error) {
  const QByteArray prog = QFile::encodeName(program);
  std::vector<QByteArray> storage;
  storage.reserve(size_t(arguments.size()) + 1);
  storage.push_back(prog);
  for (const QString &a : arguments) storage.push_back(a.toLocal8Bit());
  std::vector<char *> argv;
  for (QByteArray &s : storage) argv.push_back(s.data());
  argv.push_back(nullptr);

  Fd log;
  if (!log_path.isEmpty())
    log.fd = ::open(QFile::encodeName(log_path).constData(),
                    O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  SpawnActions actions;
  posix_spawn_file_actions_addopen(&actions.fa, 0, "/dev/null", O_RDONLY, 0);
  if (log.fd >= 0) {
    posix_spawn_file_actions_adddup2(&actions.fa, log.fd, 1);
    posix_spawn_file_actions_adddup2(&actions.fa, log.fd, 2);
  } else {
    posix_spawn_file_actions_addopen(&actions.fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_adddup2(&actions.fa, 1, 2);
  }
  SpawnAttr attr;
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  posix_spawnattr_setsigmask(&attr.attr, &none);
  posix_spawnattr_setsigdefault(&attr.attr, &all);
  posix_spawnattr_setflags(&attr.attr,
                           POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  pid_t pid = -1;
  int rc = posix_spawn(&pid, prog.constData(), &actions.fa, &attr.attr, argv.data(), environ);
  if (rc != 0) {
    if (error) *error = QString::fromLocal8Bit(strerror(rc));
    return false;
  }
  pid_ = pid;
  return true;
}

void ViewerProcess::watch(int grace_ms) {
  deadline_ms_ = QDateTime::currentMSecsSinceEpoch() + grace_ms;
  poll_timer_.start();
  poll();
}

void ViewerProcess::poll() {
  if (pid_ <= 0) return;
  int status = 0;
  pid_t r = ::waitpid(pid_, &status, WNOHANG);
  if (r == pid_) {
    poll_timer_.stop();
    pid_ = -1;
    Q_EMIT exited(status);
    return;
  }
  if (r < 0 && errno != EINTR) {  // someone else reaped it: nothing more to learn
    poll_timer_.stop();
    Q_EMIT gracePassed();
    return;
  }
  if (QDateTime::currentMSecsSinceEpoch() >= deadline_ms_) {
    poll_timer_.stop();
    Q_EMIT gracePassed();
  }
}

QString ViewerProcess::last_line(const QString &log_path) {
  QFile f(log_path);
  if (log_path.isEmpty() || !f.open(QIODevice::ReadOnly)) return {};
  constexpr qint64 kTail = 4096;
  if (f.size() > kTail) f.seek(f.size() - kTail);
  const QList<QByteArray> lines = f.read(kTail).split('\n');
  for (auto it = lines.crbegin(); it != lines.crend(); ++it) {
    QString line = QString::fromUtf8(*it).trimmed();
    if (line.isEmpty()) continue;
    QString clean;
    for (QChar c : line) clean += (c.category() == QChar::Other_Control) ? QChar(u' ') : c;
    if (clean.size() > kMaxLineChars) clean = clean.left(kMaxLineChars) + QChar(0x2026);
    return clean;
  }
  return {};
}

}  // namespace vncgate::launcher
