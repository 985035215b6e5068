#include "io/main_loop_timer.h"

#include <utility>

namespace vncgate {

void MainLoopTimer::once(unsigned ms, std::function<void()> fire, int priority) {
  cancel();
  once_ = std::move(fire);
  attach(g_timeout_source_new(ms), priority);
}

void MainLoopTimer::every(unsigned ms, std::function<bool()> tick, int priority) {
  cancel();
  tick_ = std::move(tick);
  attach(g_timeout_source_new(ms), priority);
}

void MainLoopTimer::idle(std::function<void()> fire, int priority) {
  cancel();
  once_ = std::move(fire);
  attach(g_idle_source_new(), priority);
}

void MainLoopTimer::cancel() {
  if (source_) {
    g_source_destroy(source_);
    g_source_unref(source_);
    source_ = nullptr;
  }
  once_ = nullptr;
  tick_ = nullptr;
}

void MainLoopTimer::attach(GSource *source, int priority) {
  g_source_set_priority(source, priority);
  g_source_set_callback(source, &MainLoopTimer::dispatch, this, nullptr);
  g_source_attach(source, g_main_context_get_thread_default());
  source_ = source;
}

gboolean MainLoopTimer::dispatch(gpointer data) {
  auto *self = static_cast<MainLoopTimer *>(data);
  if (self->tick_) {
    if (self->tick_()) return G_SOURCE_CONTINUE;
    g_source_unref(std::exchange(self->source_, nullptr));
    self->tick_ = nullptr;
    return G_SOURCE_REMOVE;
  }
  // One-shot: detach first, so the callback may re-arm or destroy us.
  GSource *source = std::exchange(self->source_, nullptr);
  auto fire = std::move(self->once_);
  self->once_ = nullptr;
  g_source_unref(source);  // the attached context keeps it until we return
  fire();
  return G_SOURCE_REMOVE;
}

}  // namespace vncgate
