// The matching service assembled: metrics, the token verifier, the session
// router and the gRPC server, started and stopped in order; see
// matching_server.h.
#include "services/matching/matching_server.h"

#include <atomic>
#include <utility>

#include "services/matching/admin_wire.h"
#include "services/matching/clock.h"
#include "services/matching/cluster/redis_cluster_link.h"
#include "services/matching/cluster/session_forward.h"
#include "services/matching/grpc_token_verifier.h"
#include "services/matching/matching_metrics.h"
#include "services/matching/matching_service.h"
#include "services/matching/session_router.h"

namespace signaling::matching {
namespace {

// reconnectAfterMs of the goAway sent when the service shuts down.
constexpr uint32_t kShutdownReconnectMs = 1000;

}  // namespace

// Members in construction order; destroyed in reverse, the server first.
class MatchingServer::Impl {
 public:
  explicit Impl(MatchingServerOptions options) : options_(std::move(options)) {}

  absl::Status Init() {
    if (options_.registry != nullptr) {
      if (absl::Status st = metrics_.Register(*options_.registry); !st.ok()) return st;
    }
    auto verifier =
        GrpcTokenVerifier::Create(options_.auth_target, options_.auth_tls, &clock_, &metrics_);
    if (!verifier.ok()) return verifier.status();
    verifier_ = *std::move(verifier);
    if (absl::Status st = InitCluster(); !st.ok()) return st;
    router_ = std::make_unique<SessionRouter>(
        SessionRouterOptions{options_.limits, options_.verify_deadline, kShutdownReconnectMs},
        &clock_, verifier_.get(), nullptr, link_.get());
    // Cluster mode: the admin API answers for every replica, and Session
    // streams moved to another replica are carried on there.
    auto service =
        MatchingService::Start(options_, router_.get(), &metrics_,
                               AdminCluster{directory_.get(), peers_.get()}, forwarder_.get());
    if (!service.ok()) return service.status();
    service_ = *std::move(service);
    if (link_ != nullptr) {
      membership_ =
          std::make_unique<Membership>(options_.cluster.membership, redis_.get(), directory_.get(),
                                       router_.get(), peers_.get(), &cluster_metrics_);
      link_->SetMembership(membership_.get());
      membership_->Start();
    }
    if (options_.registry != nullptr) {
      options_.registry->AddCollector(
          [this] { metrics_.Collect([this] { return router_->TakeMetricsSnapshot(); }); });
    }
    serving_ = true;
    router_->StartTimers();
    return absl::OkStatus();
  }

  // The cluster's pieces, when configured: the Redis client (loading the
  // directory's functions on every connection), the directory, the peers.
  absl::Status InitCluster() {
    const ClusterOptions& cluster = options_.cluster;
    if (!cluster.enabled()) return absl::OkStatus();
    if (cluster.advertise.empty()) {
      return absl::InvalidArgumentError("cluster mode needs --advertise (this replica's address)");
    }
    if (options_.registry != nullptr) {
      if (absl::Status st = cluster_metrics_.Register(*options_.registry); !st.ok()) return st;
    }
    redis::ClientOptions redis = cluster.redis;
    redis.on_connect.push_back(RedisDirectory::FunctionsLoad());
    redis.observe = [this](absl::Duration took, bool ok) { cluster_metrics_.RedisCall(took, ok); };
    auto client = redis::Client::Create(std::move(redis));
    if (!client.ok()) return client.status();
    redis_ = *std::move(client);
    directory_ = std::make_unique<RedisDirectory>(
        RedisDirectoryOptions{cluster.key_prefix, cluster.advertise}, redis_.get());
    auto peers = PeerClient::Create(cluster.peer_tls, options_.verify_deadline, &cluster_metrics_);
    if (!peers.ok()) return peers.status();
    peers_ = *std::move(peers);
    auto forwarder = SessionForwarder::Create(cluster.peer_tls);
    if (!forwarder.ok()) return forwarder.status();
    forwarder_ = *std::move(forwarder);
    link_ = std::make_unique<RedisClusterLink>(directory_.get(), peers_.get(),
                                               cluster.membership.call_timeout);
    return absl::OkStatus();
  }

  void Shutdown(absl::Duration grace) {
    if (shut_down_.exchange(true)) return;
    serving_ = false;
    if (membership_ != nullptr) membership_->Drain();
    if (router_ != nullptr) router_->Shutdown();  // goAway + 1001 to every session
    // After the releases the shutdown queued: this replica leaves the
    // directory, its ids free at once.
    if (membership_ != nullptr) membership_->Stop();
    if (service_ != nullptr) service_->Shutdown(grace);
    // The timer thread, and verifications in flight (they end within their
    // deadline; their callbacks use the router and the verifier's channel).
    if (router_ != nullptr) router_->WaitStopped();
    if (redis_ != nullptr) redis_->Stop();
  }

  const MatchingServerOptions options_;
  MatchingMetrics metrics_;
  RealClock clock_;
  std::unique_ptr<GrpcTokenVerifier> verifier_;
  ClusterMetrics cluster_metrics_;
  std::unique_ptr<redis::Client> redis_;
  std::unique_ptr<RedisDirectory> directory_;
  std::unique_ptr<PeerClient> peers_;
  std::unique_ptr<SessionForwarder> forwarder_;  // outlives the service's Session calls
  std::unique_ptr<RedisClusterLink> link_;
  std::unique_ptr<SessionRouter> router_;
  std::unique_ptr<Membership> membership_;
  std::unique_ptr<MatchingService> service_;
  std::atomic<bool> serving_{false};
  std::atomic<bool> shut_down_{false};
};

absl::StatusOr<std::unique_ptr<MatchingServer>> MatchingServer::Start(
    MatchingServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status status = impl->Init(); !status.ok()) return status;
  return std::unique_ptr<MatchingServer>(new MatchingServer(std::move(impl)));
}

MatchingServer::MatchingServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MatchingServer::~MatchingServer() { Shutdown(absl::Seconds(1)); }
int MatchingServer::port() const { return impl_->service_->port(); }
void MatchingServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }
void MatchingServer::SetNotServing() {
  impl_->serving_ = false;
  impl_->service_->SetNotServing();
}
bool MatchingServer::Ready() const { return impl_->serving_; }
v1::Stats MatchingServer::Stats() const { return ToWire(impl_->router_->Stats()); }

}  // namespace signaling::matching
