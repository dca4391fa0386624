// Prometheus metrics without prometheus-cpp: a Registry of Counter, Gauge and
// Histogram families with labels, serialized in the text exposition format
// 0.0.4 (https://prometheus.io/docs/instrumenting/exposition_formats/).
//
// Usage:
//   auto family = registry.AddCounter("signaling_ws_closes_total",
//                                     "WebSocket closes by code.", {"code"});
//   if (!family.ok()) return family.status();
//   Counter& normal = (*family)->With({{"code", "1000"}});  // cache this
//   normal.Inc();                                          // lock-free
//
// Registration and With() take a mutex; updates on an obtained child are
// lock-free atomics. Children and families live as long as their Registry and
// are never removed, so references to them stay valid: keep label
// cardinality bounded (codes, kinds, outcomes — never ids or addresses).
#ifndef COMMON_METRICS_METRICS_H_
#define COMMON_METRICS_METRICS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"

namespace signaling::metrics {

// Label name → value. Values may be any string; invalid UTF-8 is replaced by
// U+FFFD so that one bad value cannot make a whole scrape unparseable.
using Labels = std::map<std::string, std::string>;

// A monotonically increasing value. Thread-safe, lock-free.
class Counter {
 public:
  Counter() = default;
  Counter(const Counter&) = delete;
  Counter& operator=(const Counter&) = delete;

  // Adds `v`. Negative and NaN values are ignored: a counter never goes down.
  void Inc(double v = 1);
  // Raises the value to `total` if that is larger, else does nothing. For
  // counters that mirror a monotonic source sampled at scrape time (CPU time).
  void RaiseTo(double total);
  double Value() const;

 private:
  std::atomic<double> value_{0};
};

// A value that goes up and down. Thread-safe, lock-free.
class Gauge {
 public:
  Gauge() = default;
  Gauge(const Gauge&) = delete;
  Gauge& operator=(const Gauge&) = delete;

  void Set(double v);
  void Inc(double v = 1);
  void Dec(double v = 1);
  double Value() const;

 private:
  std::atomic<double> value_{0};
};

// Observations counted into buckets with fixed upper bounds (`le`, inclusive)
// plus an implicit +Inf bucket. Thread-safe, lock-free.
class Histogram {
 public:
  // `bounds` must be finite and strictly increasing (Registry checks this).
  explicit Histogram(std::vector<double> bounds);
  Histogram(const Histogram&) = delete;
  Histogram& operator=(const Histogram&) = delete;

  // Counts `v` in the first bucket whose bound is >= v. NaN is ignored.
  void Observe(double v);

  struct Snapshot {
    std::vector<double> bounds;             // without +Inf
    std::vector<std::uint64_t> cumulative;  // bounds.size() + 1 (last: +Inf)
    double sum = 0;
    std::uint64_t count = 0;  // == cumulative.back()
  };
  // A copy of the current state. Concurrent Observe() calls may be partially
  // visible, but the bucket counts are always cumulative and match `count`.
  Snapshot Collect() const;

 private:
  const std::vector<double> bounds_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;  // per bucket + Inf
  std::atomic<double> sum_{0};
};

// `count` bounds start, start*factor, start*factor^2, … . Invalid arguments
// (start <= 0, factor <= 1, count < 1, or a non-finite result) give an empty
// vector, which AddHistogram rejects.
std::vector<double> ExponentialBuckets(double start, double factor, int count);
// `count` bounds start, start+width, … . Invalid arguments (width <= 0,
// count < 1) give an empty vector, which AddHistogram rejects.
std::vector<double> LinearBuckets(double start, double width, int count);

class Registry;

namespace internal {
class FamilyBase {
 public:
  virtual ~FamilyBase() = default;
  // Appends this family in the text format; nothing if it has no children.
  virtual void Serialize(std::string* out) const = 0;
};
}  // namespace internal

// All children of one metric name, one per distinct set of label values.
// Thread-safe. Owned by its Registry.
template <typename T>
class Family final : public internal::FamilyBase {
 public:
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // The child for `labels`, created on first use (with value 0). The
  // reference stays valid for the Registry's lifetime: look it up once and
  // cache it, With() takes a mutex and allocates. `labels` must have exactly
  // the label names given at registration; on a mismatch (a programming
  // error) a detached child is returned that is never exported.
  T& With(const Labels& labels);

