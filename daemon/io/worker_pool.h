// A bounded pool of threads for blocking work (SASL steps: PBKDF2, GSSAPI
// accept, sasldb or saslauthd lookups) whose result goes back to the main
// loop.
//
//   submit(work, done) ─▶ queued ─▶ work() on a pool thread ─▶ done() on the
//        │                   │                  │               submitter's
//        ▼                   ▼                  ▼               main context
//     Ticket          Ticket destroyed:  Ticket destroyed:
//                     work skipped,      work finishes,
//                     done never runs    done never runs
//
// At most `threads` jobs run at once; the others wait in FIFO order. `done`
// runs on the main context that was thread-default when submit() was called,
// at G_PRIORITY_DEFAULT, unless the Ticket was destroyed first. Destroying
// the Ticket before `work` started also skips `work`; destroying it while
// `work` runs lets `work` finish but drops its completion. So the owner of
// a Ticket (a session) may die at any time without waiting for the pool.
//
// Threading contract:
// - submit(), the Ticket's destruction and `done` belong to the submitting
//   thread (the one that iterates that main context).
// - `work` and the objects it captures are destroyed on a pool thread, run
//   or skipped, before `done` is posted (or in ~WorkerPool if it drops the
//   job unstarted). Whatever `work` touches must be owned by its captures
//   (a shared_ptr to the state it mutates), never borrowed from the
//   Ticket's owner, which may be gone while `work` runs. `done` may
//   borrow: it never outlives the Ticket.
// - `work` must not throw.
//
// Priority::Background runs the jobs on the pool's own threads at a lower
// CPU priority (nice +10): when logins and relays compete for the cores,
// the main loop (relays, every session's I/O) wins and a login waits a
// little longer instead of a console stuttering. GLib's shared pool
// threads cannot be used for that, as a thread's nice value cannot be
// raised back without privilege and would leak to other GLib users.
#pragma once

#include <glib.h>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace vncgate {

class WorkerPool {
 public:
  enum class Priority { Normal, Background };
  static constexpr int kBackgroundNice = 10;

  // At most `threads` jobs run at once (0 is taken as 1); more queue FIFO.
  explicit WorkerPool(unsigned threads, Priority priority = Priority::Normal);
  // Waits for running jobs; queued ones are dropped (their `done` never runs).
  ~WorkerPool();
  WorkerPool(const WorkerPool &) = delete;
  WorkerPool &operator=(const WorkerPool &) = delete;

  class Ticket;
  std::unique_ptr<Ticket> submit(std::function<void()> work, std::function<void()> done);

  size_t queued() const;  // submitted, not started
  unsigned busy() const;  // running `work`, completion not yet posted

 private:
  // Lets only WorkerPool construct a Ticket through std::make_unique.
  struct PassKey {
    explicit PassKey() = default;
  };
  struct Job;
  static void run_one(gpointer pool, gpointer unused);
  void run_next();
  void thread_main();
  void stop_own_threads();

  // Normal: GLib's shared threads. Background: threads of our own, joined
  // by the destructor, so none is still ending (and running OpenSSL's
  // thread-exit cleanup, which Cyrus' plugins load) while the process
  // exits and OpenSSL's atexit cleanup frees the same state: a double free.
  GThreadPool *threads_ = nullptr;
  std::vector<std::thread> own_;
  std::condition_variable wake_;
  bool stopping_ = false;
  Priority priority_;
  mutable std::mutex mutex_;
  std::deque<std::shared_ptr<Job>> queue_;
  unsigned busy_ = 0;
};

// Owns a job's completion. Held by the submitter; destroy it to cancel.
class WorkerPool::Ticket {
 public:
  struct Completion;
  Ticket(PassKey, std::shared_ptr<Completion> completion, std::function<void()> done);
  ~Ticket();
  Ticket(const Ticket &) = delete;
  Ticket &operator=(const Ticket &) = delete;

 private:
  friend class WorkerPool;
  static gboolean dispatch(gpointer self);

  std::shared_ptr<Completion> completion_;
  std::function<void()> done_;
};

}  // namespace vncgate
