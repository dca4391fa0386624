// The admin API's wire forms (signaling.v1 Stats and SessionInfo, in
// matching.proto) of the engine's own views. The engine reports EngineStats
// and SessionView; the adapter converts them here, at the edge, so that the
// pure core does not depend on the admin messages. In cluster mode, the
// answers of every replica merged into the cluster's. Pure functions.
#ifndef SERVICES_MATCHING_ADMIN_WIRE_H_
#define SERVICES_MATCHING_ADMIN_WIRE_H_

#include <optional>
#include <string>
#include <vector>

#include "services/matching/pairing_engine.h"
#include "signaling/v1/matching.pb.h"

namespace signaling::matching {

v1::Stats ToWire(const EngineStats& stats);
v1::SessionInfo ToWire(const SessionView& session);
std::vector<v1::SessionInfo> ToWire(const std::vector<SessionView>& sessions);
// One replica's answer to ListSessions.
v1::ListSessionsResponse ToWireList(const std::vector<SessionView>& sessions);

// One replica's part of a cluster-wide admin call: its name, and its
// answer, or nullopt when it did not answer within the admin deadline.
template <typename T>
struct ReplicaAnswer {
  std::string replica;
  std::optional<T> answer;
};

// The cluster's sessions: every answer's, each tagged with the replica that
// gave it, replicas in name order (each one's sessions in its own order);
// the replicas without an answer in `unreachable`, in name order.
v1::ListSessionsResponse MergeSessions(
    std::vector<ReplicaAnswer<v1::ListSessionsResponse>> answers);
// The cluster's counts: each the sum over the replicas that answered, every
// one's own counts in `replicas`, the others in `unreachable`, in name order.
v1::Stats SumStats(std::vector<ReplicaAnswer<v1::Stats>> answers);

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_ADMIN_WIRE_H_
