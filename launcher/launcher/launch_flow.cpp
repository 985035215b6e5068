#include "launch_flow.h"

#include <algorithm>

#include "i18n.h"
#include "viewer_process.h"
#include "wait_status.h"

namespace vncgate::launcher {
namespace {
constexpr int kDefaultGraceMs = 5000;
// A viewer that reports its state is waited for while it connects and the
// user logs in (the gateway answers CONNECT within 45 s at worst).
constexpr int kDefaultReportWaitMs = 60000;
constexpr int kMaxGraceMs = 120000;
constexpr int kRaiseTimeoutMs = 1000;
constexpr int kMaxSocketWaitMs = 5000;
}  // namespace

int launch_grace_ms(bool viewer_reports) {
  bool ok = false;
  int v = qEnvironmentVariableIntValue("VNCGATE_LAUNCH_GRACE_MS", &ok);
  if (!ok) return viewer_reports ? kDefaultReportWaitMs : kDefaultGraceMs;
  return std::clamp(v, 0, kMaxGraceMs);
}

LaunchFlow::LaunchFlow(LinkRequest request, ViewerSettings settings, QObject *parent)
    : QObject(parent), request_(std::move(request)), settings_(std::move(settings)) {
  socket_timer_.setInterval(50);
  connect(&socket_timer_, &QTimer::timeout, this, &LaunchFlow::check_socket);
}

LaunchFlow::~LaunchFlow() = default;

void LaunchFlow::start() {
  files_ = InstanceFiles::for_link(request_.link);
  plan_ = plan_launch(request_, settings_);
  // Without a private log file there is nowhere to read a report from.
  const bool reports = plan_.reports_state && !files_.log.isEmpty();
  const int grace = launch_grace_ms(reports);
  if (!files_.lock.isEmpty()) {
    lock_ = std::make_unique<QLockFile>(files_.lock);
    lock_->setStaleLockTime(0);  // stale = its owner is gone (pid check only)
    // Another launcher is starting this console's viewer: wait for it.
    // (As long as that one may hold the lock: grace plus the socket wait.)
    if (!lock_->tryLock(grace + kMaxSocketWaitMs + kRaiseTimeoutMs)) lock_.reset();
  }
  if (plan_.kind == ViewerKind::Vncgate &&
      raise_existing_viewer(files_.socket, kRaiseTimeoutMs) == RaiseResult::Raised) {
    finish(LaunchOutcome::State::Raised, plan_.note);
    return;
  }
  if (plan_.program.isEmpty()) {
    finish(LaunchOutcome::State::Failed,
           plan_.kind == ViewerKind::RemoteViewer
               ? _("remote-viewer is not installed.")
               : _("vncgate-viewer is not installed (or VNCGATE_VIEWER names no program)."));
    return;
  }
  stale_socket_ = socket_stamp(files_.socket);
  process_ = new ViewerProcess(this);
  QString error;
  if (!process_->start(plan_.program, plan_.arguments, plan_.input, files_.log, &error)) {
    finish(LaunchOutcome::State::Failed,
           _("Could not start the viewer %1: %2").arg(plan_.program, error));
    return;
  }
  connect(process_, &ViewerProcess::exited, this, [this](int status) {
    if (viewer_exited(status) && viewer_exit_code(status) == 0)
      finish(LaunchOutcome::State::Started, plan_.note);
    else
      finish(LaunchOutcome::State::Failed,
             describe_viewer_exit(status, ViewerProcess::last_line(files_.log)));
  });
  // The viewer's own word: on the screen now, or failed and why.
  connect(process_, &ViewerProcess::connectedReported, this,
          [this] { finish(LaunchOutcome::State::Started, plan_.note); });
  connect(process_, &ViewerProcess::failedReported, this, [this](const QString &reason) {
    finish(LaunchOutcome::State::Failed,
           _("The viewer could not open the console.") + QLatin1Char('\n') +
               (reason.isEmpty() ? _("It printed no message.") : reason));
  });
  connect(process_, &ViewerProcess::gracePassed, this, [this] {
    grace_passed_ = true;
    if (!lock_) {
      finish(LaunchOutcome::State::Started, plan_.note);
      return;
    }
    // Running, but not listening yet: hold the lock a little longer so a
    // second click raises this viewer instead of starting another one.
    QTimer::singleShot(kMaxSocketWaitMs, this,
                       [this] { finish(LaunchOutcome::State::Started, plan_.note); });
  });
  if (lock_) socket_timer_.start();
  process_->watch(grace, reports ? files_.log : QString());
}

void LaunchFlow::check_socket() {
  // The new viewer listens: later launchers can raise it, let them in.
  const SocketStamp now = socket_stamp(files_.socket);
  if (now.exists && now != stale_socket_) {
    socket_timer_.stop();
    lock_.reset();
    if (grace_passed_) finish(LaunchOutcome::State::Started, plan_.note);
  }
}

void LaunchFlow::finish(LaunchOutcome::State state, const QString &message) {
  if (done_) return;
  done_ = true;
  socket_timer_.stop();
  lock_.reset();
  Q_EMIT finished(LaunchOutcome{state, message});
}

}  // namespace vncgate::launcher
