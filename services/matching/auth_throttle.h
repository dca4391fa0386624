// Throttling of authentication failures per client IP, against token
// brute force: the first failures are answered at once, later ones after a
// growing delay, and an address that keeps failing is locked out for a
// while. Pure and clock-injected; not thread-safe (owned by the engine).
// Memory is bounded: quiet addresses are forgotten, and at most
// max_tracked_ips are tracked.
#ifndef SERVICES_MATCHING_AUTH_THROTTLE_H_
#define SERVICES_MATCHING_AUTH_THROTTLE_H_

#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/time/time.h"

namespace signaling::matching {

struct AuthThrottleLimits {
  int free_failures = 5;  // failures answered without delay
  absl::Duration base_delay = absl::Milliseconds(250);
  absl::Duration max_delay = absl::Seconds(4);
  int lockout_failures = 30;  // failures that lock the address out
  absl::Duration lockout = absl::Minutes(5);
  absl::Duration forget_after = absl::Minutes(10);  // a quiet address starts over
  size_t max_tracked_ips = 100000;
};

class AuthThrottle {
 public:
  explicit AuthThrottle(AuthThrottleLimits limits = {}) : limits_(limits) {}

  // Records a failed authentication from `ip`; returns how long to wait
  // before answering it.
  absl::Duration RecordFailure(const std::string& ip, absl::Time now);
  // A success from `ip` clears its record.
  void RecordSuccess(const std::string& ip) { entries_.erase(ip); }
  // Whether `ip` is locked out at `now`.
  bool LockedOut(const std::string& ip, absl::Time now) const;
  size_t tracked() const { return entries_.size(); }

 private:
  struct Entry {
    int failures = 0;
    absl::Time last_failure;
    absl::Time locked_until = absl::InfinitePast();
  };
  void Forget(absl::Time now);

  AuthThrottleLimits limits_;
  absl::flat_hash_map<std::string, Entry> entries_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_AUTH_THROTTLE_H_
