// An internal client's Session stream: one client session over one
// bidirectional gRPC stream (ClientMessage in, ServerMessage out). The token
// comes from the "authorization: Bearer" metadata or the join; the client IP
// is the stream's peer address. The session's close code travels in the
// trailing metadata "signaling-close-code" of a status-OK finish.
#ifndef SERVICES_MATCHING_SESSION_REACTOR_H_
#define SERVICES_MATCHING_SESSION_REACTOR_H_

#include <cstddef>
#include <string>

#include "grpcpp/grpcpp.h"
#include "services/matching/cluster/session_forward.h"
#include "services/matching/matching_metrics.h"
#include "services/matching/session_router.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

// The reactor of one Session call; it deletes itself when the call is done.
// Past `max_queue_bytes` queued towards the client the stream is cancelled.
// Cluster mode (`forwarder` set): an offerer moved to the replica holding
// its target is carried on there through this stream (session_forward.h).
// `router`, `metrics` and `forwarder` must outlive the call.
grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>* NewSessionReactor(
    grpc::CallbackServerContext* context, SessionRouter* router, MatchingMetrics* metrics,
    size_t max_queue_bytes, SessionForwarder* forwarder = nullptr);

// "ipv4:127.0.0.1:5000" -> "127.0.0.1", "ipv6:[::1]:5000" -> "::1".
std::string PeerIp(const std::string& grpc_peer);

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_SESSION_REACTOR_H_