  const std::string& name() const { return name_; }
  const std::vector<std::string>& label_names() const { return label_names_; }

  void Serialize(std::string* out) const override;

 private:
  friend class Registry;
  Family(std::string name, std::string help, std::string type, std::vector<std::string> label_names,
         std::vector<double> bounds);
  std::unique_ptr<T> MakeChild() const;

  const std::string name_;
  const std::string help_;
  const std::string type_;
  const std::vector<std::string> label_names_;  // sorted
  const std::vector<double> bounds_;            // histograms only
  mutable absl::Mutex mu_;
  // Key: label values in label_names_ order.
  std::map<std::vector<std::string>, std::unique_ptr<T>> children_ ABSL_GUARDED_BY(mu_);
  std::unique_ptr<T> detached_ ABSL_GUARDED_BY(mu_);
};

extern template class Family<Counter>;
extern template class Family<Gauge>;
extern template class Family<Histogram>;

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

// A set of metric families. Thread-safe. Families without labels expose
// their single child (value 0) from registration on; labelled families appear
// once With() created a child.
class Registry {
 public:
  Registry() = default;
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Registration fails with InvalidArgument when a name does not match
  // [a-zA-Z_:][a-zA-Z0-9_:]*, a counter name does not end in "_total", a label
  // name does not match [a-zA-Z_][a-zA-Z0-9_]*, starts with "__", repeats, or
  // is "le" on a histogram, or the bounds are empty, non-finite or not
  // strictly increasing; with AlreadyExists when any series name it would
  // expose (for histograms also _bucket, _sum, _count) is taken. The returned
  // family is owned by the Registry and lives as long as it.
  absl::StatusOr<CounterFamily*> AddCounter(std::string_view name, std::string_view help,
                                            std::vector<std::string> label_names = {});
  absl::StatusOr<GaugeFamily*> AddGauge(std::string_view name, std::string_view help,
                                        std::vector<std::string> label_names = {});
  absl::StatusOr<HistogramFamily*> AddHistogram(std::string_view name, std::string_view help,
                                                std::vector<double> bounds,
                                                std::vector<std::string> label_names = {});

  // Runs `collector` at the start of every Serialize(), e.g. to Set() gauges
  // sampled at scrape time. It may call any Registry or Family method. It
  // must be thread-safe and must outlive the Registry's last Serialize().
  void AddCollector(std::function<void()> collector);

  // Runs the collectors, then renders every family, sorted by name, in the
  // text exposition format 0.0.4 (content type
  // "text/plain; version=0.0.4; charset=utf-8").
  std::string Serialize() const;

 private:
  // Validates `name` and claims the series names it exposes.
  absl::Status Reserve(std::string_view name, std::string_view type)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  std::map<std::string, std::unique_ptr<internal::FamilyBase>> families_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> series_names_ ABSL_GUARDED_BY(mu_);
  std::vector<std::function<void()>> collectors_ ABSL_GUARDED_BY(mu_);
};

// The process-wide registry, never destroyed. Thread-safe.
Registry& DefaultRegistry();

// Registers the standard process metrics, sampled from /proc/self at every
// scrape: process_resident_memory_bytes, process_virtual_memory_bytes,
// process_open_fds, process_max_fds, process_cpu_seconds_total and
// process_start_time_seconds. Fails with AlreadyExists when called twice on
// one registry. Linux only; a /proc file that cannot be read leaves its
// metric at its last value.
absl::Status AddProcessMetrics(Registry& registry);

// Text-format helpers, exposed for tests.
// A sample value: "+Inf", "-Inf", "NaN" or the shortest round-trip decimal.
std::string FormatValue(double v);
// Escapes backslash, double quote and newline for a label value.
std::string EscapeLabelValue(std::string_view v);
// Escapes backslash and newline for HELP text.
std::string EscapeHelp(std::string_view v);
bool IsValidMetricName(std::string_view name);
bool IsValidLabelName(std::string_view name);

}  // namespace signaling::metrics

#endif  // COMMON_METRICS_METRICS_H_
