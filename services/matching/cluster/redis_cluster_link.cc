// The cluster link over Redis and the peers; see redis_cluster_link.h.
#include "services/matching/cluster/redis_cluster_link.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"

namespace signaling::matching {
namespace {

// A claim outlives its token by this much, so that a refresh in flight at
// the expiry does not find it gone.
constexpr absl::Duration kLeaseLeeway = absl::Minutes(1);

absl::Duration LeaseFor(absl::Time until) {
  return std::max(until - absl::Now(), absl::ZeroDuration()) + kLeaseLeeway;
}

void LogFailure(const char* what, const absl::Status& status) {
  if (status.ok() || !log::ShouldLog(absl::StrCat("directory-", what))) return;
  log::Get("matching")->warn("directory {} failed: {}", what, std::string(status.message()));
}

}  // namespace

void RedisClusterLink::Claim(const ClaimAction& claim, absl::Time deadline,
                             std::function<void(absl::StatusOr<ClaimResult>)> done) {
  const uint64_t epoch = membership_ != nullptr ? membership_->epoch() : 0;
  if (epoch == 0) return done(absl::UnavailableError("not a member of the cluster yet"));
  directory_->Claim(claim.id, claim.subject, claim.session_id, epoch, LeaseFor(claim.lease_until),
                    deadline, std::move(done));
}

void RedisClusterLink::Lookup(const LookupAction& lookup, absl::Time deadline,
                              std::function<void(absl::StatusOr<std::optional<Holder>>)> done) {
  directory_->Lookup(lookup.id, lookup.wait_until, deadline, std::move(done));
}

void RedisClusterLink::Release(const ReleaseAction& release) {
  directory_->Release(
      release.id, release.fence, absl::Now() + call_timeout_,
      [](absl::StatusOr<bool> released) { LogFailure("release", released.status()); });
}

void RedisClusterLink::Renew(const RenewAction& renew) {
  directory_->Renew(renew.id, renew.fence, LeaseFor(renew.lease_until), absl::Now() + call_timeout_,
                    [](absl::StatusOr<bool> renewed) { LogFailure("renewal", renewed.status()); });
}

void RedisClusterLink::Evict(const EvictAction& evict) {
  peers_->Evict(evict.replica, evict.id, evict.fence);
}

void RedisClusterLink::TellArrived(const std::string& replica, const std::string& id,
                                   const std::string& holder) {
  peers_->TellArrived(replica, id, holder);
}

}  // namespace signaling::matching
