// The load generator's latency histogram; see histogram.h.
#include "bench/loadgen/histogram.h"

#include <algorithm>

namespace signaling::loadgen {

void Histogram::Record(int64_t v) {
  if (v < 0) v = 0;
  ++counts_[Index(static_cast<uint64_t>(v))];
  ++total_;
  max_ = std::max<uint64_t>(max_, v);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size(); ++i) counts_[i] += other.counts_[i];
  total_ += other.total_;
  max_ = std::max(max_, other.max_);
}

uint64_t Histogram::Quantile(double q) const {
  if (total_ == 0) return 0;
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(q * total_ + 0.5));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::min(UpperEdge(i), max_);
  }
  return max_;
}

nlohmann::json Histogram::Summary(double scale) const {
  return {{"count", total_},
          {"p50", Quantile(0.50) / scale},
          {"p90", Quantile(0.90) / scale},
          {"p99", Quantile(0.99) / scale},
          {"p999", Quantile(0.999) / scale},
          {"max", max_ / scale}};
}

size_t Histogram::Index(uint64_t v) {
  if (v < kSub) return v;
  const int k = 63 - __builtin_clzll(v);
  const uint64_t top = v >> (k - kSubBits);
  return (k - kSubBits + 1) * kSub + (top - kSub);
}

uint64_t Histogram::UpperEdge(size_t i) {
  if (i < static_cast<size_t>(kSub)) return i;
  const int k = static_cast<int>(i / kSub) + kSubBits - 1;
  const uint64_t top = i % kSub + kSub;
  return ((top + 1) << (k - kSubBits)) - 1;
}

}  // namespace signaling::loadgen
