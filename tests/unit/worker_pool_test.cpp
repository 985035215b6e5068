#include "io/worker_pool.h"

#include <gtest/gtest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

namespace vncgate {
namespace {

constexpr auto kBound = std::chrono::seconds(10);

// A barrier that jobs wait on until the test opens it (bounded, so a bug
// fails the test instead of hanging it).
class Gate {
 public:
  void open() {
    std::lock_guard lock(mutex_);
    open_ = true;
    changed_.notify_all();
  }
  bool wait() {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kBound, [&] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool open_ = false;
};

// Counts jobs in `work` and remembers the most that ran at once.
class Concurrency {
 public:
  void enter() {
    std::lock_guard lock(mutex_);
    peak_ = std::max(peak_, ++running_);
    ++entered_;
    changed_.notify_all();
  }
  void leave() {
    std::lock_guard lock(mutex_);
    --running_;
  }
  bool wait_entered(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, kBound, [&] { return entered_ >= n; });
  }
  int peak() {
    std::lock_guard lock(mutex_);
    return peak_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int running_ = 0, peak_ = 0, entered_ = 0;
};

// Iterates `context` until `done` or the bound.
template <typename Pred>
bool iterate_until(GMainContext *context, Pred done) {
  const gint64 deadline = g_get_monotonic_time() + 10 * G_USEC_PER_SEC;
  while (!done() && g_get_monotonic_time() < deadline) g_main_context_iteration(context, FALSE);
  return done();
}

// Polls a pool counter from the test thread (the pool has no change signal).
template <typename Pred>
bool poll_until(Pred done) {
  const auto deadline = std::chrono::steady_clock::now() + kBound;
  while (!done() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
  return done();
}

// Each test runs on its own thread-default context, as a session would on
// the daemon's main loop.
class WorkerPoolTest : public ::testing::Test {
 protected:
  void SetUp() override { g_main_context_push_thread_default(context_); }
  void TearDown() override {
    g_main_context_pop_thread_default(context_);
    g_main_context_unref(context_);
  }
  // Runs the context until every completion the pool posted so far ran:
  // a witness job submitted now completes after them (FIFO, one thread)
  // or at least after they were posted (busy() covers posting).
  void drain(WorkerPool &pool) {
    bool witness = false;
    auto ticket = pool.submit([] {}, [&] { witness = true; });
    ASSERT_TRUE(iterate_until(context_, [&] { return witness && pool.busy() == 0; }));
    while (g_main_context_iteration(context_, FALSE)) {
    }
  }
  GMainContext *context_ = g_main_context_new();
};

TEST_F(WorkerPoolTest, WorkRunsOnAPoolThreadAndDoneOnTheSubmittersContext) {
  WorkerPool pool(2);
  const auto main_thread = std::this_thread::get_id();
  std::thread::id work_thread;
  GMainContext *done_context = nullptr;
  bool done_on_main = false;
  auto ticket = pool.submit([&] { work_thread = std::this_thread::get_id(); },
                            [&] {
                              done_on_main = std::this_thread::get_id() == main_thread;
                              done_context = g_main_context_get_thread_default();
                            });
  // Iterating the global default context must not run it.
  ASSERT_TRUE(poll_until([&] { return pool.busy() == 0 && pool.queued() == 0; }));
  while (g_main_context_iteration(nullptr, FALSE)) {
  }
  EXPECT_EQ(done_context, nullptr);
  ASSERT_TRUE(iterate_until(context_, [&] { return done_context != nullptr; }));
  EXPECT_NE(work_thread, main_thread);
  EXPECT_TRUE(done_on_main);
  EXPECT_EQ(done_context, context_);
}

// Logins must yield the cores to the relays: a background pool's jobs run
// at nice +10 while the submitter's thread keeps its priority.
TEST_F(WorkerPoolTest, BackgroundJobsRunAtLowerPriorityThanTheSubmitter) {
  WorkerPool pool(2, WorkerPool::Priority::Background);
  const int main_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  std::atomic<int> job_nice{-100};
  int done_count = 0;
  std::vector<std::unique_ptr<WorkerPool::Ticket>> tickets;
  for (int i = 0; i < 4; ++i)
    tickets.push_back(
        pool.submit([&] { job_nice = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())); },
                    [&] { ++done_count; }));
  ASSERT_TRUE(iterate_until(context_, [&] { return done_count == 4; }));
  EXPECT_EQ(job_nice.load(), std::max(main_nice, WorkerPool::kBackgroundNice));
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), main_nice);
}

