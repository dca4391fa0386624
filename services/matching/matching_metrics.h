// The matching service's Prometheus metrics, sampled from the engine at
// scrape time (no lock taken on the hot path beyond the engine's own).
#ifndef SERVICES_MATCHING_MATCHING_METRICS_H_
#define SERVICES_MATCHING_MATCHING_METRICS_H_

#include <atomic>
#include <functional>

#include "absl/status/status.h"
#include "common/metrics/metrics.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

class MatchingMetrics {
 public:
  // Registers the families in `registry`.
  absl::Status Register(metrics::Registry& registry);
  // Copies the engine's counters and gauges; call with the engine locked.
  void Sample(PairingEngine& engine);

  void VerifyDone(bool ok, bool unavailable, double seconds);
  // kind: "relay" or "session". No-ops until Register() succeeded.
  void StreamOpened(const char* kind) { StreamGauge(kind, 1); }
  void StreamClosed(const char* kind) { StreamGauge(kind, -1); }

 private:
  void StreamGauge(const char* kind, double delta) {
    metrics::Gauge* gauge = kind[0] == 'r' ? relay_streams_ : session_streams_;
    if (gauge != nullptr) gauge->Inc(delta);
  }

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
  metrics::Histogram* join_to_paired_ = nullptr;
  metrics::Histogram* offer_to_answer_ = nullptr;
  metrics::CounterFamily* verify_calls_ = nullptr;
  metrics::Histogram* verify_seconds_ = nullptr;
  metrics::Gauge* relay_streams_ = nullptr;
  metrics::Gauge* session_streams_ = nullptr;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_MATCHING_METRICS_H_
