// What several session routers in one process see of their cluster, on
// the simulated events of sim_events.h: a ClusterLink (SimLink) that
// carries each directory call to an InMemoryDirectory and its answer back
// after random delays, in order per replica like one Redis connection, and
// evictions and arrivals to the other routers, failing or losing them at
// configured rates; a token verifier (SimVerifier) answering after a
// delay; and each replica's membership heartbeat (SimMembership), as
// services/matching/cluster/membership.cc does it: renewal, re-assertion
// and lease.
//
// Not thread-safe: everything runs on the test's thread. Nothing answers
// synchronously, so no router is re-entered from its own call.
#ifndef TESTS_SERVICES_MATCHING_SIMULATED_CLUSTER_H_
#define TESTS_SERVICES_MATCHING_SIMULATED_CLUSTER_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "services/matching/cluster_link.h"
#include "services/matching/session_router.h"
#include "tests/services/matching/in_memory_directory.h"
#include "tests/services/matching/sim_events.h"

namespace signaling::matching::sim {

// What a link fails or loses, each a probability per call.
struct LinkFaults {
  double unavailable = 0;  // a claim or look-up fails before it reaches the directory
  double answer_lost = 0;  // applied there, its answer lost (the caller's deadline ends it)
  double slow = 0;         // applied after the caller's deadline
  double dropped = 0;      // a release, renewal, eviction or arrival never arrives
};

class SimLink final : public ClusterLink {
 public:
  // `names`: every replica's name, by index; `lost_fences` collects the
  // claims that may stay in the directory because a message was lost.
  SimLink(Sim* sim, InMemoryDirectory* directory, std::vector<std::string> names, int self,
          uint64_t epoch, LinkFaults faults, std::set<uint64_t>* lost_fences)
      : sim_(sim),
        directory_(directory),
        names_(std::move(names)),
        self_(self),
        epoch_(epoch),
        faults_(faults),
        lost_fences_(lost_fences) {}

  void SetPeers(std::vector<SessionRouter*> peers) { peers_ = std::move(peers); }
  // Cut off from the directory (not from the other replicas).
  void set_cut_off(bool cut_off) { cut_off_ = cut_off; }
  bool cut_off() const { return cut_off_; }
  uint64_t epoch() const { return epoch_; }
  int pending() const { return pending_; }  // claims and look-ups unanswered

  const std::string& replica() const override { return names_[self_]; }

  void Claim(const ClaimAction& claim, absl::Time deadline,
             std::function<void(absl::StatusOr<ClaimResult>)> done) override {
    Call<ClaimResult>(
        deadline,
        [this, claim] {
          const bool over_dead = HeldByTheDead(claim.id);
          ClaimResult r = directory_->Claim(claim.id, claim.subject, replica(), epoch_,
                                            claim.session_id, LeaseFor(claim.lease_until));
          const char* kKinds[] = {"claim:OK", "claim:REPLACED", "claim:TAKEN", "claim:BARRIER"};
          sim_->Count(kKinds[static_cast<int>(r.kind)]);
          if (over_dead && r.kind == ClaimResult::Kind::kClaimed) sim_->Count("claim:OK-over-dead");
          sim_->Trace([&] {
            return absl::StrCat("directory: ", replica(), " claims ", claim.id, " for ",
                                claim.subject, ": kind ", static_cast<int>(r.kind), " fence ",
                                r.fence, r.previous ? " previous " + r.previous->replica : "",
                                r.previous ? absl::StrCat(" ", r.previous->fence) : "");
          });
          return r;
        },
        std::move(done),
        [this](const ClaimResult& r) {
          if (r.kind == ClaimResult::Kind::kClaimed || r.kind == ClaimResult::Kind::kReplaced) {
            lost_fences_->insert(r.fence);
          }
        });
  }
  void Lookup(const LookupAction& lookup, absl::Time deadline,
              std::function<void(absl::StatusOr<std::optional<Holder>>)> done) override {
    Call<std::optional<Holder>>(
        deadline,
        [this, lookup] {
          const bool over_dead = HeldByTheDead(lookup.id);
          std::optional<Holder> h = directory_->Lookup(lookup.id, replica(), lookup.wait_until);
          if (over_dead && !h) sim_->Count("lookup:free-over-dead");
          sim_->Trace([&] {
            return absl::StrCat("directory: ", replica(), " looks ", lookup.id, " up: ",
                                h ? absl::StrCat(h->replica, " fence ", h->fence) : "free");
          });
          return h;
        },
        std::move(done), [](const std::optional<Holder>&) {});
  }
  void Release(const ReleaseAction& release) override {
    if (cut_off_ || sim_->Chance(faults_.dropped)) {
      sim_->Count("lost:release");
      sim_->Trace([&] { return absl::StrCat("lost: release ", release.id, " ", release.fence); });
      lost_fences_->insert(release.fence);
      return;
    }
    sim_->At(NextApply(), Sim::kNobody, [this, release] {
      const bool released = directory_->Release(release.id, release.fence);
      if (!released) sim_->Count("release:stale");
      sim_->Trace([&] {
        return absl::StrCat("directory: ", replica(), " releases ", release.id, " ", release.fence,
                            released ? "" : ": stale");
      });
    });
  }
  void Renew(const RenewAction& renew) override {
    if (cut_off_ || sim_->Chance(faults_.dropped)) return;  // the claim lapses sooner
    sim_->At(NextApply(), Sim::kNobody, [this, renew] {
      if (!directory_->Renew(renew.id, renew.fence, LeaseFor(renew.lease_until))) {
        sim_->Count("renew:lost");
      }
    });
  }
  void Evict(const EvictAction& evict) override {
    const int to = IndexOf(evict.replica);
    if (to < 0 || sim_->Chance(faults_.dropped)) return;
    sim_->After(sim_->Delay(), to, [this, to, evict] {
      const bool closed = peers_[to]->OnEvicted(evict.id, evict.fence);
      sim_->Count(closed ? "evict:closed" : "evict:none");
      sim_->Trace([&] {
        return absl::StrCat(evict.replica, " told to evict ", evict.id, " ", evict.fence,
                            closed ? ": closed" : ": none");
      });
    });
  }
  void TellArrived(const std::string& replica, const std::string& id,
                   const std::string& holder) override {
    const int to = IndexOf(replica);
    if (to < 0 || sim_->Chance(faults_.dropped)) return;
    sim_->After(sim_->Delay(), to,
                [this, to, id, holder] { peers_[to]->OnAcceptorArrived(id, holder); });
  }

