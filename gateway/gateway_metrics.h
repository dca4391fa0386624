// The gateway's Prometheus metrics. Children are resolved once at
// registration (or cached per label value), so updates are lock-free.
#ifndef GATEWAY_GATEWAY_METRICS_H_
#define GATEWAY_GATEWAY_METRICS_H_

#include <cstddef>
#include <string>

#include "absl/status/status.h"
#include "common/metrics/metrics.h"

namespace signaling::gateway {

class GatewayMetrics {
 public:
  // Registers the families; without a call every method is a no-op.
  absl::Status Register(metrics::Registry& registry);

  void Opened();
  void Closed(int code);
  void Refused(const char* cause);
  void MessageIn();
  void MessageOut();
  void Invalid();
  // The matching replicas listed or resolved now, and how many of them are
  // serving (stream up, not draining); set by the RelayPool's thread.
  void Replicas(size_t known, size_t serving);
  // A lookup of a dns: matching target failed (the replicas were kept).
  void ResolveFailed();

 private:
  metrics::Counter* opened_ = nullptr;
  metrics::CounterFamily* closed_ = nullptr;
  metrics::CounterFamily* refused_ = nullptr;
  metrics::Counter* in_ = nullptr;
  metrics::Counter* out_ = nullptr;
  metrics::Counter* invalid_ = nullptr;
  metrics::Gauge* replicas_known_ = nullptr;
  metrics::Gauge* replicas_serving_ = nullptr;
  metrics::Counter* resolve_failures_ = nullptr;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_GATEWAY_METRICS_H_
