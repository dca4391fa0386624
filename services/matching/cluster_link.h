// What the session router needs of the cluster in cluster mode, without
// gRPC or Redis: this replica's name, the shared directory (claims and
// look-ups answered through callbacks, releases and renewals sent and
// forgotten) and the other replicas (evictions, arrivals of acceptors).
// Implemented over Redis and gRPC by the matching server; faked in tests.
//
// Thread-safety: every method may be called from any thread, never with
// the router's lock held; callbacks may run on any thread, once each, by
// the deadline given.
#ifndef SERVICES_MATCHING_CLUSTER_LINK_H_
#define SERVICES_MATCHING_CLUSTER_LINK_H_

#include <functional>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "services/matching/cluster_types.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

class ClusterLink {
 public:
  virtual ~ClusterLink() = default;

  // This replica's advertised address: its name in the directory.
  virtual const std::string& replica() const = 0;

  virtual void Claim(const ClaimAction& claim, absl::Time deadline,
                     std::function<void(absl::StatusOr<ClaimResult>)> done) = 0;
  virtual void Lookup(const LookupAction& lookup, absl::Time deadline,
                      std::function<void(absl::StatusOr<std::optional<Holder>>)> done) = 0;
  virtual void Release(const ReleaseAction& release) = 0;
  virtual void Renew(const RenewAction& renew) = 0;

  // To other replicas: close the holder of `evict.id` with `evict.fence`
  // there; the acceptor of `id` is now held on `holder` (tell `replica`'s
  // waiting offerers).
  virtual void Evict(const EvictAction& evict) = 0;
  virtual void TellArrived(const std::string& replica, const std::string& id,
                           const std::string& holder) = 0;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_LINK_H_
