// The matching service's network adapter: gRPC streams (the gateway's
// multiplexed Relay, internal clients' Session), the admin API and health,
// wired to one PairingEngine. Token verification is delegated to the auth
// service over gRPC with a deadline, failing closed.
//
// Thread-safety: all methods may be called from any thread. The engine is
// guarded by one mutex; reactors never block while holding it.
#ifndef SERVICES_MATCHING_MATCHING_SERVER_H_
#define SERVICES_MATCHING_MATCHING_SERVER_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/net/grpc_server.h"
#include "common/net/grpc_tls.h"
#include "common/redis/client.h"
#include "services/matching/caller_policy.h"
#include "services/matching/cluster/membership.h"
#include "services/matching/pairing_engine.h"
#include "signaling/v1/matching.pb.h"

namespace signaling::matching {

// Several replicas sharing their ids through Redis (docs/scaling.md). Off
// unless a Redis address or sentinels are given.
struct ClusterOptions {
  redis::ClientOptions redis;  // address or sentinels, credentials, timeouts
  // This replica's address for gateways and the other replicas: its name.
  std::string advertise;
  std::string key_prefix = "signaling:";
  MembershipOptions membership;
  net::GrpcClientTls peer_tls;  // towards the other replicas
  bool enabled() const { return !redis.address.empty() || !redis.sentinels.empty(); }
};

struct MatchingServerOptions {
  std::string listen = "127.0.0.1:0";
  std::string auth_target;  // host:port of the token-verification service
  absl::Duration verify_deadline = absl::Seconds(2);
  EngineLimits limits;
  net::GrpcServerTls server_tls;  // plaintext only when insecure is set
  // Who may call which RPC, by mTLS client identity (see caller_guard.h).
  CallerIdentities callers;
  ClusterOptions cluster;
  net::GrpcClientTls auth_tls;
  int max_message_bytes = 256 * 1024;
  int max_concurrent_streams = 10000;
  // Bytes queued for one stream beyond which the stream is cancelled.
  size_t max_stream_queue_bytes = net::kRelayMaxQueueBytes;
  // RelayDown batches are cut at this size (an event larger than it travels
  // alone), so that no write exceeds the send or the gateway's receive limit.
  size_t relay_batch_bytes = net::kRelayBatchBytes;
  // Where metrics are registered; nullptr: none. Must outlive the server.
  metrics::Registry* registry = nullptr;
};

class MatchingServer {
 public:
  // Starts serving; port() tells the bound port when listen ends in ":0".
  static absl::StatusOr<std::unique_ptr<MatchingServer>> Start(MatchingServerOptions options);
  ~MatchingServer();

  int port() const;
  // Stops accepting, closes live sessions with 1001 and waits up to `grace`
  // for in-flight calls. Idempotent.
  void Shutdown(absl::Duration grace);
  // Marks the service not serving (health), before a drain.
  void SetNotServing();
  // Serving and not shutting down (for /readyz).
  bool Ready() const;
  v1::Stats Stats() const;

  class Impl;

 private:
  explicit MatchingServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_MATCHING_SERVER_H_
