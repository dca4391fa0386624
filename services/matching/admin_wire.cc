// The engine's views in the admin API's wire form; see admin_wire.h.
#include "services/matching/admin_wire.h"

#include <algorithm>

#include "google/protobuf/util/time_util.h"

namespace signaling::matching {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
}

template <typename T>
void SortByReplica(std::vector<ReplicaAnswer<T>>& answers) {
  std::stable_sort(answers.begin(), answers.end(),
                   [](const auto& a, const auto& b) { return a.replica < b.replica; });
}

}  // namespace

v1::Stats ToWire(const EngineStats& stats) {
  v1::Stats wire;
  wire.set_sessions(stats.sessions);
  wire.set_ids(stats.ids);
  wire.set_pairings(stats.pairings);
  wire.set_waiting_offerers(stats.waiting_offerers);
  wire.set_pending_verifications(stats.pending_verifications);
  wire.set_timers(stats.timers);
  return wire;
}

v1::SessionInfo ToWire(const SessionView& session) {
  v1::SessionInfo info;
  info.set_session_id(session.session_id);
  info.set_role(session.role);
  if (session.role == v1::ACCEPTOR) info.set_peer_id(session.id);
  if (session.role == v1::OFFERER) info.set_target_id(session.id);
  info.set_subject(session.subject);
  info.set_state(std::string(session.state));
  info.set_client_ip(session.client_ip);
  *info.mutable_connected_at() = ToProto(session.connected_at);
  *info.mutable_last_activity() = ToProto(session.last_activity);
  info.set_messages_in(session.messages_in);
  info.set_messages_out(session.messages_out);
  return info;
}

std::vector<v1::SessionInfo> ToWire(const std::vector<SessionView>& sessions) {
  std::vector<v1::SessionInfo> wire;
  wire.reserve(sessions.size());
  for (const SessionView& s : sessions) wire.push_back(ToWire(s));
  return wire;
}

v1::ListSessionsResponse ToWireList(const std::vector<SessionView>& sessions) {
  v1::ListSessionsResponse wire;
  for (const SessionView& s : sessions) *wire.add_sessions() = ToWire(s);
  return wire;
}

v1::ListSessionsResponse MergeSessions(
    std::vector<ReplicaAnswer<v1::ListSessionsResponse>> answers) {
  SortByReplica(answers);
  v1::ListSessionsResponse merged;
  for (auto& [replica, answer] : answers) {
    if (!answer.has_value()) {
      merged.add_unreachable(replica);
      continue;
    }
    for (v1::SessionInfo& session : *answer->mutable_sessions()) {
      session.set_replica(replica);
      *merged.add_sessions() = std::move(session);
    }
  }
  return merged;
}

v1::Stats SumStats(std::vector<ReplicaAnswer<v1::Stats>> answers) {
  SortByReplica(answers);
  v1::Stats sum;
  for (auto& [replica, answer] : answers) {
    if (!answer.has_value()) {
      sum.add_unreachable(replica);
      continue;
    }
    const v1::Stats& s = *answer;
    sum.set_sessions(sum.sessions() + s.sessions());
    sum.set_ids(sum.ids() + s.ids());
    sum.set_pairings(sum.pairings() + s.pairings());
    sum.set_waiting_offerers(sum.waiting_offerers() + s.waiting_offerers());
    sum.set_pending_verifications(sum.pending_verifications() + s.pending_verifications());
    sum.set_timers(sum.timers() + s.timers());
    v1::ReplicaStats* own = sum.add_replicas();
    own->set_replica(replica);
    *own->mutable_stats() = std::move(*answer);
    // A replica's own figures, not nested cluster figures.
    own->mutable_stats()->clear_replicas();
    own->mutable_stats()->clear_unreachable();
  }
  return sum;
}

}  // namespace signaling::matching
