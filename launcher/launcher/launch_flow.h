// Opening one console, from a checked link to "a viewer shows it":
//
//   lock console ──► viewer socket answers? ── yes ──► send "raise" ──► Raised
//                                 │ no
//                                 ▼
//              spawn viewer (options in argv, the link on its stdin,
//                            own session)
//                                 │
//     ┌──────────────┬────────────┼──────────────┬───────────────┐
//  reports       reports     exits non-zero    exits 0      grace passes
//  "failed R"   "connected"  within grace   (handed over) (viewer running)
//     ▼              ▼            ▼              ▼               ▼
//  Failed (R)     Started       Failed         Started         Started
//
// vncgate-viewer reports its state in its log (link/viewer_report.h), so
// the flow ends as soon as the console is on the screen, or with the
// viewer's own reason when it could not open it (the viewer may still
// offer "Try Again" in its window). The per-console lock is released as
// soon as the new viewer's socket appears, so a second click raises that
// viewer instead of starting another; a viewer still not listening when
// the grace passes gets up to 5 s more.
// Grace: 60 s for a viewer that reports (it may wait for the user to log
// in), 5 s for one that does not (remote-viewer); VNCGATE_LAUNCH_GRACE_MS
// overrides both (0..120000).
#pragma once

#include <QLockFile>
#include <QObject>
#include <QString>
#include <QTimer>
#include <memory>

#include "link_input.h"
#include "viewer_instance_files.h"
#include "viewer_plan.h"

namespace vncgate::launcher {

class ViewerProcess;

struct LaunchOutcome {
  enum class State { Raised, Started, Failed };
  State state = State::Failed;
  QString message;  // for the user; set for Failed, may carry a note otherwise
};

int launch_grace_ms(bool viewer_reports);

class LaunchFlow : public QObject {
  Q_OBJECT

 public:
  LaunchFlow(LinkRequest request, ViewerSettings settings, QObject *parent = nullptr);
  ~LaunchFlow() override;

  // Runs the flow; finished() is emitted exactly once, possibly before
  // start() returns.
  void start();
  const LinkRequest &request() const { return request_; }

 Q_SIGNALS:
  void finished(const vncgate::launcher::LaunchOutcome &outcome);

 private:
  void finish(LaunchOutcome::State state, const QString &message);
  void check_socket();

  LinkRequest request_;
  ViewerSettings settings_;
  InstanceFiles files_;
  LaunchPlan plan_;
  std::unique_ptr<QLockFile> lock_;
  ViewerProcess *process_ = nullptr;  // child QObject
  SocketStamp stale_socket_;          // the socket file before the viewer started
  QTimer socket_timer_;
  bool grace_passed_ = false;
  bool done_ = false;
};

}  // namespace vncgate::launcher
