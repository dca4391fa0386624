// Authentication failure throttling; see auth_throttle.h.
#include "services/matching/auth_throttle.h"

#include <algorithm>

namespace signaling::matching {

void AuthThrottle::Forget(absl::Time now) {
  absl::erase_if(entries_, [&](const auto& item) {
    const Entry& e = item.second;
    return now - e.last_failure >= limits_.forget_after && e.locked_until <= now;
  });
}

absl::Duration AuthThrottle::RecordFailure(const std::string& ip, absl::Time now) {
  auto it = entries_.find(ip);
  if (it == entries_.end()) {
    if (entries_.size() >= limits_.max_tracked_ips) Forget(now);
    if (entries_.size() >= limits_.max_tracked_ips) return limits_.max_delay;  // full: be slow
    it = entries_.emplace(ip, Entry{}).first;
  }
  Entry& e = it->second;
  if (now - e.last_failure >= limits_.forget_after && e.locked_until <= now) e.failures = 0;
  e.last_failure = now;
  ++e.failures;
  if (e.failures >= limits_.lockout_failures) e.locked_until = now + limits_.lockout;
  const int over = e.failures - limits_.free_failures;
  if (over <= 0) return absl::ZeroDuration();
  return std::min(limits_.max_delay, limits_.base_delay * (1 << std::min(over - 1, 16)));
}

bool AuthThrottle::LockedOut(const std::string& ip, absl::Time now) const {
  auto it = entries_.find(ip);
  return it != entries_.end() && it->second.locked_until > now;
}

}  // namespace signaling::matching
