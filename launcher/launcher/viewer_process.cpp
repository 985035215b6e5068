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
#include <optional>
#include <string_view>
#include <vector>

#include "i18n.h"
#include "link/viewer_report.h"

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
                          const QByteArray &input, const QString &log_path, QString *error) {
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
  // The link: an anonymous pipe filled now (it fits the pipe's buffer) and
  // closed, whose read end becomes the viewer's standard input; only that
  // end is inheritable. Never on the command line, which other users of a
  // terminal server can read.
  HANDLE in_read = nullptr;
  if (!input.isEmpty()) {
    HANDLE in_write = nullptr;
    if (!CreatePipe(&in_read, &in_write, &inherit, DWORD(input.size()) + 4096)) {
      const DWORD pipe_error = GetLastError();
      if (log != INVALID_HANDLE_VALUE) CloseHandle(log);
      if (error) *error = qt_error_string(int(pipe_error));
      return false;
    }
    SetHandleInformation(in_write, HANDLE_FLAG_INHERIT, 0);
    DWORD written = 0;
    const BOOL wrote =
        WriteFile(in_write, input.constData(), DWORD(input.size()), &written, nullptr);
    CloseHandle(in_write);
    if (!wrote || written != DWORD(input.size())) {
      CloseHandle(in_read);
      if (log != INVALID_HANDLE_VALUE) CloseHandle(log);
      if (error) *error = _("could not hand the link to the viewer");
      return false;
    }
  }
  STARTUPINFOW si{};
  si.cb = sizeof si;
  const bool std_handles = log != INVALID_HANDLE_VALUE || in_read != nullptr;
  if (std_handles) {
    si.dwFlags = STARTF_USESTDHANDLES;
    si.hStdInput = in_read;
    si.hStdOutput = log != INVALID_HANDLE_VALUE ? log : nullptr;
    si.hStdError = log != INVALID_HANDLE_VALUE ? log : nullptr;
  }
  PROCESS_INFORMATION pi{};
  std::wstring line = *cmd.command_line;  // CreateProcessW may write into it
  const BOOL ok = CreateProcessW(exe.c_str(), line.data(), nullptr, nullptr, std_handles,
                                 CREATE_NEW_PROCESS_GROUP, nullptr, nullptr, &si, &pi);
  const DWORD why = GetLastError();
  if (log != INVALID_HANDLE_VALUE) CloseHandle(log);
  if (in_read) CloseHandle(in_read);
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
                          const QByteArray &input, const QString &log_path, QString *error) {
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
  // The link goes through a pipe: written whole now (far below the pipe's
  // capacity, so this cannot block) and closed, so the viewer reads it and
  // then end of file. Both ends are close-on-exec; dup2 gives the child
  // its own stdin without that flag.
  Fd in_read;
  if (!input.isEmpty()) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      if (error) *error = QString::fromLocal8Bit(strerror(errno));
      return false;
    }
    in_read.fd = fds[0];
    Fd in_write{fds[1]};
    if (input.size() > 4096 ||
        ::write(in_write.fd, input.constData(), size_t(input.size())) != ssize_t(input.size())) {
      if (error) *error = _("could not hand the link to the viewer");
      return false;
    }
  }
  SpawnActions actions;
  if (in_read.fd >= 0)
    posix_spawn_file_actions_adddup2(&actions.fa, in_read.fd, 0);
  else
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

void ViewerProcess::watch(int grace_ms, const QString &report_log) {
  deadline_ms_ = QDateTime::currentMSecsSinceEpoch() + grace_ms;
  report_log_ = report_log;
  report_offset_ = 0;
  report_pending_.clear();
  poll_timer_.start();
  poll();
}

// Reads what the viewer added to its log since the last poll and looks for
// its report line. Checked before the exit status, so a viewer that
// reported its failure and then ended is described by its own sentence.
bool ViewerProcess::poll_report() {
  if (report_log_.isEmpty()) return false;
  QFile f(report_log_);
  if (!f.open(QIODevice::ReadOnly)) return false;
  constexpr qint64 kChunk = 64 * 1024;
  if (f.size() < report_offset_) report_offset_ = 0;  // truncated: a new viewer's log
  if (!f.seek(report_offset_)) return false;
  const QByteArray more = f.read(kChunk);
  report_offset_ += more.size();
  report_pending_ += more;
  size_t consumed = 0;
  const std::optional<ViewerReport> report = find_viewer_report(
      std::string_view(report_pending_.constData(), size_t(report_pending_.size())), consumed);
  report_pending_.remove(0, qsizetype(consumed));
  if (report_pending_.size() > kChunk) report_pending_.clear();  // no line end in sight
  if (!report) return false;
  poll_timer_.stop();
  if (report->state == ViewerReport::State::Connected)
    Q_EMIT connectedReported();
  else
    Q_EMIT failedReported(QString::fromStdString(report->reason));
  return true;
}

#ifdef _WIN32
// exited() carries the exit code as waitpid() would (code << 8).
void ViewerProcess::poll() {
  if (!process_) return;
  if (poll_report()) return;
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
  if (poll_report()) return;
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
