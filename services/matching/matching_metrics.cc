// Matching metrics; see matching_metrics.h.
#include "services/matching/matching_metrics.h"

#include <utility>
#include <vector>

namespace signaling::matching {
namespace {

template <typename T>
absl::Status Assign(absl::StatusOr<T> result, T* out) {
  if (!result.ok()) return result.status();
  *out = *result;
  return absl::OkStatus();
}

}  // namespace

absl::Status MatchingMetrics::Register(metrics::Registry& r) {
  metrics::GaugeFamily* ids = nullptr;
  metrics::GaugeFamily* pairings = nullptr;
  metrics::GaugeFamily* waiting = nullptr;
  metrics::CounterFamily* joins = nullptr;
  metrics::CounterFamily* started = nullptr;
  metrics::CounterFamily* completed = nullptr;
  metrics::CounterFamily* rate_limited = nullptr;
  metrics::CounterFamily* auth_throttled = nullptr;
  metrics::CounterFamily* redirects = nullptr;
  metrics::CounterFamily* fenced = nullptr;
  metrics::CounterFamily* evictions = nullptr;
  metrics::HistogramFamily* join_to_paired = nullptr;
  metrics::HistogramFamily* offer_to_answer = nullptr;
  metrics::HistogramFamily* verify_seconds = nullptr;
  metrics::GaugeFamily* streams = nullptr;
  const auto latency = metrics::ExponentialBuckets(0.0005, 2, 16);  // 0.5 ms .. 16 s
  absl::Status s;
  for (absl::Status st : {
           Assign(r.AddGauge("signaling_matching_sessions", "Open sessions by role.", {"role"}),
                  &sessions_),
           Assign(r.AddGauge("signaling_matching_ids", "Registered acceptor ids."), &ids),
           Assign(r.AddGauge("signaling_matching_pairings", "Live pairings."), &pairings),
           Assign(r.AddGauge("signaling_matching_waiting_offerers",
                             "Offerers waiting for their acceptor."),
                  &waiting),
           Assign(r.AddCounter("signaling_matching_joins_total", "Accepted joins."), &joins),
           Assign(r.AddCounter("signaling_matching_pairings_started_total", "Pairings started."),
                  &started),
           Assign(r.AddCounter("signaling_matching_pairings_completed_total",
                               "Pairings whose first answer arrived."),
                  &completed),
           Assign(r.AddCounter("signaling_matching_pairings_ended_total",
                               "Pairings ended, by reason.", {"reason"}),
                  &pairings_ended_),
           Assign(r.AddCounter("signaling_matching_messages_relayed_total",
                               "Messages relayed, by kind.", {"kind"}),
                  &relayed_),
           Assign(r.AddCounter("signaling_matching_refused_total",
                               "Refused client messages, by error code.", {"code"}),
                  &refused_),
           Assign(r.AddCounter("signaling_matching_rate_limited_total",
                               "Messages refused by the rate limit."),
                  &rate_limited),
           Assign(r.AddCounter("signaling_matching_auth_throttled_total",
                               "Joins delayed or refused after repeated authentication failures "
                               "from one address."),
                  &auth_throttled),
           Assign(r.AddCounter("signaling_matching_redirects_total",
                               "Cluster mode: offerers moved to the replica holding their target."),
                  &redirects),
           Assign(r.AddCounter("signaling_matching_fenced_refusals_total",
                               "Cluster mode: joins refused while this replica's lease lapsed."),
                  &fenced),
           Assign(r.AddCounter("signaling_matching_evictions_total",
                               "Cluster mode: holders closed because a newer claim won."),
                  &evictions),
           Assign(r.AddHistogram("signaling_matching_join_to_paired_seconds",
                                 "Time from an offerer's join to paired.", latency),
                  &join_to_paired),
           Assign(r.AddHistogram("signaling_matching_offer_to_answer_seconds",
                                 "Time from offer to answer.", latency),
                  &offer_to_answer),
           Assign(r.AddCounter("signaling_matching_verify_calls_total",
                               "Token verification calls, by result.", {"result"}),
                  &verify_calls_),
           Assign(r.AddHistogram("signaling_matching_verify_seconds", "Token verification latency.",
                                 latency),
                  &verify_seconds),
           Assign(r.AddGauge("signaling_matching_grpc_streams", "Open gRPC streams, by kind.",
                             {"kind"}),
                  &streams),
       }) {
    if (!st.ok()) return st;
  }
  ids_ = &ids->With({});
  pairings_ = &pairings->With({});
  waiting_ = &waiting->With({});
  joins_ = &joins->With({});
  pairings_started_ = &started->With({});
  pairings_completed_ = &completed->With({});
  rate_limited_ = &rate_limited->With({});
  auth_throttled_ = &auth_throttled->With({});
  redirects_ = &redirects->With({});
  fenced_refusals_ = &fenced->With({});
  evictions_ = &evictions->With({});
  join_to_paired_ = &join_to_paired->With({});
  offer_to_answer_ = &offer_to_answer->With({});
  verify_seconds_ = &verify_seconds->With({});
  relay_streams_ = &streams->With({{"kind", "relay"}});
  session_streams_ = &streams->With({{"kind", "session"}});
  for (const char* reason : {"LEFT", "DISCONNECTED", "TIMEOUT", "REPLACED"}) {
    pairings_ended_->With({{"reason", reason}});
  }
  for (const char* result : {"ok", "unauthenticated", "unavailable"}) {
    verify_calls_->With({{"result", result}});
  }
  return absl::OkStatus();
}

EngineSnapshot TakeSnapshot(PairingEngine& engine) {
  EngineSnapshot snapshot;
  snapshot.stats = engine.Stats();
  snapshot.sessions_by_role = engine.SessionsByRole();
  EngineCounters& c = engine.counters();
  // The samples are moved, not copied: the rest of the counters is small.
  std::vector<double> join_to_paired = std::move(c.join_to_paired_seconds);
  std::vector<double> offer_to_answer = std::move(c.offer_to_answer_seconds);
  c.join_to_paired_seconds.clear();
  c.offer_to_answer_seconds.clear();
  snapshot.counters = c;
  snapshot.counters.join_to_paired_seconds = std::move(join_to_paired);
  snapshot.counters.offer_to_answer_seconds = std::move(offer_to_answer);
  return snapshot;
}

void MatchingMetrics::Collect(absl::FunctionRef<EngineSnapshot()> take) {
  absl::MutexLock lock(&collect_mu_);
  Mirror(take());
}

void MatchingMetrics::Mirror(const EngineSnapshot& snapshot) {
  if (sessions_ == nullptr) return;
  const auto& by_role = snapshot.sessions_by_role;
  sessions_->With({{"role", "ACCEPTOR"}}).Set(by_role[v1::ACCEPTOR]);
  sessions_->With({{"role", "OFFERER"}}).Set(by_role[v1::OFFERER]);
  sessions_->With({{"role", "NONE"}}).Set(by_role[v1::ROLE_UNSPECIFIED]);
  ids_->Set(snapshot.stats.ids);
  pairings_->Set(snapshot.stats.pairings);
  waiting_->Set(snapshot.stats.waiting_offerers);
  const EngineCounters& c = snapshot.counters;
  joins_->RaiseTo(c.joins);
  pairings_started_->RaiseTo(c.pairings_started);
  pairings_completed_->RaiseTo(c.pairings_completed);
  for (int reason = 1; reason <= 4; ++reason) {
    pairings_ended_->With({{"reason", v1::PeerLeft::Reason_Name(reason)}})
        .RaiseTo(c.pairings_ended[reason]);
  }
  const char* kinds[] = {"offer", "answer", "iceCandidate"};
  for (int k = 0; k < 3; ++k) relayed_->With({{"kind", kinds[k]}}).RaiseTo(c.relayed[k]);
  for (const auto& [code, count] : c.refused) refused_->With({{"code", code}}).RaiseTo(count);
  rate_limited_->RaiseTo(c.rate_limited);
  auth_throttled_->RaiseTo(c.auth_throttled);
  redirects_->RaiseTo(c.redirects);
  fenced_refusals_->RaiseTo(c.fenced_refusals);
  evictions_->RaiseTo(c.evictions);
  for (double v : c.join_to_paired_seconds) join_to_paired_->Observe(v);
  for (double v : c.offer_to_answer_seconds) offer_to_answer_->Observe(v);
}

void MatchingMetrics::VerifyDone(bool ok, bool unavailable, double seconds) {
  if (verify_calls_ == nullptr) return;
  verify_calls_->With({{"result", ok            ? "ok"
                                  : unavailable ? "unavailable"
                                                : "unauthenticated"}})
      .Inc();
  verify_seconds_->Observe(seconds);
}

}  // namespace signaling::matching