TEST_F(WorkerPoolTest, OneThreadRunsJobsInSubmissionOrder) {
  WorkerPool pool(1);
  std::vector<int> worked, finished;  // `worked` is only touched by the one pool thread
  std::vector<std::unique_ptr<WorkerPool::Ticket>> tickets;
  for (int i = 0; i < 50; ++i)
    tickets.push_back(pool.submit([&worked, i] { worked.push_back(i); },
                                  [&finished, i] { finished.push_back(i); }));
  ASSERT_TRUE(iterate_until(context_, [&] { return finished.size() == 50; }));
  std::vector<int> expected(50);
  for (int i = 0; i < 50; ++i) expected[i] = i;
  EXPECT_EQ(worked, expected);
  EXPECT_EQ(finished, expected);
}

TEST_F(WorkerPoolTest, AtMostNJobsRunAtOnceAndTheRestQueue) {
  WorkerPool pool(3);
  Gate gate;
  Concurrency concurrency;
  int finished = 0;
  std::vector<std::unique_ptr<WorkerPool::Ticket>> tickets;
  for (int i = 0; i < 9; ++i)
    tickets.push_back(pool.submit(
        [&] {
          concurrency.enter();
          gate.wait();
          concurrency.leave();
        },
        [&] { ++finished; }));
  ASSERT_TRUE(concurrency.wait_entered(3));
  EXPECT_EQ(pool.busy(), 3u);
  EXPECT_EQ(pool.queued(), 6u);
  EXPECT_EQ(concurrency.peak(), 3);
  gate.open();
  ASSERT_TRUE(iterate_until(context_, [&] { return finished == 9; }));
  EXPECT_EQ(concurrency.peak(), 3);
  // busy() counts a job until just after its completion was posted.
  EXPECT_TRUE(poll_until([&] { return pool.busy() == 0; }));
  EXPECT_EQ(pool.queued(), 0u);
}

TEST_F(WorkerPoolTest, ATicketDestroyedWhileQueuedSkipsWorkAndDone) {
  WorkerPool pool(1);
  Gate gate;
  Concurrency blocker;
  bool first_done = false, work_ran = false, done_ran = false;
  auto first = pool.submit(
      [&] {
        blocker.enter();
        gate.wait();
      },
      [&] { first_done = true; });
  auto cancelled = pool.submit([&] { work_ran = true; }, [&] { done_ran = true; });
  ASSERT_TRUE(blocker.wait_entered(1));
  EXPECT_EQ(pool.queued(), 1u);
  cancelled.reset();
  gate.open();
  ASSERT_TRUE(iterate_until(context_, [&] { return first_done; }));
  drain(pool);
  EXPECT_FALSE(work_ran);
  EXPECT_FALSE(done_ran);
}

TEST_F(WorkerPoolTest, ATicketDestroyedWhileWorkRunsDropsOnlyDone) {
  WorkerPool pool(1);
  Gate gate;
  Concurrency running;
  std::atomic<bool> work_finished = false;
  bool done_ran = false;
  auto ticket = pool.submit(
      [&] {
        running.enter();
        gate.wait();
        work_finished = true;
      },
      [&] { done_ran = true; });
  ASSERT_TRUE(running.wait_entered(1));
  ticket.reset();
  gate.open();
  drain(pool);
  EXPECT_TRUE(work_finished);
  EXPECT_FALSE(done_ran);
}

