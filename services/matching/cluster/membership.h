// Cluster mode: this replica's membership in the directory, on its own
// thread. It takes a new epoch at start, renews its membership every
// `heartbeat` with a lease of `lease`, and extends the engine's own lease
// (SessionRouter::SetLeaseUntil) to `fence_after` past the moment each
// successful renewal was sent; so a replica that cannot reach Redis, or
// was paused, fences itself before its membership lapses there.
//
// After a reconnect, a lapse of its lease, or a loss of Redis's data (the
// generation check), it re-asserts every id it holds before it takes its
// lease back: the highest fence wins, a lost id is closed here (4009), a
// displaced holder elsewhere is evicted there.
//
// Drain() turns its state to DRAINING (gateways stop sending it new
// sessions); Stop() leaves the directory (its ids free at once) and joins
// the thread.
//
// Thread-safety: every method may be called from any thread.
#ifndef SERVICES_MATCHING_CLUSTER_MEMBERSHIP_H_
#define SERVICES_MATCHING_CLUSTER_MEMBERSHIP_H_

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/client.h"
#include "services/matching/cluster/cluster_metrics.h"
#include "services/matching/cluster/redis_directory.h"
#include "services/matching/session_router.h"

namespace signaling::matching {

struct MembershipOptions {
  absl::Duration heartbeat = absl::Seconds(1);
  absl::Duration lease = absl::Seconds(3);        // of the membership in Redis
  absl::Duration fence_after = absl::Seconds(2);  // the engine's own, from each renewal sent
  absl::Duration call_timeout = absl::Milliseconds(500);
  // How long claims wait after Redis lost its data, while replicas re-assert.
  absl::Duration barrier = absl::Seconds(4);
};

class PeerClient;

class Membership {
 public:
  // Everything must outlive the membership. `peers` evicts holders that a
  // re-assertion displaced.
  Membership(MembershipOptions options, redis::Client* client, RedisDirectory* directory,
             SessionRouter* router, PeerClient* peers, ClusterMetrics* metrics);
  ~Membership();  // Stop()

  void Start();
  void Drain();
  void Stop();

  // 0 until the first epoch was taken.
  uint64_t epoch() const { return epoch_.load(); }
  // Whether the last renewal succeeded (for /readyz and metrics).
  bool live() const { return live_.load(); }

 private:
  void Loop();
  bool Renew();
  void CheckGeneration();
  void Reassert();

  const MembershipOptions options_;
  RedisDirectory* const directory_;
  SessionRouter* const router_;
  PeerClient* const peers_;
  ClusterMetrics* const metrics_;

  std::atomic<uint64_t> epoch_{0};
  std::atomic<bool> live_{false};
  std::atomic<bool> reconnected_{false};  // set by the client's connect listener
  std::atomic<bool> draining_{false};
  std::string generation_;  // the loop's own
  bool must_reassert_ = false;
  absl::Time last_renewed_ = absl::InfinitePast();  // when the last good renewal was sent

  absl::Mutex mu_;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_MEMBERSHIP_H_
