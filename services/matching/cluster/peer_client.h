// Cluster mode: calls to the other replicas' MatchingPeer service, sent and
// forgotten (each with its own deadline; a failure is logged, rate-limited,
// and otherwise ignored: an eviction that does not arrive is made good by
// the directory, where the newer claim already holds the id, and a waiting
// offerer that is not moved times out as PEER_NOT_FOUND). One channel per
// replica address, made on first use.
//
// Thread-safety: every method may be called from any thread.
#ifndef SERVICES_MATCHING_CLUSTER_PEER_CLIENT_H_
#define SERVICES_MATCHING_CLUSTER_PEER_CLIENT_H_

#include <memory>
#include <string>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/net/grpc_tls.h"
#include "grpcpp/grpcpp.h"
#include "services/matching/cluster/cluster_metrics.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

class PeerClient {
 public:
  // `metrics` must outlive the client.
  static absl::StatusOr<std::unique_ptr<PeerClient>> Create(const net::GrpcClientTls& tls,
                                                            absl::Duration deadline,
                                                            ClusterMetrics* metrics);

  // Waits for the calls in flight (each ends by its deadline).
  ~PeerClient();

  void Evict(const std::string& replica, const std::string& id, uint64_t fence);
  void TellArrived(const std::string& replica, const std::string& id, const std::string& holder);

 private:
  PeerClient(std::shared_ptr<grpc::ChannelCredentials> credentials, absl::Duration deadline,
             ClusterMetrics* metrics)
      : credentials_(std::move(credentials)), deadline_(deadline), metrics_(metrics) {}
  // The stub of `replica`, counting the call about to start on it in flight.
  v1::MatchingPeer::Stub* StubFor(const std::string& replica);
  void CallDone();

  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const absl::Duration deadline_;
  ClusterMetrics* const metrics_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<v1::MatchingPeer::Stub>> stubs_
      ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_PEER_CLIENT_H_
