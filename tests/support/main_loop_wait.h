// Waiting on the daemon's main loop in tests: runs the thread-default
// GMainContext until a condition holds or a bound passes, never a sleep.
#pragma once

#include <glib.h>

#include <chrono>

#include "io/main_loop_timer.h"

namespace vncgate::test {

// True when `done()` held within `bound`. A 20 ms tick keeps a blocking
// iteration from waiting on a condition that no event announces.
template <typename Pred>
bool iterate_until(Pred done, std::chrono::milliseconds bound = std::chrono::seconds(10)) {
  MainLoopTimer tick;
  tick.every(20, [] { return true; });
  const gint64 deadline = g_get_monotonic_time() + bound.count() * 1000;
  while (!done() && g_get_monotonic_time() < deadline) g_main_context_iteration(nullptr, TRUE);
  return done();
}

}  // namespace vncgate::test
