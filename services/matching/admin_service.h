// The matching service's admin API (MatchingAdmin): list every session,
// the engine's figures, disconnect the acceptor of an id. Answers from the
// session router; no state of its own.
//
// Every handler begins with the caller's authorization: the first
// statement of each method is where a refused caller gets its status.
#ifndef SERVICES_MATCHING_ADMIN_SERVICE_H_
#define SERVICES_MATCHING_ADMIN_SERVICE_H_

#include "grpcpp/grpcpp.h"
#include "services/matching/caller_guard.h"
#include "services/matching/session_router.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

class AdminService final : public v1::MatchingAdmin::CallbackService {
 public:
  // `guard` and `router` must outlive the service.
  AdminService(CallerGuard* guard, SessionRouter* router) : guard_(guard), router_(router) {}

  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const v1::ListSessionsRequest* request,
                                         v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context,
                                     const v1::StatsRequest* request, v1::Stats* response) override;
  grpc::ServerUnaryReactor* DisconnectPeer(grpc::CallbackServerContext* context,
                                           const v1::DisconnectPeerRequest* request,
                                           v1::DisconnectPeerResponse* response) override;

 private:
  CallerGuard* const guard_;
  SessionRouter* const router_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_ADMIN_SERVICE_H_
