// The matching service's Prometheus metrics. At scrape time the engine's
// counters are copied under its lock (TakeSnapshot) and mirrored into the
// metric families after the lock is released (Mirror), so that a scrape
// does not stall the engine while it updates metrics.
#ifndef SERVICES_MATCHING_MATCHING_METRICS_H_
#define SERVICES_MATCHING_MATCHING_METRICS_H_

#include <array>
#include <cstddef>

#include "absl/base/thread_annotations.h"
#include "absl/functional/function_ref.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "common/metrics/metrics.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

// What a scrape mirrors, taken from the engine in one go.
struct EngineSnapshot {
  EngineStats stats;
  std::array<size_t, 3> sessions_by_role{};  // indexed by v1::Role
  EngineCounters counters;                   // the latency samples since the last one
};

// Copies the engine's counters and moves its latency samples out (the
// engine starts collecting anew). Call with the engine locked; touches no
// metric.
EngineSnapshot TakeSnapshot(PairingEngine& engine);

class MatchingMetrics {
 public:
  // Registers the families in `registry`.
  absl::Status Register(metrics::Registry& registry);
  // One scrape: calls `take` (which locks the engine just long enough to
  // return TakeSnapshot) and mirrors its result with no engine lock held.
  // Scrapes are serialized, so that a gauge never goes back to an older
  // snapshot. Thread-safe.
  void Collect(absl::FunctionRef<EngineSnapshot()> take) ABSL_LOCKS_EXCLUDED(collect_mu_);
  // Mirrors a snapshot into the families (counters raised to its totals,
  // samples observed). No-op until Register() succeeded.
  void Mirror(const EngineSnapshot& snapshot);

  void VerifyDone(bool ok, bool unavailable, double seconds);
  // kind: "relay" or "session". No-ops until Register() succeeded.
  void StreamOpened(const char* kind) { StreamGauge(kind, 1); }
  void StreamClosed(const char* kind) { StreamGauge(kind, -1); }

 private:
  void StreamGauge(const char* kind, double delta) {
    metrics::Gauge* gauge = kind[0] == 'r' ? relay_streams_ : session_streams_;
    if (gauge != nullptr) gauge->Inc(delta);
  }

  absl::Mutex collect_mu_;
  metrics::GaugeFamily* sessions_ = nullptr;
  metrics::Gauge* ids_ = nullptr;
  metrics::Gauge* pairings_ = nullptr;
  metrics::Gauge* waiting_ = nullptr;
  metrics::Counter* joins_ = nullptr;
  metrics::Counter* pairings_started_ = nullptr;
  metrics::Counter* pairings_completed_ = nullptr;
  metrics::CounterFamily* pairings_ended_ = nullptr;
  metrics::CounterFamily* relayed_ = nullptr;
  metrics::CounterFamily* refused_ = nullptr;
  metrics::Counter* rate_limited_ = nullptr;
  metrics::Counter* auth_throttled_ = nullptr;
  metrics::Counter* redirects_ = nullptr;
  metrics::Counter* fenced_refusals_ = nullptr;
  metrics::Counter* evictions_ = nullptr;
  metrics::Histogram* join_to_paired_ = nullptr;
  metrics::Histogram* offer_to_answer_ = nullptr;
  metrics::CounterFamily* verify_calls_ = nullptr;
  metrics::Histogram* verify_seconds_ = nullptr;
  metrics::Gauge* relay_streams_ = nullptr;
  metrics::Gauge* session_streams_ = nullptr;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_MATCHING_METRICS_H_
