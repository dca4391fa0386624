// The time source of the matching adapter, injected so that the session
// router's deadlines and timers can be driven by a test: Now() for every
// timestamp handed to the engine, AwaitWithDeadline() for the timer loop's
// sleep. RealClock is absl::Now() and absl::Mutex::AwaitWithDeadline.
//
// Thread-safety: implementations are safe to call from any thread.
#ifndef SERVICES_MATCHING_CLOCK_H_
#define SERVICES_MATCHING_CLOCK_H_

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace signaling::matching {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() = 0;
  // With `mu` held: waits until `condition` holds or this clock reaches
  // `deadline`; returns whether the condition holds. Like
  // absl::Mutex::AwaitWithDeadline, in this clock's time.
  virtual bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition,
                                 absl::Time deadline) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) = 0;
};

class RealClock final : public Clock {
 public:
  absl::Time Now() override { return absl::Now(); }
  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override {
    return mu.AwaitWithDeadline(condition, deadline);
  }
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLOCK_H_
