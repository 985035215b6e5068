// One owned GLib main-loop source: a one-shot or repeating timeout, or an
// idle call. The owner holds a MainLoopTimer by value; destroying it (or
// cancel()) removes the source, so a callback can never outlive the object
// it was armed for and no bare source id is kept anywhere.
//
// The callback runs on the thread-default main context that was current
// when the timer was armed. It may destroy the MainLoopTimer's owner: the
// one-shot callback is moved out of the timer before it is called. A
// repeating tick must not destroy the owner; it returns false to stop.
#pragma once

#include <glib.h>

#include <functional>

namespace vncgate {

class MainLoopTimer {
 public:
  MainLoopTimer() = default;
  ~MainLoopTimer() { cancel(); }
  MainLoopTimer(const MainLoopTimer &) = delete;
  MainLoopTimer &operator=(const MainLoopTimer &) = delete;

  // Fires once after `ms`; re-arming replaces a pending source.
  void once(unsigned ms, std::function<void()> fire, int priority = G_PRIORITY_DEFAULT);
  // Fires every `ms` while `tick` returns true.
  void every(unsigned ms, std::function<bool()> tick, int priority = G_PRIORITY_DEFAULT);
  // Fires once from the main loop when it is next idle at `priority`.
  void idle(std::function<void()> fire, int priority = G_PRIORITY_DEFAULT_IDLE);
  void cancel();
  bool active() const { return source_ != nullptr; }

 private:
  void attach(GSource *source, int priority);
  static gboolean dispatch(gpointer self);

  GSource *source_ = nullptr;
  std::function<void()> once_;
  std::function<bool()> tick_;
};

}  // namespace vncgate
