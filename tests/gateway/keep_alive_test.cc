// gateway/keep_alive.h with an injected time: a ping at half the idle time,
// at most one in flight, the idle close when it stays unanswered, activity
// and pongs moving the wake-up, and once closing only the close grace.
#include "gateway/keep_alive.h"

#include <chrono>

#include "gtest/gtest.h"

namespace signaling::gateway {
namespace {

using std::chrono::milliseconds;
using Due = KeepAlive::Due;

constexpr milliseconds kIdle(10'000);
// Any steady time: the connection opens at t0.
const KeepAlive::Clock::time_point t0 = KeepAlive::Clock::time_point() + std::chrono::hours(1);

TEST(KeepAlive, AQuietConnectionIsPingedOnceAtHalfTheIdleTime) {
  KeepAlive keep_alive(t0);
  EXPECT_EQ(keep_alive.NextWake(kIdle), t0 + kIdle / 2);
  EXPECT_EQ(keep_alive.Check(t0 + kIdle / 2 - milliseconds(1), kIdle), Due::kNothing);
  EXPECT_EQ(keep_alive.Check(t0 + kIdle / 2, kIdle), Due::kPing);
  // With the ping out, the next thing due is the idle close.
  EXPECT_EQ(keep_alive.NextWake(kIdle), t0 + kIdle);
  EXPECT_EQ(keep_alive.Check(t0 + kIdle - milliseconds(1), kIdle), Due::kNothing);
  EXPECT_EQ(keep_alive.Check(t0 + kIdle, kIdle), Due::kIdleClose);
}

TEST(KeepAlive, ALateWakeUpClosesAConnectionQuietForTheWholeIdleTime) {
  KeepAlive keep_alive(t0);
  EXPECT_EQ(keep_alive.Check(t0 + kIdle, kIdle), Due::kIdleClose);
}

TEST(KeepAlive, ActivityMovesTheWakeUp) {
  KeepAlive keep_alive(t0);
  keep_alive.Active(t0 + milliseconds(3000));
  EXPECT_EQ(keep_alive.NextWake(kIdle), t0 + milliseconds(8000));
  EXPECT_EQ(keep_alive.Check(t0 + kIdle / 2, kIdle), Due::kNothing);
  EXPECT_EQ(keep_alive.Check(t0 + milliseconds(8000), kIdle), Due::kPing);
  // Activity with the ping unanswered: the idle close moves, no second ping.
  keep_alive.Active(t0 + milliseconds(9000));
  EXPECT_EQ(keep_alive.NextWake(kIdle), t0 + milliseconds(19'000));
  EXPECT_EQ(keep_alive.Check(t0 + milliseconds(15'000), kIdle), Due::kNothing);
  EXPECT_EQ(keep_alive.Check(t0 + milliseconds(19'000), kIdle), Due::kIdleClose);
}

TEST(KeepAlive, APongAllowsTheNextPing) {
  KeepAlive keep_alive(t0);
  ASSERT_EQ(keep_alive.Check(t0 + kIdle / 2, kIdle), Due::kPing);
  // The pong is a control frame: activity too.
  keep_alive.Active(t0 + milliseconds(5100));
  keep_alive.PongReceived();
  EXPECT_EQ(keep_alive.NextWake(kIdle), t0 + milliseconds(10'100));
  EXPECT_EQ(keep_alive.Check(t0 + milliseconds(10'100), kIdle), Due::kPing);
}

TEST(KeepAlive, HalfTheIdleTimeIsInWholeMilliseconds) {
  KeepAlive keep_alive(t0);
  EXPECT_EQ(keep_alive.NextWake(milliseconds(1001)), t0 + milliseconds(500));
}

TEST(KeepAlive, OnceClosingOnlyTheCloseGraceCounts) {
  KeepAlive keep_alive(t0);
  const auto closing = t0 + milliseconds(1000);
  keep_alive.CloseRequested(closing);
  EXPECT_EQ(keep_alive.NextWake(kIdle), closing + KeepAlive::kCloseGrace);
  // Quiet past half the idle time: no ping while closing.
  EXPECT_EQ(keep_alive.Check(closing + KeepAlive::kCloseGrace - milliseconds(1), kIdle),
            Due::kNothing);
  EXPECT_EQ(keep_alive.Check(closing + KeepAlive::kCloseGrace, kIdle), Due::kTearDown);
  // Nor an idle close, however long it has been quiet.
  EXPECT_EQ(keep_alive.Check(t0 + 10 * kIdle, kIdle), Due::kTearDown);
}

}  // namespace
}  // namespace signaling::gateway
