// A ClusterLink for the session router's tests: holds every claim and
// look-up until the test answers it (outside the fake's lock, like the
// Redis client's thread would), and records releases, renewals, evictions
// and arrivals told.
#ifndef TESTS_SERVICES_MATCHING_FAKE_CLUSTER_LINK_H_
#define TESTS_SERVICES_MATCHING_FAKE_CLUSTER_LINK_H_

#include <deque>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/matching/cluster_link.h"

namespace signaling::matching {

class FakeClusterLink final : public ClusterLink {
 public:
  explicit FakeClusterLink(std::string replica) : replica_(std::move(replica)) {}

  const std::string& replica() const override { return replica_; }

  void Claim(const ClaimAction& claim, absl::Time deadline,
             std::function<void(absl::StatusOr<ClaimResult>)> done) override {
    absl::MutexLock lock(&mu_);
    claims_.push_back({claim, deadline, std::move(done)});
  }
  void Lookup(const LookupAction& lookup, absl::Time,
              std::function<void(absl::StatusOr<std::optional<Holder>>)> done) override {
    absl::MutexLock lock(&mu_);
    lookups_.push_back({lookup, std::move(done)});
  }
  void Release(const ReleaseAction& release) override {
    Note(absl::StrCat("release:", release.id, ":", release.fence));
  }
  void Renew(const RenewAction& renew) override {
    Note(absl::StrCat("renew:", renew.id, ":", renew.fence));
  }
  void Evict(const EvictAction& evict) override {
    Note(absl::StrCat("evict:", evict.replica, ":", evict.id, ":", evict.fence));
  }
  void TellArrived(const std::string& replica, const std::string& id,
                   const std::string& holder) override {
    Note(absl::StrCat("arrived:", replica, ":", id, ":", holder));
  }

  size_t pending_claims() {
    absl::MutexLock lock(&mu_);
    return claims_.size();
  }
  size_t pending_lookups() {
    absl::MutexLock lock(&mu_);
    return lookups_.size();
  }
  absl::Time front_claim_deadline() {
    absl::MutexLock lock(&mu_);
    return claims_.front().deadline;
  }
  // Answers the oldest claim / look-up; requires one pending.
  void AnswerClaim(absl::StatusOr<ClaimResult> result) {
    PendingClaim call;
    {
      absl::MutexLock lock(&mu_);
      call = std::move(claims_.front());
      claims_.pop_front();
    }
    call.done(std::move(result));
  }
  void AnswerLookup(absl::StatusOr<std::optional<Holder>> result) {
    PendingLookup call;
    {
      absl::MutexLock lock(&mu_);
      call = std::move(lookups_.front());
      lookups_.pop_front();
    }
    call.done(std::move(result));
  }
  std::vector<std::string> notes() {
    absl::MutexLock lock(&mu_);
    return notes_;
  }

 private:
  struct PendingClaim {
    ClaimAction claim;
    absl::Time deadline;
    std::function<void(absl::StatusOr<ClaimResult>)> done;
  };
  struct PendingLookup {
    LookupAction lookup;
    std::function<void(absl::StatusOr<std::optional<Holder>>)> done;
  };
  void Note(std::string note) {
    absl::MutexLock lock(&mu_);
    notes_.push_back(std::move(note));
  }

  const std::string replica_;
  absl::Mutex mu_;
  std::deque<PendingClaim> claims_ ABSL_GUARDED_BY(mu_);
  std::deque<PendingLookup> lookups_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> notes_ ABSL_GUARDED_BY(mu_);
};

}  // namespace signaling::matching

#endif  // TESTS_SERVICES_MATCHING_FAKE_CLUSTER_LINK_H_
