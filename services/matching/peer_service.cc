// The MatchingPeer handlers; see peer_service.h.
#include "services/matching/peer_service.h"

namespace signaling::matching {

grpc::ServerUnaryReactor* PeerService::Evict(grpc::CallbackServerContext* context,
                                             const v1::EvictRequest* request,
                                             v1::EvictResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kEvict)) {
    return RefuseUnary(context, MatchingRpc::kEvict);
  }
  auto* reactor = context->DefaultReactor();
  response->set_evicted(router_->OnEvicted(request->peer_id(), request->fence()));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* PeerService::AcceptorArrived(grpc::CallbackServerContext* context,
                                                       const v1::AcceptorArrivedRequest* request,
                                                       v1::AcceptorArrivedResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kAcceptorArrived)) {
    return RefuseUnary(context, MatchingRpc::kAcceptorArrived);
  }
  auto* reactor = context->DefaultReactor();
  response->set_moved(router_->OnAcceptorArrived(request->peer_id(), request->replica()));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace signaling::matching
