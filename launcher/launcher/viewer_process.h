// Starting a viewer: an argument vector handed to posix_spawn (never a
// shell), in its own session so it outlives the launcher, with stdin from
// a pipe holding `input` (the link: secrets never go into argv) or from
// /dev/null, and stdout/stderr into a per-console log file. On Windows the
// same vector becomes one quoted command line for CreateProcessW
// (launcher/windows/windows_command_line.h) and `input` an inherited
// anonymous pipe as the child's standard input.
//
// Why not QProcess: the launcher must see a viewer that fails within the
// first seconds (exit status and last stderr line: "exit status 1" alone
// helps nobody) and then leave. QProcess::startDetached gives no exit
// status, and a QProcess child is killed when the QProcess goes away; a
// stderr pipe would break (SIGPIPE) once the launcher exits. A direct child
// writing to a file has none of these problems.
#pragma once

#include <sys/types.h>

#include <QByteArray>
#include <QObject>
#include <QString>
#include <QStringList>
#include <QTimer>

namespace vncgate::launcher {

class ViewerProcess : public QObject {
  Q_OBJECT

 public:
  explicit ViewerProcess(QObject *parent = nullptr);
  ~ViewerProcess() override;

  // Starts `program` (absolute path). log_path empty: output to /dev/null.
  // `input` (at most a few KiB: it must fit the pipe) is the child's whole
  // standard input; empty: /dev/null.
  bool start(const QString &program, const QStringList &arguments, const QByteArray &input,
             const QString &log_path, QString *error);
  pid_t pid() const { return pid_; }

  // Polls the child until it exits (exited), reports its state in
  // `report_log` (connected / failed, link/viewer_report.h; empty: not
  // read) or `grace_ms` pass (gracePassed); then stops watching: the
  // viewer lives on by itself.
  void watch(int grace_ms, const QString &report_log = {});

  // Last non-empty line of the log (control characters removed, bounded).
  static QString last_line(const QString &log_path);

 Q_SIGNALS:
  void exited(int wait_status);
  void gracePassed();
  void connectedReported();
  void failedReported(const QString &reason);

 private:
  void poll();
  bool poll_report();  // true when a report was found (and signalled)

  pid_t pid_ = -1;
#ifdef _WIN32
  void *process_ = nullptr;  // the viewer's process HANDLE while watched
#endif
  QTimer poll_timer_;
  qint64 deadline_ms_ = 0;
  QString report_log_;
  qint64 report_offset_ = 0;   // bytes of report_log_ already read
  QByteArray report_pending_;  // read, but no complete line yet
};

}  // namespace vncgate::launcher
