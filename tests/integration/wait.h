// Waiting for a condition with a deadline, in one place. Tests wait on
// events they can see (a message, a close) with the clients' own timeouts;
// state that sends no notice (a service's counters, a child's /readyz, an
// exit status) is polled here instead of in hand-rolled sleep loops.
#ifndef TESTS_INTEGRATION_WAIT_H_
#define TESTS_INTEGRATION_WAIT_H_

#include <algorithm>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace signaling::testing {

// Calls `predicate` until it returns true or `deadline` has passed, pausing
// at most `interval` between calls; it is always called at least once, and
// once more at the deadline. True if it returned true. The caller asserts
// on the state it waited for (the predicate's last answer is not a verdict
// on its own).
template <typename Predicate>
bool WaitUntil(Predicate&& predicate, absl::Time deadline,
               absl::Duration interval = absl::Milliseconds(10)) {
  while (true) {
    if (predicate()) return true;
    const absl::Time now = absl::Now();
    if (now >= deadline) return false;
    absl::SleepFor(std::min(interval, deadline - now));
  }
}

// WaitUntil with a deadline `timeout` from now.
template <typename Predicate>
bool WaitFor(Predicate&& predicate, absl::Duration timeout,
             absl::Duration interval = absl::Milliseconds(10)) {
  return WaitUntil(predicate, absl::Now() + timeout, interval);
}

}  // namespace signaling::testing

#endif  // TESTS_INTEGRATION_WAIT_H_
