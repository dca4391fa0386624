// Cluster mode: the ClusterLink the matching server gives its session
// router, over the Redis directory (claims, look-ups, releases, renewals
// under this replica's epoch) and the other replicas' MatchingPeer service
// (evictions, arrivals). A claim lives in Redis as long as its token, plus
// a minute of leeway.
//
// Thread-safety: every method may be called from any thread.
#ifndef SERVICES_MATCHING_CLUSTER_REDIS_CLUSTER_LINK_H_
#define SERVICES_MATCHING_CLUSTER_REDIS_CLUSTER_LINK_H_

#include <string>

#include "services/matching/cluster/membership.h"
#include "services/matching/cluster/peer_client.h"
#include "services/matching/cluster/redis_directory.h"
#include "services/matching/cluster_link.h"

namespace signaling::matching {

class RedisClusterLink final : public ClusterLink {
 public:
  // Everything must outlive the link. `membership` may be set later (it
  // needs the router, which needs the link): see SetMembership.
  RedisClusterLink(RedisDirectory* directory, PeerClient* peers, absl::Duration call_timeout)
      : directory_(directory), peers_(peers), call_timeout_(call_timeout) {}
  void SetMembership(const Membership* membership) { membership_ = membership; }

  const std::string& replica() const override { return directory_->replica(); }
  void Claim(const ClaimAction& claim, absl::Time deadline,
             std::function<void(absl::StatusOr<ClaimResult>)> done) override;
  void Lookup(const LookupAction& lookup, absl::Time deadline,
              std::function<void(absl::StatusOr<std::optional<Holder>>)> done) override;
  void Release(const ReleaseAction& release) override;
  void Renew(const RenewAction& renew) override;
  void Evict(const EvictAction& evict) override;
  void TellArrived(const std::string& replica, const std::string& id,
                   const std::string& holder) override;

 private:
  RedisDirectory* const directory_;
  PeerClient* const peers_;
  const absl::Duration call_timeout_;
  const Membership* membership_ = nullptr;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_REDIS_CLUSTER_LINK_H_