 private:
  // What the run covered: an entry whose holder's replica is not live.
  bool HeldByTheDead(const std::string& id) {
    return directory_->Find(id).has_value() && !directory_->LiveHolder(id).has_value();
  }
  // RedisClusterLink's lease: the token's, plus a minute of leeway.
  absl::Duration LeaseFor(absl::Time until) {
    return std::max(until - sim_->Now(), absl::ZeroDuration()) + absl::Minutes(1);
  }
  int IndexOf(const std::string& name) const {
    auto it = std::find(names_.begin(), names_.end(), name);
    return it == names_.end() ? -1 : static_cast<int>(it - names_.begin());
  }
  // One connection: calls reach the directory, and answers come back, in
  // the order they were sent.
  absl::Time NextApply(absl::Duration extra = absl::ZeroDuration()) {
    last_apply_ = std::max(last_apply_, sim_->Now() + sim_->Delay() + extra);
    return last_apply_;
  }
  absl::Time NextAnswer(absl::Time applied) {
    last_answer_ = std::max(last_answer_, applied + sim_->Delay());
    return last_answer_;
  }

  // A call answered once: by the directory's answer, or with an error at
  // the deadline (the answer, if it comes later, is lost).
  template <typename T>
  void Call(absl::Time deadline, absl::AnyInvocable<T()> apply,
            std::function<void(absl::StatusOr<T>)> done, absl::AnyInvocable<void(const T&)> lost) {
    ++pending_;
    struct State {
      std::function<void(absl::StatusOr<T>)> done;
      bool answered = false;
    };
    auto state = std::make_shared<State>(State{std::move(done)});
    auto answer = [this, state](absl::StatusOr<T> result) {
      if (state->answered) return false;
      state->answered = true;
      --pending_;
      state->done(std::move(result));
      return true;
    };
    if (cut_off_ || sim_->Chance(faults_.unavailable)) {
      sim_->After(sim_->Delay(), self_,
                  [answer] { answer(absl::UnavailableError("directory unreachable")); });
      return;
    }
    sim_->At(deadline, self_,
             [answer] { answer(absl::DeadlineExceededError("directory did not answer")); });
    const absl::Duration extra =
        sim_->Chance(faults_.slow) ? sim_->Millis(1500, 3500) : absl::ZeroDuration();
    sim_->At(NextApply(extra), Sim::kNobody,
             [this, answer, apply = std::move(apply), lost = std::move(lost)]() mutable {
               T result = apply();
               if (sim_->Chance(faults_.answer_lost)) {
                 sim_->Count("lost:answer");
                 sim_->Trace([&] { return absl::StrCat("lost: the answer to ", replica()); });
                 return lost(result);
               }
               sim_->At(NextAnswer(sim_->Now()), self_,
                        [this, answer, result, lost = std::move(lost)]() mutable {
                          if (answer(result)) return;
                          sim_->Count("late:answer");
                          lost(result);
                        });
             });
  }

