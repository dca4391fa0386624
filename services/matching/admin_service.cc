// The admin API's handlers; see admin_service.h.
#include "services/matching/admin_service.h"

#include "services/matching/admin_wire.h"

namespace signaling::matching {

grpc::ServerUnaryReactor* AdminService::ListSessions(grpc::CallbackServerContext* context,
                                                     const v1::ListSessionsRequest*,
                                                     v1::ListSessionsResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kListSessions))
    return RefuseUnary(context, MatchingRpc::kListSessions);
  auto* reactor = context->DefaultReactor();
  for (const SessionView& session : router_->ListSessions()) {
    *response->add_sessions() = ToWire(session);
  }
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::GetStats(grpc::CallbackServerContext* context,
                                                 const v1::StatsRequest*, v1::Stats* response) {
  if (!guard_->Allow(*context, MatchingRpc::kGetStats))
    return RefuseUnary(context, MatchingRpc::kGetStats);
  auto* reactor = context->DefaultReactor();
  *response = ToWire(router_->Stats());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::DisconnectPeer(grpc::CallbackServerContext* context,
                                                       const v1::DisconnectPeerRequest* request,
                                                       v1::DisconnectPeerResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kDisconnectPeer))
    return RefuseUnary(context, MatchingRpc::kDisconnectPeer);
  auto* reactor = context->DefaultReactor();
  response->set_disconnected(router_->Disconnect(request->peer_id()));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace signaling::matching