TEST_F(WorkerPoolTest, ATicketDestroyedWhileItsCompletionIsPostedDropsDone) {
  WorkerPool pool(1);
  bool work_ran = false, done_ran = false;
  auto ticket = pool.submit([&] { work_ran = true; }, [&] { done_ran = true; });
  // busy() drops to 0 only after the completion was posted to our context.
  ASSERT_TRUE(poll_until([&] { return pool.busy() == 0 && pool.queued() == 0; }));
  EXPECT_TRUE(work_ran);
  ticket.reset();
  drain(pool);
  EXPECT_FALSE(done_ran);
}

TEST_F(WorkerPoolTest, DoneMayDestroyItsOwnTicket) {
  WorkerPool pool(1);
  std::unique_ptr<WorkerPool::Ticket> ticket;
  int done_ran = 0;
  ticket = pool.submit([] {},
                       [&] {
                         ++done_ran;
                         ticket.reset();
                       });
  ASSERT_TRUE(iterate_until(context_, [&] { return done_ran > 0; }));
  EXPECT_EQ(ticket, nullptr);
  drain(pool);
  EXPECT_EQ(done_ran, 1);
}

TEST_F(WorkerPoolTest, DestroyingThePoolWaitsForRunningJobsAndDropsQueuedOnes) {
  auto pool = std::make_unique<WorkerPool>(1);
  Gate gate;
  Concurrency running;
  std::atomic<bool> running_finished = false, queued_ran = false;
  int done_count = 0;
  auto running_ticket = pool->submit(
      [&] {
        running.enter();
        gate.wait();
        running_finished = true;
      },
      [&] { ++done_count; });
  std::vector<std::unique_ptr<WorkerPool::Ticket>> queued;
  for (int i = 0; i < 3; ++i)
    queued.push_back(pool->submit([&] { queued_ran = true; }, [&] { done_count += 100; }));
  ASSERT_TRUE(running.wait_entered(1));
  // Opens the gate once the destructor has dropped the queue (it reads the
  // pool while the destructor waits for the running job; its members are
  // alive until the destructor returns).
  WorkerPool *raw = pool.get();
  std::thread opener([&] {
    poll_until([&] { return raw->queued() == 0; });
    gate.open();
  });
  pool.reset();
  opener.join();
  EXPECT_TRUE(running_finished);
  EXPECT_FALSE(queued_ran);
  // The running job's completion was posted before the destructor returned.
  ASSERT_TRUE(iterate_until(context_, [&] { return done_count > 0; }));
  while (g_main_context_iteration(context_, FALSE)) {
  }
  EXPECT_EQ(done_count, 1);
  queued.clear();  // tickets may outlive their pool
}

TEST_F(WorkerPoolTest, ManyJobsWithRandomCancellationsEachCompleteAtMostOnce) {
  constexpr int kJobs = 3000;
  WorkerPool pool(4);
  Concurrency concurrency;
  std::vector<int> done_runs(kJobs, 0);
  std::vector<std::unique_ptr<WorkerPool::Ticket>> tickets;
  std::mt19937 random(12);
  for (int i = 0; i < kJobs; ++i) {
    tickets.push_back(pool.submit(
        [&] {
          concurrency.enter();
          concurrency.leave();
        },
        [&done_runs, i] { ++done_runs[i]; }));
    // Cancel some right away, some after a little of the loop ran.
    if (random() % 5 == 0) tickets[random() % tickets.size()].reset();
    if (i % 100 == 0) g_main_context_iteration(context_, FALSE);
  }
  ASSERT_TRUE(iterate_until(context_, [&] {
    for (int i = 0; i < kJobs; ++i)
      if (tickets[i] && done_runs[i] == 0) return false;
    return true;
  }));
  drain(pool);
  int completed = 0;
  for (int i = 0; i < kJobs; ++i) {
    EXPECT_LE(done_runs[i], 1) << i;
    completed += done_runs[i];
    if (tickets[i]) {
      EXPECT_EQ(done_runs[i], 1) << i;
    }
  }
  EXPECT_GT(completed, kJobs / 2);
  EXPECT_LE(concurrency.peak(), 4);
}

}  // namespace
}  // namespace vncgate