  Sim* const sim_;
  InMemoryDirectory* const directory_;
  const std::vector<std::string> names_;
  const int self_;
  const uint64_t epoch_;
  const LinkFaults faults_;
  std::set<uint64_t>* const lost_fences_;
  std::vector<SessionRouter*> peers_;
  bool cut_off_ = false;
  int pending_ = 0;
  absl::Time last_apply_ = absl::InfinitePast();
  absl::Time last_answer_ = absl::InfinitePast();
};

// Tokens are "<subject>|<expiry, unix ms>", granting every id both ways.
class SimVerifier final : public TokenVerifierClient {
 public:
  SimVerifier(Sim* sim, int replica, double unavailable)
      : sim_(sim), replica_(replica), unavailable_(unavailable) {}
  static std::string Token(const std::string& subject, absl::Time expires) {
    return subject + "|" + std::to_string(absl::ToUnixMillis(expires));
  }
  int pending() const { return pending_; }

  void Verify(std::string token, absl::Time, Callback done) override {
    ++pending_;
    absl::StatusOr<Principal> principal = absl::UnavailableError("auth unreachable");
    if (!sim_->Chance(unavailable_)) {
      std::vector<std::string> parts = absl::StrSplit(token, '|');
      principal = Principal{parts[0], {"*"}, {"*"}, absl::FromUnixMillis(std::stoll(parts[1]))};
    }
    sim_->After(sim_->Delay(), replica_, [this, principal, done = std::move(done)]() mutable {
      --pending_;
      std::move(done)(principal);
    });
  }

 private:
  Sim* const sim_;
  const int replica_;
  const double unavailable_;
  int pending_ = 0;
};

// One replica's membership loop (membership.cc with its default options):
// a heartbeat every second renews the membership for 3 s; a renewal that
// follows a failed one, or comes more than 2 s after the last, re-asserts
// every id held here first (the highest fence wins); then the engine's
// lease runs 2 s from the renewal.
class SimMembership {
 public:
  static constexpr absl::Duration kHeartbeat = absl::Seconds(1);
  static constexpr absl::Duration kLease = absl::Seconds(3);
  static constexpr absl::Duration kFenceAfter = absl::Seconds(2);

  SimMembership(Sim* sim, InMemoryDirectory* directory, SimLink* link, SessionRouter* router,
                int self)
      : sim_(sim), directory_(directory), link_(link), router_(router), self_(self) {}

  void Start() {
    sim_->After(absl::ZeroDuration(), self_, [this] { Beat(); });
  }
  // What the engine was last told: fenced from then on.
  absl::Time lease_until() const { return lease_until_; }
  // Told of each holder a re-assertion closes (4009 though no join of its
  // subject replaced it): the loser here, or one displaced on `replica`.
  void set_on_reassert_loss(
      std::function<void(const std::string& replica, const std::string& id)> f) {
    on_reassert_loss_ = std::move(f);
  }

 private:
  void Beat() {
    sim_->After(kHeartbeat, self_, [this] { Beat(); });
    const absl::Time sent = sim_->Now();
    if (link_->cut_off() || !directory_->Member(link_->replica(), link_->epoch(), kLease)) {
      must_reassert_ = true;
      return;
    }
    if (sent - last_renewed_ > kFenceAfter) must_reassert_ = true;
    last_renewed_ = sent;
    if (must_reassert_) Reassert();
    lease_until_ = sent + kFenceAfter;
    router_->SetLeaseUntil(lease_until_);
  }
  void Reassert() {
    std::vector<HeldId> held = router_->HeldIds();
    // In id order: the engine's map order is not the seed's.
    std::sort(held.begin(), held.end(),
              [](const HeldId& a, const HeldId& b) { return a.id < b.id; });
    for (const HeldId& h : held) {
      const absl::Duration lease = std::max(h.lease_until - sim_->Now(), absl::Seconds(1));
      InMemoryDirectory::Reasserted result = directory_->Reassert(
          h.id, h.fence, h.subject, link_->replica(), link_->epoch(), h.session_id, lease);
      sim_->Trace([&] {
        return absl::StrCat(link_->replica(), " re-asserts ", h.id, " ", h.fence,
                            result.kept ? ": kept" : ": lost");
      });
      sim_->Count(!result.kept       ? "reassert:lost"
                  : result.displaced ? "reassert:displaced"
                                     : "reassert:kept");
      if (!result.kept) {
        if (on_reassert_loss_) on_reassert_loss_(link_->replica(), h.id);
        router_->OnEvicted(h.id, h.fence);  // a newer claim won: 4009 here
      } else if (result.displaced.has_value() && result.displaced->replica != link_->replica()) {
        if (on_reassert_loss_) on_reassert_loss_(result.displaced->replica, h.id);
        link_->Evict(EvictAction{result.displaced->replica, h.id, result.displaced->fence});
      }
    }
    must_reassert_ = false;
  }

  Sim* const sim_;
  InMemoryDirectory* const directory_;
  SimLink* const link_;
  SessionRouter* const router_;
  const int self_;
  std::function<void(const std::string&, const std::string&)> on_reassert_loss_;
  bool must_reassert_ = false;
  absl::Time last_renewed_ = absl::InfinitePast();
  absl::Time lease_until_ = absl::InfinitePast();
};

}  // namespace signaling::matching::sim

#endif  // TESTS_SERVICES_MATCHING_SIMULATED_CLUSTER_H_
