// The gateway's Prometheus metrics. Children are resolved once at
// registration (or cached per label value), so updates are lock-free.
#ifndef GATEWAY_GATEWAY_METRICS_H_
#define GATEWAY_GATEWAY_METRICS_H_

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

 private:
  metrics::Counter* opened_ = nullptr;
  metrics::CounterFamily* closed_ = nullptr;
  metrics::CounterFamily* refused_ = nullptr;
  metrics::Counter* in_ = nullptr;
  metrics::Counter* out_ = nullptr;
  metrics::Counter* invalid_ = nullptr;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_GATEWAY_METRICS_H_
