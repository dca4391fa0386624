// The session router's cluster mode (see session_router.h): the directory
// calls and evictions the engine asks for, started outside the lock, their
// answers fed back to the engine, and what other replicas and the
// membership tell this one.
#include <utility>

#include "services/matching/session_router.h"

namespace signaling::matching {

void SessionRouter::StartCluster(std::vector<Action> calls) {
  if (calls.empty()) return;
  // Only the engine's cluster mode asks for these, and only with a link.
  const absl::Time deadline = clock_->Now() + options_.verify_deadline;
  for (Action& call : calls) {
    if (auto* claim = std::get_if<ClaimAction>(&call)) {
      cluster_->Claim(*claim, deadline, [this, claim = *claim](absl::StatusOr<ClaimResult> result) {
        OnClaimed(claim, std::move(result));
      });
    } else if (auto* lookup = std::get_if<LookupAction>(&call)) {
      cluster_->Lookup(*lookup, deadline,
                       [this, lookup = *lookup](absl::StatusOr<std::optional<Holder>> result) {
                         OnLookedUp(lookup, std::move(result));
                       });
    } else if (auto* release = std::get_if<ReleaseAction>(&call)) {
      cluster_->Release(*release);
    } else if (auto* renew = std::get_if<RenewAction>(&call)) {
      cluster_->Renew(*renew);
    } else if (auto* evict = std::get_if<EvictAction>(&call)) {
      cluster_->Evict(*evict);
    }
  }
}

void SessionRouter::OnClaimed(const ClaimAction& claim, absl::StatusOr<ClaimResult> result) {
  if (result.ok()) {
    // Offerers waiting elsewhere for this id go where it is held now.
    for (const std::string& replica : result->waiting) {
      if (replica != cluster_->replica())
        cluster_->TellArrived(replica, claim.id, cluster_->replica());
    }
  }
  Outbound more;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    more = DispatchLocked(ReactLocked(claim.session, [&] {
      return engine_.OnClaimed(claim.session, claim.request, claim.id, result, now);
    }));
  }
  StartOutbound(std::move(more));
  absl::MutexLock lock(&mu_);
  --verifying_;
}

void SessionRouter::OnLookedUp(const LookupAction& lookup,
                               absl::StatusOr<std::optional<Holder>> result) {
  Outbound more;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    more = DispatchLocked(ReactLocked(lookup.session, [&] {
      return engine_.OnLookedUp(lookup.session, lookup.request, result, now);
    }));
  }
  StartOutbound(std::move(more));
  absl::MutexLock lock(&mu_);
  --verifying_;
}

void SessionRouter::React(absl::FunctionRef<Actions(absl::Time)> reaction) {
  Outbound outbound;
  {
    absl::MutexLock lock(&mu_);
    outbound = DispatchLocked(reaction(clock_->Now()));
  }
  StartOutbound(std::move(outbound));
}

bool SessionRouter::OnEvicted(const std::string& id, uint64_t fence) {
  bool evicted = false;
  React([&](absl::Time now) {
    Actions actions = engine_.OnEvicted(id, fence, now);
    for (const Action& action : actions) evicted |= std::holds_alternative<CloseAction>(action);
    // The engine leaves the id to the newer claim. But if this replica was
    // paused while the newer claim came and went, it re-asserted its own
    // claim on waking, before this eviction arrived: nobody else releases
    // that one. A release is fenced: it cannot undo the newer claim.
    if (evicted) actions.push_back(ReleaseAction{id, fence});
    return actions;
  });
  return evicted;
}

int SessionRouter::OnAcceptorArrived(const std::string& id, const std::string& replica) {
  int moved = 0;
  React([&](absl::Time now) {
    Actions actions = engine_.OnAcceptorElsewhere(id, replica, now);
    for (const Action& action : actions) moved += std::holds_alternative<RedirectAction>(action);
    return actions;
  });
  return moved;
}

void SessionRouter::SetLeaseUntil(absl::Time until) {
  React([&](absl::Time now) { return engine_.RenewLease(until, now); });
}

std::vector<HeldId> SessionRouter::HeldIds() {
  absl::MutexLock lock(&mu_);
  return engine_.HeldIds();
}

}  // namespace signaling::matching
