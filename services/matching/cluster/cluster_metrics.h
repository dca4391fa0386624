// Cluster mode's Prometheus metrics: Redis call latency and failures, the
// membership's renewals, whether its lease is live and how often that
// changed, re-assertions by outcome, and calls to the other replicas. Every
// method is a no-op until Register() succeeded. Thread-safe.
#ifndef SERVICES_MATCHING_CLUSTER_CLUSTER_METRICS_H_
#define SERVICES_MATCHING_CLUSTER_CLUSTER_METRICS_H_

#include <atomic>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"

namespace signaling::matching {

class ClusterMetrics {
 public:
  absl::Status Register(metrics::Registry& registry);

  void RedisCall(absl::Duration took, bool ok);
  // result: "ok", "failed" or "superseded".
  void Renewal(const char* result);
  // Sets the gauge; a change from the last state (or the first) also
  // counts in membership_changes_total{change="live"|"fenced"}.
  void LeaseLive(bool live);
  // result: "kept", "lost" or "displaced".
  void Reasserted(const char* result);
  // rpc: "Evict" or "AcceptorArrived".
  void PeerCall(const char* rpc, bool ok);

 private:
  metrics::Histogram* redis_seconds_ = nullptr;
  metrics::Counter* redis_errors_ = nullptr;
  metrics::CounterFamily* renewals_ = nullptr;
  metrics::Gauge* lease_live_ = nullptr;
  metrics::CounterFamily* changes_ = nullptr;
  std::atomic<int> last_live_{-1};  // -1: not set yet
  metrics::CounterFamily* reasserted_ = nullptr;
  metrics::CounterFamily* peer_calls_ = nullptr;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_CLUSTER_METRICS_H_
