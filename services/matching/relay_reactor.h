// The gateway's Relay stream: many client sessions multiplexed over one
// bidirectional gRPC stream, events batched both ways (RelayUp in, RelayDown
// out). Each open event becomes a session of the router; the stream's end
// releases every session it still carries.
#ifndef SERVICES_MATCHING_RELAY_REACTOR_H_
#define SERVICES_MATCHING_RELAY_REACTOR_H_

#include <cstddef>

#include "grpcpp/grpcpp.h"
#include "services/matching/matching_metrics.h"
#include "services/matching/session_router.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

// The reactor of one Relay call; it deletes itself when the call is done.
// RelayDown batches are cut at `batch_bytes`; past `max_queue_bytes` queued
// the stream is cancelled. `router` and `metrics` must outlive the call.
grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>* NewRelayReactor(
    grpc::CallbackServerContext* context, SessionRouter* router, MatchingMetrics* metrics,
    size_t batch_bytes, size_t max_queue_bytes);

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_RELAY_REACTOR_H_
