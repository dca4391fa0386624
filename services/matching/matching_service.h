// The matching service's gRPC server: owns the grpc::Server, registers the
// Matching service (Relay for the gateway, Session for internal clients),
// the admin API and gRPC health. The RPC entry points live here and in
// admin_service.cc; each begins with the caller's authorization, then hands
// the call to its reactor, which talks to the session router.
#ifndef SERVICES_MATCHING_MATCHING_SERVICE_H_
#define SERVICES_MATCHING_MATCHING_SERVICE_H_

#include <memory>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "services/matching/admin_service.h"
#include "services/matching/caller_guard.h"
#include "services/matching/cluster/session_forward.h"
#include "services/matching/matching_metrics.h"
#include "services/matching/matching_server.h"
#include "services/matching/peer_service.h"
#include "services/matching/session_router.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

class MatchingService final : public v1::Matching::CallbackService {
 public:
  // Listens on options.listen and starts serving (health SERVING).
  // `router`, `metrics` and the cluster pieces (cluster mode: the admin API
  // answers for every replica, Session streams moved elsewhere are carried
  // on through `forwarder`) must outlive the service.
  static absl::StatusOr<std::unique_ptr<MatchingService>> Start(
      const MatchingServerOptions& options, SessionRouter* router, MatchingMetrics* metrics,
      AdminCluster admin_cluster = {}, SessionForwarder* forwarder = nullptr);

  grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>* Relay(
      grpc::CallbackServerContext* context) override;
  grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>* Session(
      grpc::CallbackServerContext* context) override;

  int port() const { return port_; }
  // Health NOT_SERVING (before a drain).
  void SetNotServing();
  // Health NOT_SERVING, stops accepting, waits up to `grace` for the calls
  // in flight, then cancels them.
  void Shutdown(absl::Duration grace);

 private:
  MatchingService(const MatchingServerOptions& options, std::unique_ptr<CallerGuard> guard,
                  SessionRouter* router, MatchingMetrics* metrics, AdminCluster admin_cluster,
                  SessionForwarder* forwarder);

  const std::unique_ptr<CallerGuard> guard_;
  SessionRouter* const router_;
  MatchingMetrics* const metrics_;
  SessionForwarder* const forwarder_;  // nullptr: matching runs alone
  const size_t relay_batch_bytes_;
  const size_t max_stream_queue_bytes_;
  AdminService admin_;
  PeerService peer_;  // registered in cluster mode only
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;  // last: stopped before the rest goes
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_MATCHING_SERVICE_H_
