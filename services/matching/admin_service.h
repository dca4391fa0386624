// The matching service's admin API (MatchingAdmin): list every session,
// the engine's figures, disconnect the acceptor of an id. No state of its
// own.
//
// Alone, it answers from this replica's session router. In cluster mode it
// answers for the cluster: ListSessions and GetStats ask every live member
// of the directory (MatchingPeer's PeerListSessions / PeerGetStats) and
// merge their answers with this replica's (admin_wire.h); DisconnectPeer
// looks the id's holder up in the directory and asks that replica (or
// closes it here). A member that does not answer within the admin deadline
// is listed in the answer's `unreachable` instead of failing or holding up
// the call; the directory unreachable is UNAVAILABLE.
//
// Every handler begins with the caller's authorization: the first
// statement of each method is where a refused caller gets its status.
#ifndef SERVICES_MATCHING_ADMIN_SERVICE_H_
#define SERVICES_MATCHING_ADMIN_SERVICE_H_

#include <functional>
#include <string>

#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "services/matching/admin_wire.h"
#include "services/matching/caller_guard.h"
#include "services/matching/session_router.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

class RedisDirectory;
class PeerClient;

// Cluster mode: where the admin API finds the other replicas. Alone: both
// null, and the API answers for this replica only.
struct AdminCluster {
  RedisDirectory* directory = nullptr;  // its replica() is this one's name
  PeerClient* peers = nullptr;
  // How long a cluster-wide call waits, the directory and the members'
  // answers together (the caller's own deadline, when sooner, wins).
  absl::Duration deadline = absl::Seconds(1);
  bool enabled() const { return directory != nullptr && peers != nullptr; }
};

class AdminService final : public v1::MatchingAdmin::CallbackService {
 public:
  // `guard`, `router` and the cluster's pieces must outlive the service.
  AdminService(CallerGuard* guard, SessionRouter* router, AdminCluster cluster = {})
      : guard_(guard), router_(router), cluster_(cluster) {}

  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const v1::ListSessionsRequest* request,
                                         v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::StatsRequest* request, v1::Stats* response) override;
  grpc::ServerUnaryReactor* DisconnectPeer(grpc::CallbackServerContext* context,
                                           const v1::DisconnectPeerRequest* request,
                                           v1::DisconnectPeerResponse* response) override;

 private:
  template <typename T>
  using Ask = void (PeerClient::*)(const std::string& replica, absl::Time deadline,
                                   std::function<void(absl::StatusOr<T>)> done);
  template <typename T>
  using Merge = T (*)(std::vector<ReplicaAnswer<T>> answers);

  // The cluster-wide call's end: the directory, and then every call to a
  // member, answers by it.
  absl::Time Deadline(const grpc::CallbackServerContext& context) const;
  // Finishes the call with `local` (this replica's answer) alone; in
  // cluster mode with `merge` of it and every other live member's answer to
  // `ask`, or UNAVAILABLE when the directory does not answer.
  template <typename T>
  grpc::ServerUnaryReactor* Answer(grpc::CallbackServerContext* context, T* response, T local,
                                   Ask<T> ask, Merge<T> merge);
  void DisconnectInCluster(const std::string& id, absl::Time deadline,
                           grpc::ServerUnaryReactor* reactor, v1::DisconnectPeerResponse* response);

  CallerGuard* const guard_;
  SessionRouter* const router_;
  const AdminCluster cluster_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_ADMIN_SERVICE_H_
