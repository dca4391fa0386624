// The MatchingPeer handlers; see peer_service.h.
#include "services/matching/peer_service.h"

#include "services/matching/admin_wire.h"

namespace signaling::matching {
namespace {

// The fan-out RPCs are the peer class's (--peer_identities), like Evict;
// CallerPolicy has no entries of their own yet, so they are checked, and a
// refusal counted, under Evict's name.

}  // namespace

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

grpc::ServerUnaryReactor* PeerService::PeerListSessions(grpc::CallbackServerContext* context,
                                                        const v1::ListSessionsRequest*,
                                                        v1::ListSessionsResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kPeerListSessions)) {
    return RefuseUnary(context, MatchingRpc::kPeerListSessions);
  }
  auto* reactor = context->DefaultReactor();
  *response = ToWireList(router_->ListSessions());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* PeerService::PeerGetStats(grpc::CallbackServerContext* context,
                                                    const v1::StatsRequest*, v1::Stats* response) {
  if (!guard_->Allow(*context, MatchingRpc::kPeerGetStats)) {
    return RefuseUnary(context, MatchingRpc::kPeerGetStats);
  }
  auto* reactor = context->DefaultReactor();
  *response = ToWire(router_->Stats());
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* PeerService::PeerDisconnect(grpc::CallbackServerContext* context,
                                                      const v1::DisconnectPeerRequest* request,
                                                      v1::DisconnectPeerResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kPeerDisconnect)) {
    return RefuseUnary(context, MatchingRpc::kPeerDisconnect);
  }
  auto* reactor = context->DefaultReactor();
  response->set_disconnected(router_->Disconnect(request->peer_id()));
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

}  // namespace signaling::matching
