// The limits every gRPC server of this project applies: message sizes,
// concurrent streams, the keepalive pings it permits, a thread quota.
#ifndef COMMON_NET_GRPC_SERVER_H_
#define COMMON_NET_GRPC_SERVER_H_

#include <string>

#include "grpcpp/server_builder.h"

namespace signaling::net {

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

}  // namespace signaling::net

#endif  // COMMON_NET_GRPC_SERVER_H_
