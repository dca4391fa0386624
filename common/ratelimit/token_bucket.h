// A token bucket: `rate` tokens per second refill up to `burst`. Pure and
// clock-injected (every call takes `now`); not thread-safe, owned by one
// session.
#ifndef COMMON_RATELIMIT_TOKEN_BUCKET_H_
#define COMMON_RATELIMIT_TOKEN_BUCKET_H_

#include <algorithm>

#include "absl/time/time.h"

namespace signaling {

class TokenBucket {
 public:
  // Starts full at `now`.
  TokenBucket(double rate_per_second, double burst, absl::Time now)
      : rate_(rate_per_second), burst_(burst), tokens_(burst), last_(now) {}

  // Takes one token if there is one; false means the caller is over the rate.
  bool TryTake(absl::Time now) {
    if (now > last_) {
      tokens_ = std::min(burst_, tokens_ + absl::ToDoubleSeconds(now - last_) * rate_);
      last_ = now;
    }
    if (tokens_ < 1.0) return false;
    tokens_ -= 1.0;
    return true;
  }

 private:
  double rate_;
  double burst_;
  double tokens_;
  absl::Time last_;
};

}  // namespace signaling

#endif  // COMMON_RATELIMIT_TOKEN_BUCKET_H_
