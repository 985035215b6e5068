#include "viewer_process.h"

#ifdef _WIN32
#include <windows.h>

#include <QDir>

#include "windows_command_line.h"  // launcher/windows
#else
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>
#endif

#include <QDateTime>
#include <QFile>
#include <cerrno>
#include <cstring>
#include <vector>

#include "i18n.h"

#ifndef _WIN32
extern char **environ;
#endif

namespace vncgate::launcher {
namespace {

#ifndef _WIN32

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
#endif

constexpr int kPollMs = 50;
constexpr int kMaxLineChars = 300;

}  // namespace

ViewerProcess::ViewerProcess(QObject *parent) : QObject(parent) {
  poll_timer_.setInterval(kPollMs);
  connect(&poll_timer_, &QTimer::timeout, this, &ViewerProcess::poll);
}

#ifdef _WIN32
ViewerProcess::~ViewerProcess() {  // never kills the viewer: it outlives us
  if (process_) CloseHandle(process_);
}

// The viewer's vector as one command line that its runtime splits back into
// exactly that vector (and a link that parses, last); no shell. Output goes
// to the log file; the viewer is a GUI program, so no console appears.
bool ViewerProcess::start(const QString &program, const QStringList &arguments,
                          const QString &log_path, QString *error) {
  const std::wstring exe = QDir::toNativeSeparators(program).toStdWString();
  std::vector<std::wstring> args;
  for (const QString &a : arguments) args.push_back(a.toStdWString());
  const windows::ViewerCommandLine cmd = windows::viewer_command_line(exe, args);
  if (!cmd.command_line) {
    if (error) *error = translated(cmd.error.c_str());
    return false;
  }
  SECURITY_ATTRIBUTES inherit{sizeof inherit, nullptr, TRUE};
  HANDLE log = INVALID_HANDLE_VALUE;
  if (!log_path.isEmpty())
    log = CreateFileW(QDir::toNativeSeparators(log_path).toStdWString().c_str(), GENERIC_WRITE,
                      FILE_SHARE_READ, &inherit, CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, nullptr);
  STARTUPINFOW si{};
  si.cb = sizeof si;
  if (log != INVALID_HANDLE_VALUE) {
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdOutput = log;
    si.hStdError = log;
  }
  PROCESS_INFORMATION pi{};
  std::wstring line = *cmd.command_line;  // CreateProcessW may write into it
  const BOOL ok = CreateProcessW(exe.c_str(), line.data(), nullptr, nullptr,
                                 log != INVALID_HANDLE_VALUE, CREATE_NEW_PROCESS_GROUP, nullptr,
                                 nullptr, &si, &pi);
  const DWORD why = GetLastError();
  if (log != INVALID_HANDLE_VALUE) CloseHandle(log);
  if (!ok) {
    if (error) *error = qt_error_string(int(why));
    return false;
  }
  CloseHandle(pi.hThread);
  process_ = pi.hProcess;
  pid_ = pid_t(pi.dwProcessId);
  return true;
}
#else
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
#endif

void ViewerProcess::watch(int grace_ms) {
  deadline_ms_ = QDateTime::currentMSecsSinceEpoch() + grace_ms;
  poll_timer_.start();
  poll();
}

#ifdef _WIN32
// exited() carries the exit code as waitpid() would (code << 8).
void ViewerProcess::poll() {
  if (!process_) return;
  if (WaitForSingleObject(process_, 0) == WAIT_OBJECT_0) {
    DWORD code = 1;
    GetExitCodeProcess(process_, &code);
    CloseHandle(process_);
    process_ = nullptr;
    poll_timer_.stop();
    pid_ = -1;
    Q_EMIT exited(int((code & 0xff) << 8));
    return;
  }
  if (QDateTime::currentMSecsSinceEpoch() >= deadline_ms_) {
    poll_timer_.stop();
    Q_EMIT gracePassed();
  }
}
#else
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

#endif

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
