// Cluster mode's metrics; see cluster_metrics.h.
#include "services/matching/cluster/cluster_metrics.h"

namespace signaling::matching {

absl::Status ClusterMetrics::Register(metrics::Registry& registry) {
  auto seconds = registry.AddHistogram("signaling_matching_redis_seconds",
                                       "Redis calls of the cluster directory, queued to answered.",
                                       metrics::ExponentialBuckets(0.0001, 2, 16));
  if (!seconds.ok()) return seconds.status();
  auto errors = registry.AddCounter("signaling_matching_redis_errors_total",
                                    "Redis calls that failed or timed out.");
  if (!errors.ok()) return errors.status();
  auto renewals = registry.AddCounter("signaling_matching_lease_renewals_total",
                                      "Membership renewals, by result.", {"result"});
  if (!renewals.ok()) return renewals.status();
  auto live = registry.AddGauge("signaling_matching_lease_live",
                                "1 while this replica's lease is live (not fenced).");
  if (!live.ok()) return live.status();
  auto changes = registry.AddCounter("signaling_matching_membership_changes_total",
                                     "Changes of this replica's lease: became live, or fenced.",
                                     {"change"});
  if (!changes.ok()) return changes.status();
  auto reasserted =
      registry.AddCounter("signaling_matching_reasserted_total",
                          "Ids re-asserted in the directory, by outcome.", {"result"});
  if (!reasserted.ok()) return reasserted.status();
  auto peer =
      registry.AddCounter("signaling_matching_peer_calls_total",
                          "Calls to the other replicas, by RPC and result.", {"result", "rpc"});
  if (!peer.ok()) return peer.status();
  redis_seconds_ = &(*seconds)->With({});
  redis_errors_ = &(*errors)->With({});
  renewals_ = *renewals;
  lease_live_ = &(*live)->With({});
  changes_ = *changes;
  reasserted_ = *reasserted;
  peer_calls_ = *peer;
  return absl::OkStatus();
}

void ClusterMetrics::RedisCall(absl::Duration took, bool ok) {
  if (redis_seconds_ == nullptr) return;
  redis_seconds_->Observe(absl::ToDoubleSeconds(took));
  if (!ok) redis_errors_->Inc();
}

void ClusterMetrics::Renewal(const char* result) {
  if (renewals_ != nullptr) renewals_->With({{"result", result}}).Inc();
}

void ClusterMetrics::LeaseLive(bool live) {
  if (lease_live_ == nullptr) return;
  lease_live_->Set(live ? 1 : 0);
  if (last_live_.exchange(live ? 1 : 0) != (live ? 1 : 0)) {
    changes_->With({{"change", live ? "live" : "fenced"}}).Inc();
  }
}

void ClusterMetrics::Reasserted(const char* result) {
  if (reasserted_ != nullptr) reasserted_->With({{"result", result}}).Inc();
}

void ClusterMetrics::PeerCall(const char* rpc, bool ok) {
  if (peer_calls_ != nullptr)
    peer_calls_->With({{"result", ok ? "ok" : "failed"}, {"rpc", rpc}}).Inc();
}

}  // namespace signaling::matching
