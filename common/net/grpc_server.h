// The limits every gRPC server and client channel of this project applies:
// message sizes, concurrent streams, keepalive, a thread quota, backoff.
#ifndef COMMON_NET_GRPC_SERVER_H_
#define COMMON_NET_GRPC_SERVER_H_

#include <cstddef>
#include <string>

#include "grpcpp/server_builder.h"
#include "grpcpp/support/channel_arguments.h"

namespace signaling::net {

// The gateway<->matching Relay stream carries many sessions' events per
// message. Each side cuts its batches at this many bytes (a single larger
// event travels alone), far below both sides' receive limits, so that a
// backlog never turns into one message the peer must refuse (which would
// end the stream and every session on it).
inline constexpr size_t kRelayBatchBytes = 128 * 1024;
// Bytes one side may queue on a Relay stream before it gives the stream up.
inline constexpr size_t kRelayMaxQueueBytes = 64 * 1024 * 1024;

struct GrpcServerLimits {
  int max_receive_bytes = 64 * 1024;
  int max_send_bytes = 64 * 1024;
  int max_concurrent_streams = 1000;
  int max_threads = 32;
};

// Applies `limits` and the keepalive policy to `builder`. `quota_name`
// names the resource quota in gRPC's own diagnostics.
void ApplyServerLimits(grpc::ServerBuilder& builder, const GrpcServerLimits& limits,
                       const std::string& quota_name);

// The arguments of every client channel between our services: keepalive
// pings every 20 s (the servers above permit 10 s), a reconnect backoff
// capped at 2 s so that a restarted peer is used again quickly, and the
// largest message accepted from the peer.
grpc::ChannelArguments ClientChannelArguments(int max_receive_bytes);

}  // namespace signaling::net

#endif  // COMMON_NET_GRPC_SERVER_H_
