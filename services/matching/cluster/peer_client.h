// Cluster mode: calls to the other replicas' MatchingPeer service. Evict and
// TellArrived are sent and forgotten (each with its own deadline; a failure
// is logged, rate-limited, and otherwise ignored: an eviction that does not
// arrive is made good by the directory, where the newer claim already holds
// the id, and a waiting offerer that is not moved times out as
// PEER_NOT_FOUND). The admin fan-out's calls (ListSessions, GetStats,
// Disconnect) hand their answer to a callback. One channel per replica
// address, made on first use.
//
// Thread-safety: every method may be called from any thread.
#ifndef SERVICES_MATCHING_CLUSTER_PEER_CLIENT_H_
#define SERVICES_MATCHING_CLUSTER_PEER_CLIENT_H_

#include <functional>
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

  // The admin fan-out: `replica`'s own sessions, its own counts, and whether
  // it closed the session holding acceptor id `id`. `done` runs once, on a
  // gRPC thread, by `deadline` (then with DEADLINE_EXCEEDED or UNAVAILABLE);
  // it must not block.
  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;
  void ListSessions(const std::string& replica, absl::Time deadline,
                    Done<v1::ListSessionsResponse> done);
  void GetStats(const std::string& replica, absl::Time deadline, Done<v1::Stats> done);
  void Disconnect(const std::string& replica, const std::string& id, absl::Time deadline,
                  Done<bool> done);

 private:
  PeerClient(std::shared_ptr<grpc::ChannelCredentials> credentials, net::GrpcClientTls tls,
             absl::Duration deadline, ClusterMetrics* metrics)
      : credentials_(std::move(credentials)),
        tls_(std::move(tls)),
        deadline_(deadline),
        metrics_(metrics) {}
  // The stub of `replica`, counting the call about to start on it in flight.
  v1::MatchingPeer::Stub* StubFor(const std::string& replica);
  void CallDone();
  // One admin call: `start(async stub, call, callback)` starts it; its
  // answer (or failure, as a status) goes to `done`.
  template <typename Request, typename Response, typename Start>
  void Ask(const char* rpc, const std::string& replica, absl::Time deadline, Request request,
           Done<Response> done, Start start);

  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const net::GrpcClientTls tls_;
  const absl::Duration deadline_;
  ClusterMetrics* const metrics_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<v1::MatchingPeer::Stub>> stubs_
      ABSL_GUARDED_BY(mu_);
  int in_flight_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_PEER_CLIENT_H_
