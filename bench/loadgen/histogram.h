// A log-linear latency histogram for the load generator (HdrHistogram-like):
// values below 2^kSubBits are exact, above that every power of two is split
// in 2^kSubBits buckets (< 1.6% error). Not thread-safe: each worker keeps
// its own and they are merged at the end.
#ifndef BENCH_LOADGEN_HISTOGRAM_H_
#define BENCH_LOADGEN_HISTOGRAM_H_

#include <array>
#include <cstddef>
#include <cstdint>

#include "nlohmann/json.hpp"

namespace signaling::loadgen {

class Histogram {
 public:
  static constexpr int kSubBits = 6;
  static constexpr int kSub = 1 << kSubBits;

  // Negative values count as 0.
  void Record(int64_t v);
  void Merge(const Histogram& other);
  uint64_t count() const { return total_; }
  uint64_t max() const { return max_; }
  // Upper edge of the bucket holding quantile q (0 when empty), at most max().
  uint64_t Quantile(double q) const;
  // {count, p50, p90, p99, p999, max}, each value divided by `scale`
  // (e.g. 1000 for ns recorded, us reported).
  nlohmann::json Summary(double scale) const;

 private:
  static size_t Index(uint64_t v);
  static uint64_t UpperEdge(size_t i);

  std::array<uint64_t, (64 - kSubBits + 1) * kSub> counts_{};
  uint64_t total_ = 0;
  uint64_t max_ = 0;
};

}  // namespace signaling::loadgen

#endif  // BENCH_LOADGEN_HISTOGRAM_H_
