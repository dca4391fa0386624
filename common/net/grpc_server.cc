// Shared gRPC server limits; see grpc_server.h.
#include "common/net/grpc_server.h"

#include "grpcpp/resource_quota.h"

namespace signaling::net {

void ApplyServerLimits(grpc::ServerBuilder& builder, const GrpcServerLimits& limits,
                       const std::string& quota_name) {
  builder.SetMaxReceiveMessageSize(limits.max_receive_bytes);
  builder.SetMaxSendMessageSize(limits.max_send_bytes);
  builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS, limits.max_concurrent_streams);
  // Clients may ping every 10 s without data; two strikes and the
  // connection is closed (protects against ping floods).
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 2);
  builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
  grpc::ResourceQuota quota(quota_name);
  quota.SetMaxThreads(limits.max_threads);
  builder.SetResourceQuota(quota);
}

grpc::ChannelArguments ClientChannelArguments(int max_receive_bytes) {
  grpc::ChannelArguments args;
  args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 20000);
  args.SetInt(GRPC_ARG_KEEPALIVE_TIMEOUT_MS, 10000);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 2000);
  args.SetMaxReceiveMessageSize(max_receive_bytes);
  return args;
}

}  // namespace signaling::net
