// The engine's views in the admin API's wire form; see admin_wire.h.
#include "services/matching/admin_wire.h"

#include "google/protobuf/util/time_util.h"

namespace signaling::matching {
namespace {

google::protobuf::Timestamp ToProto(absl::Time t) {
  return google::protobuf::util::TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(t));
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

}  // namespace signaling::matching
