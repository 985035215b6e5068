#include "io/main_loop_timer.h"

#include <gtest/gtest.h>

#include <memory>

namespace vncgate {
namespace {

// Runs the default context until `done` or a 2 s bound.
template <typename Pred>
bool iterate_until(Pred done) {
  const gint64 deadline = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
  while (!done() && g_get_monotonic_time() < deadline) g_main_context_iteration(nullptr, TRUE);
  return done();
}

TEST(MainLoopTimer, OnceFiresOnceAndIsThenInactive) {
  MainLoopTimer t;
  int fired = 0;
  t.once(1, [&] { ++fired; });
  EXPECT_TRUE(t.active());
  ASSERT_TRUE(iterate_until([&] { return fired > 0; }));
  EXPECT_EQ(fired, 1);
  EXPECT_FALSE(t.active());
}

TEST(MainLoopTimer, DestroyingTheOwnerRemovesTheSource) {
  int fired = 0;
  auto t = std::make_unique<MainLoopTimer>();
  t->once(1, [&] { ++fired; });
  t.reset();
  MainLoopTimer witness;
  bool witness_fired = false;
  witness.once(20, [&] { witness_fired = true; });
  ASSERT_TRUE(iterate_until([&] { return witness_fired; }));
  EXPECT_EQ(fired, 0);
}

TEST(MainLoopTimer, CallbackMayDestroyItsOwner) {
  auto t = std::make_unique<MainLoopTimer>();
  bool fired = false;
  t->idle([&] {
    t.reset();
    fired = true;
  });
  ASSERT_TRUE(iterate_until([&] { return fired; }));
  EXPECT_EQ(t, nullptr);
}

TEST(MainLoopTimer, CallbackMayRearm) {
  MainLoopTimer t;
  int fired = 0;
  std::function<void()> again = [&] {
    if (++fired < 3) t.once(1, again);
  };
  t.once(1, again);
  ASSERT_TRUE(iterate_until([&] { return fired == 3; }));
  EXPECT_FALSE(t.active());
}

TEST(MainLoopTimer, EveryStopsWhenTheTickSaysSo) {
  MainLoopTimer t;
  int ticks = 0;
  t.every(1, [&] { return ++ticks < 4; });
  ASSERT_TRUE(iterate_until([&] { return !t.active(); }));
  EXPECT_EQ(ticks, 4);
}

}  // namespace
}  // namespace vncgate
