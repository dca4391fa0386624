// Cluster mode: the MatchingPeer service, what the other replicas tell this
// one (a newer claim there evicts a holder here; an acceptor joined there
// for which offerers wait here) and ask of it for the admin API's fan-out
// (this replica's own sessions, counts and disconnections, from its router
// only: a fan-out is never passed on). Each handler begins with the
// caller's authorization (--peer_identities), then hands the call to the
// router.
#ifndef SERVICES_MATCHING_PEER_SERVICE_H_
#define SERVICES_MATCHING_PEER_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "services/matching/caller_guard.h"
#include "services/matching/session_router.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

class PeerService final : public v1::MatchingPeer::CallbackService {
 public:
  // `guard` and `router` must outlive the service.
  PeerService(CallerGuard* guard, SessionRouter* router) : guard_(guard), router_(router) {}

  grpc::ServerUnaryReactor* Evict(grpc::CallbackServerContext* context,
                                  const v1::EvictRequest* request,
                                  v1::EvictResponse* response) override;
  grpc::ServerUnaryReactor* AcceptorArrived(grpc::CallbackServerContext* context,
                                            const v1::AcceptorArrivedRequest* request,
                                            v1::AcceptorArrivedResponse* response) override;
  grpc::ServerUnaryReactor* PeerListSessions(grpc::CallbackServerContext* context,
                                             const v1::ListSessionsRequest* request,
                                             v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* PeerGetStats(grpc::CallbackServerContext* context,
                                         const v1::StatsRequest* request,
                                         v1::Stats* response) override;
  grpc::ServerUnaryReactor* PeerDisconnect(grpc::CallbackServerContext* context,
                                           const v1::DisconnectPeerRequest* request,
                                           v1::DisconnectPeerResponse* response) override;

 private:
  CallerGuard* const guard_;
  SessionRouter* const router_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_PEER_SERVICE_H_
