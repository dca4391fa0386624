// A Clock that moves only when the test says so. AwaitWithDeadline sleeps
// until the condition holds or Advance() has moved the clock to the
// deadline, so that a timer loop on this clock fires at the injected time.
#ifndef TESTS_SERVICES_MATCHING_FAKE_CLOCK_H_
#define TESTS_SERVICES_MATCHING_FAKE_CLOCK_H_

#include <atomic>
#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "services/matching/clock.h"

namespace signaling::matching {

class FakeClock final : public Clock {
 public:
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000))
      : nanos_(absl::ToUnixNanos(start)) {}

  absl::Time Now() override { return absl::FromUnixNanos(nanos_.load()); }

  // Moves the clock forward and wakes a loop sleeping on it.
  void Advance(absl::Duration by) {
    nanos_ += absl::ToInt64Nanoseconds(by);
    // A waiter's condition is evaluated again when its mutex is released.
    if (absl::Mutex* waiter = waiter_.load(); waiter != nullptr) {
      waiter->Lock();
      waiter->Unlock();
    }
  }

  bool AwaitWithDeadline(absl::Mutex& mu, const absl::Condition& condition, absl::Time deadline)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu) override {
    waiter_ = &mu;
    auto woken = [&] { return condition.Eval() || Now() >= deadline; };
    mu.Await(absl::Condition(&woken));
    return condition.Eval();
  }

 private:
  std::atomic<int64_t> nanos_;
  std::atomic<absl::Mutex*> waiter_{nullptr};
};

}  // namespace signaling::matching

#endif  // TESTS_SERVICES_MATCHING_FAKE_CLOCK_H_
