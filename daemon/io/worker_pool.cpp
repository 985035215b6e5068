#include "io/worker_pool.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <system_error>
#include <utility>

namespace vncgate {

// What a Ticket and its queued or running Job share. The source is attached
// to the submitter's context at submit time with no ready time, so it never
// fires until a pool thread sets its ready time to "now" (which GLib allows
// from any thread and which wakes that context up). `cancelled` under
// `mutex` orders that against the Ticket's destruction: once the Ticket has
// set it, no thread touches the source except to drop its reference.
struct WorkerPool::Ticket::Completion {
  Completion() : context(g_main_context_ref_thread_default()) {}
  ~Completion() {
    g_source_unref(source);
    // Last, as the final unref of an attached source locks its context.
    g_main_context_unref(context);
  }
  Completion(const Completion &) = delete;
  Completion &operator=(const Completion &) = delete;

  GMainContext *context;
  GSource *source = nullptr;
  std::mutex mutex;
  bool cancelled = false;
};

struct WorkerPool::Job {
  std::function<void()> work;
  std::shared_ptr<Ticket::Completion> completion;
};

namespace {

// A source that fires only when its ready time is set: no prepare/check.
gboolean dispatch_completion(GSource *, GSourceFunc callback, gpointer data) {
  return callback(data);
}
GSourceFuncs completion_funcs = {
    .prepare = nullptr,
    .check = nullptr,
    .dispatch = dispatch_completion,
    .finalize = nullptr,
    .closure_callback = nullptr,
    .closure_marshal = nullptr,
};

}  // namespace

WorkerPool::Ticket::Ticket(PassKey, std::shared_ptr<Completion> completion,
                           std::function<void()> done)
    : completion_(std::move(completion)), done_(std::move(done)) {
  GSource *source = g_source_new(&completion_funcs, sizeof(GSource));
  g_source_set_priority(source, G_PRIORITY_DEFAULT);
  g_source_set_name(source, "vncgate worker completion");
  // The Ticket destroys the source before it dies, so `this` never dangles.
  g_source_set_callback(source, &Ticket::dispatch, this, nullptr);
  g_source_attach(source, completion_->context);
  completion_->source = source;
}

WorkerPool::Ticket::~Ticket() {
  std::lock_guard lock(completion_->mutex);
  completion_->cancelled = true;
  g_source_destroy(completion_->source);  // a no-op once it has fired
}

gboolean WorkerPool::Ticket::dispatch(gpointer data) {
  auto *self = static_cast<Ticket *>(data);
  // Pairs with the worker's unlock after `work`: what `work` wrote is
  // visible to `done` without relying on the main context's own locking.
  { std::lock_guard lock(self->completion_->mutex); }
  // Moved out first: `done` may destroy the Ticket.
  auto done = std::exchange(self->done_, nullptr);
  if (done) done();
  return G_SOURCE_REMOVE;
}

namespace {

// Lowers the calling thread's CPU priority once (Linux: nice is per thread).
void lower_thread_priority() {
  thread_local bool lowered = false;
  if (lowered) return;
  lowered = true;
  const auto tid = static_cast<id_t>(gettid());
  errno = 0;
  int now = getpriority(PRIO_PROCESS, tid);
  if (errno == 0 && now < WorkerPool::kBackgroundNice)
    setpriority(PRIO_PROCESS, tid, WorkerPool::kBackgroundNice);
}

}  // namespace

WorkerPool::WorkerPool(unsigned threads, Priority priority) : priority_(priority) {
  const int n = static_cast<int>(std::max(threads, 1u));
  if (priority_ == Priority::Background) {
    try {
      for (int i = 0; i < n; ++i) own_.emplace_back([this] { thread_main(); });
      return;
    } catch (const std::system_error &e) {
      g_warning(
          "worker pool: cannot start %d threads (%s); using shared threads at normal priority", n,
          e.what());
      stop_own_threads();
      priority_ = Priority::Normal;
    }
  }
  // Shared (non-exclusive) GLib threads: they are started on demand and
  // cannot fail to be created here.
  threads_ = g_thread_pool_new(&WorkerPool::run_one, this, n, FALSE, nullptr);
}

WorkerPool::~WorkerPool() {
  std::deque<std::shared_ptr<Job>> dropped;
  {
    std::lock_guard lock(mutex_);
    dropped.swap(queue_);
  }
  dropped.clear();  // outside the lock: the closures' destructors are arbitrary code
  if (!own_.empty()) {
    // The running jobs finish, and post their completions, and every
    // thread has ended before we return.
    stop_own_threads();
    return;
  }
  // immediate: pending pushes are discarded (they carry no data); wait: the
  // running jobs finish, and post their completions, before we return.
  g_thread_pool_free(threads_, TRUE, TRUE);
}

void WorkerPool::stop_own_threads() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread &t : own_) t.join();
  own_.clear();
}

void WorkerPool::thread_main() {
  lower_thread_priority();
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
    }
    run_next();
  }
}

std::unique_ptr<WorkerPool::Ticket> WorkerPool::submit(std::function<void()> work,
                                                       std::function<void()> done) {
  auto completion = std::make_shared<Ticket::Completion>();
  auto ticket = std::make_unique<Ticket>(PassKey{}, completion, std::move(done));
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::make_shared<Job>(Job{std::move(work), std::move(completion)}));
  }
  if (!own_.empty()) {
    wake_.notify_one();
    return ticket;
  }
  // One push per job: a pool thread takes the oldest queued job, so the
  // order is FIFO whatever GLib's own queue does.
  g_autoptr(GError) error = nullptr;
  if (!g_thread_pool_push(threads_, this, &error))
    g_warning("worker pool: %s (the job waits for a running thread)", error->message);
  return ticket;
}

size_t WorkerPool::queued() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

unsigned WorkerPool::busy() const {
  std::lock_guard lock(mutex_);
  return busy_;
}

void WorkerPool::run_one(gpointer pool, gpointer) {
  static_cast<WorkerPool *>(pool)->run_next();
}

void WorkerPool::run_next() {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mutex_);
    if (queue_.empty()) return;  // dropped by the destructor
    job = std::move(queue_.front());
    queue_.pop_front();
    ++busy_;
  }
  if (priority_ == Priority::Background) lower_thread_priority();
  Ticket::Completion &completion = *job->completion;
  bool wanted;
  {
    std::lock_guard lock(completion.mutex);
    wanted = !completion.cancelled;
  }
  if (wanted) job->work();
  job->work = nullptr;  // captures die here, before `done` can run
  {
    std::lock_guard lock(completion.mutex);
    if (!completion.cancelled) g_source_set_ready_time(completion.source, 0);
  }
  job.reset();
  std::lock_guard lock(mutex_);
  --busy_;
}

}  // namespace vncgate
