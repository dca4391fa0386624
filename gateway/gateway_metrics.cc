// Gateway metrics; see gateway_metrics.h.
#include "gateway/gateway_metrics.h"

namespace signaling::gateway {

absl::Status GatewayMetrics::Register(metrics::Registry& r) {
  auto opened =
      r.AddCounter("signaling_gateway_connections_opened_total", "WebSocket connections accepted.");
  auto closed =
      r.AddCounter("signaling_gateway_connections_closed_total",
                   "WebSocket connections ended, by close code (1006: no close frame).", {"code"});
  auto refused = r.AddCounter("signaling_gateway_upgrades_refused_total",
                              "Upgrade requests refused, by cause.", {"cause"});
  auto messages = r.AddCounter("signaling_gateway_messages_total",
                               "Protocol messages, by direction.", {"direction"});
  auto invalid = r.AddCounter("signaling_gateway_invalid_messages_total",
                              "Frames refused as INVALID_MESSAGE.");
  auto known = r.AddGauge("signaling_gateway_matching_replicas_known",
                          "Matching replicas listed in --matching_target or resolved from it.");
  auto serving = r.AddGauge("signaling_gateway_matching_replicas_serving",
                            "Known matching replicas whose stream is up and not draining.");
  auto resolve_failures =
      r.AddCounter("signaling_gateway_matching_resolve_failures_total",
                   "Lookups of a dns: --matching_target that failed (the replicas were kept).");
  for (const absl::Status& s :
       {opened.status(), closed.status(), refused.status(), messages.status(), invalid.status(),
        known.status(), serving.status(), resolve_failures.status()}) {
    if (!s.ok()) return s;
  }
  opened_ = &(*opened)->With({});
  closed_ = *closed;
  refused_ = *refused;
  in_ = &(*messages)->With({{"direction", "in"}});
  out_ = &(*messages)->With({{"direction", "out"}});
  invalid_ = &(*invalid)->With({});
  replicas_known_ = &(*known)->With({});
  replicas_serving_ = &(*serving)->With({});
  resolve_failures_ = &(*resolve_failures)->With({});
  return absl::OkStatus();
}

void GatewayMetrics::Opened() {
  if (opened_) opened_->Inc();
}
void GatewayMetrics::Closed(int code) {
  if (closed_) closed_->With({{"code", std::to_string(code)}}).Inc();
}
void GatewayMetrics::Refused(const char* cause) {
  if (refused_) refused_->With({{"cause", cause}}).Inc();
}
void GatewayMetrics::MessageIn() {
  if (in_) in_->Inc();
}
void GatewayMetrics::MessageOut() {
  if (out_) out_->Inc();
}
void GatewayMetrics::Invalid() {
  if (invalid_) invalid_->Inc();
}
void GatewayMetrics::Replicas(size_t known, size_t serving) {
  if (replicas_known_) replicas_known_->Set(static_cast<double>(known));
  if (replicas_serving_) replicas_serving_->Set(static_cast<double>(serving));
}
void GatewayMetrics::ResolveFailed() {
  if (resolve_failures_) resolve_failures_->Inc();
}

}  // namespace signaling::gateway
