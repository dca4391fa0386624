// The gRPC server and the Matching RPC entry points; see matching_service.h.
#include "services/matching/matching_service.h"

#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/net/grpc_server.h"
#include "common/net/grpc_tls.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/matching/relay_reactor.h"
#include "services/matching/session_reactor.h"

namespace signaling::matching {

MatchingService::MatchingService(const MatchingServerOptions& options,
                                 std::unique_ptr<CallerGuard> guard, SessionRouter* router,
                                 MatchingMetrics* metrics, AdminCluster admin_cluster,
                                 SessionForwarder* forwarder)
    : guard_(std::move(guard)),
      router_(router),
      metrics_(metrics),
      forwarder_(forwarder),
      relay_batch_bytes_(options.relay_batch_bytes),
      max_stream_queue_bytes_(options.max_stream_queue_bytes),
      admin_(guard_.get(), router, admin_cluster),
      peer_(guard_.get(), router) {}

absl::StatusOr<std::unique_ptr<MatchingService>> MatchingService::Start(
    const MatchingServerOptions& options, SessionRouter* router, MatchingMetrics* metrics,
    AdminCluster admin_cluster, SessionForwarder* forwarder) {
  auto credentials = net::ServerCredentials(options.server_tls);
  if (!credentials.ok()) return credentials.status();
  auto guard = CallerGuard::Create(options.callers, options.server_tls, options.registry);
  if (!guard.ok()) return guard.status();
  std::unique_ptr<MatchingService> service(
      new MatchingService(options, *std::move(guard), router, metrics, admin_cluster, forwarder));
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options.listen, *credentials, &service->port_);
  builder.RegisterService(service.get());
  builder.RegisterService(&service->admin_);
  if (options.cluster.enabled()) builder.RegisterService(&service->peer_);
  // Relay batches carry many sessions' messages: sends may be larger.
  net::ApplyServerLimits(builder,
                         {options.max_message_bytes, options.max_message_bytes * 64,
                          options.max_concurrent_streams, 64},
                         "matching");
  service->server_ = builder.BuildAndStart();
  if (service->server_ == nullptr || service->port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options.listen));
  }
  service->server_->GetHealthCheckService()->SetServingStatus(true);
  return service;
}

grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>* MatchingService::Relay(
    grpc::CallbackServerContext* context) {
  if (!guard_->Allow(*context, MatchingRpc::kRelay)) {
    return new RefusedStream<v1::RelayUp, v1::RelayDown>(PermissionDenied(MatchingRpc::kRelay));
  }
  return NewRelayReactor(context, router_, metrics_, relay_batch_bytes_, max_stream_queue_bytes_);
}

grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>* MatchingService::Session(
    grpc::CallbackServerContext* context) {
  if (!guard_->Allow(*context, MatchingRpc::kSession)) {
    return new RefusedStream<v1::ClientMessage, v1::ServerMessage>(
        PermissionDenied(MatchingRpc::kSession));
  }
  return NewSessionReactor(context, router_, metrics_, max_stream_queue_bytes_, forwarder_);
}

void MatchingService::SetNotServing() { server_->GetHealthCheckService()->SetServingStatus(false); }

void MatchingService::Shutdown(absl::Duration grace) {
  server_->GetHealthCheckService()->SetServingStatus(false);
  server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
}

}  // namespace signaling::matching
