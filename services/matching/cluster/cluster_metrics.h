// Cluster mode's Prometheus metrics: Redis call latency and failures, the
// membership's renewals and whether its lease is live, re-assertions by
// outcome, and calls to the other replicas. Every method is a no-op until
// Register() succeeded. Thread-safe.
#ifndef SERVICES_MATCHING_CLUSTER_CLUSTER_METRICS_H_
#define SERVICES_MATCHING_CLUSTER_CLUSTER_METRICS_H_

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
  metrics::CounterFamily* reasserted_ = nullptr;
  metrics::CounterFamily* peer_calls_ = nullptr;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_CLUSTER_METRICS_H_
