// The matching replicas' shared directory in memory, for tests that run
// several replicas in one process: the rules of
// services/matching/cluster/functions.lua, one for one (claim, lookup,
// release, renew, reassert, member, leave), on an injected clock. Keys
// expire like Redis keys with PX: an entry is gone from its expiry on.
// The generation and barrier of a data loss are not modelled: the data is
// always the one the replicas know.
//
// Not thread-safe: the test that owns it serializes the calls.
#ifndef TESTS_SERVICES_MATCHING_IN_MEMORY_DIRECTORY_H_
#define TESTS_SERVICES_MATCHING_IN_MEMORY_DIRECTORY_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/time.h"
#include "services/matching/clock.h"
#include "services/matching/cluster_types.h"

namespace signaling::matching {

class InMemoryDirectory {
 public:
  // What a:{id} holds: the hash of functions.lua's write().
  struct Entry {
    std::string sub, rep, sess;
    uint64_t ep = 0;
    uint64_t fence = 0;
    absl::Time expires;
  };
  // reassert's answer (RedisDirectory's ReassertResult, without Redis).
  struct Reasserted {
    bool kept = false;
    std::optional<Holder> displaced;  // kept over a live holder with a lower fence
    std::optional<Holder> winner;     // not kept: a live holder with a higher fence
  };

  explicit InMemoryDirectory(Clock* clock) : clock_(clock) {}

  // member(): false (SUPERSEDED) when a higher epoch holds the name.
  bool Member(const std::string& rep, uint64_t epoch, absl::Duration ttl) {
    if (const Member_* m = FindMember(rep); m != nullptr && m->epoch > epoch) return false;
    members_[rep] = Member_{epoch, clock_->Now() + ttl};
    return true;
  }
  void Leave(const std::string& rep, uint64_t epoch) {
    if (const Member_* m = FindMember(rep); m != nullptr && m->epoch == epoch) members_.erase(rep);
  }

  // claim(): OK, REPLACED (same subject, live holder) or TAKEN.
  ClaimResult Claim(const std::string& id, const std::string& sub, const std::string& rep,
                    uint64_t ep, const std::string& sess, absl::Duration ttl) {
    const Entry* h = FindEntry(id);
    std::optional<Entry> replaced;
    if (h != nullptr && Live(h->rep, h->ep)) {
      if (h->sub != sub) {
        return ClaimResult{ClaimResult::Kind::kTaken, 0, Holder{h->rep, h->sess, 0, ""}};
      }
      replaced = *h;
    }
    const uint64_t fence = ++fence_;
    Write(id, sub, rep, ep, sess, fence, ttl);
    ClaimResult result;
    result.fence = fence;
    result.waiting = TakeWaiters(id);
    if (replaced.has_value()) {
      result.kind = ClaimResult::Kind::kReplaced;
      result.previous = Holder{replaced->rep, replaced->sess, replaced->fence, ""};
    }
    return result;
  }

  // lookup(): the live holder, or nullopt; when free and `wait_until` is in
  // the future, `rep` is noted as waiting until then in the same step.
  std::optional<Holder> Lookup(const std::string& id, const std::string& rep,
                               absl::Time wait_until) {
    if (const Entry* h = FindEntry(id); h != nullptr && Live(h->rep, h->ep)) {
      return Holder{h->rep, h->sess, h->fence, h->sub};
    }
    // RedisDirectory sends 0 (no wait) for a wait_until not in the future.
    const int64_t until_ms = wait_until > clock_->Now() ? absl::ToUnixMillis(wait_until) : 0;
    if (until_ms > 0) {
      Waiters& w = LiveWaiters(id);
      auto [it, added] = w.members.emplace(rep, until_ms);
      if (!added) it->second = std::max(it->second, until_ms);  // ZADD GT
      if (w.expires_ms < until_ms) w.expires_ms = until_ms;     // PEXPIRETIME < until
    }
    return std::nullopt;
  }

  // release(): true when `fence` held it (and it is gone now), else STALE.
  bool Release(const std::string& id, uint64_t fence) {
    const Entry* h = FindEntry(id);
    if (h == nullptr || h->fence != fence) return false;
    entries_.erase(id);
    return true;
  }
  // renew(): true when `fence` holds it (its lease now `ttl`), else LOST.
  bool Renew(const std::string& id, uint64_t fence, absl::Duration ttl) {
    auto it = entries_.find(id);
    if (FindEntry(id) == nullptr || it->second.fence != fence) return false;
    it->second.expires = clock_->Now() + ttl;
    return true;
  }

  // reassert(): the highest fence wins.
  Reasserted Reassert(const std::string& id, uint64_t fence, const std::string& sub,
                      const std::string& rep, uint64_t ep, const std::string& sess,
                      absl::Duration ttl) {
    Reasserted result;
    const Entry* h = FindEntry(id);
    if (h != nullptr && h->fence == fence) {
      auto& e = entries_[id];
      e.ep = ep;
      e.expires = clock_->Now() + ttl;
      result.kept = true;
      return result;
    }
    const bool other_live = h != nullptr && Live(h->rep, h->ep);
    if (other_live && h->fence > fence) {
      result.winner = Holder{h->rep, h->sess, h->fence, ""};
      return result;
    }
    if (other_live) result.displaced = Holder{h->rep, h->sess, h->fence, ""};
    fence_ = std::max(fence_, fence);  // the counter never goes below a fence in use
    Write(id, sub, rep, ep, sess, fence, ttl);
    result.kept = true;
    return result;
  }

  // For the test's checks.
  // The entry of `id` (live holder or not), if it has not expired.
  std::optional<Entry> Find(const std::string& id) {
    const Entry* e = FindEntry(id);
    return e != nullptr ? std::optional<Entry>(*e) : std::nullopt;
  }
  // The holder lookup() would answer: the entry, if its replica is live.
  std::optional<Entry> LiveHolder(const std::string& id) {
    const Entry* e = FindEntry(id);
    return e != nullptr && Live(e->rep, e->ep) ? std::optional<Entry>(*e) : std::nullopt;
  }
  // Every unexpired entry, by id.
  std::vector<std::pair<std::string, Entry>> Entries() {
    std::vector<std::pair<std::string, Entry>> all;
    for (const auto& [id, e] : entries_) {
      if (clock_->Now() < e.expires) all.emplace_back(id, e);
    }
    return all;
  }
  uint64_t fence_counter() const { return fence_; }

 private:
  struct Member_ {
    uint64_t epoch;
    absl::Time expires;
  };
  struct Waiters {
    std::map<std::string, int64_t> members;  // replica -> end of its wait (unix ms)
    int64_t expires_ms = -1;                 // -1: no expiry yet (PEXPIRETIME)
  };

  const Member_* FindMember(const std::string& rep) {
    auto it = members_.find(rep);
    if (it == members_.end() || clock_->Now() >= it->second.expires) return nullptr;
    return &it->second;
  }
  bool Live(const std::string& rep, uint64_t ep) {
    const Member_* m = FindMember(rep);
    return m != nullptr && m->epoch == ep;
  }
  const Entry* FindEntry(const std::string& id) {
    auto it = entries_.find(id);
    if (it == entries_.end()) return nullptr;
    if (clock_->Now() >= it->second.expires) {
      entries_.erase(it);  // expired, as Redis would have it
      return nullptr;
    }
    return &it->second;
  }
  void Write(const std::string& id, const std::string& sub, const std::string& rep, uint64_t ep,
             const std::string& sess, uint64_t fence, absl::Duration ttl) {
    entries_[id] = Entry{sub, rep, sess, ep, fence, clock_->Now() + ttl};
  }
  Waiters& LiveWaiters(const std::string& id) {
    auto it = waiters_.find(id);
    if (it != waiters_.end() && it->second.expires_ms >= 0 &&
        absl::ToUnixMillis(clock_->Now()) >= it->second.expires_ms) {
      waiters_.erase(it);
    }
    return waiters_[id];
  }
  // take_waiters(): the replicas still waiting (scored now or later), in
  // ZRANGEBYSCORE order, and the note removed.
  std::vector<std::string> TakeWaiters(const std::string& id) {
    const int64_t now_ms = absl::ToUnixMillis(clock_->Now());
    std::vector<std::pair<int64_t, std::string>> waiting;
    for (const auto& [rep, until] : LiveWaiters(id).members) {
      if (until >= now_ms) waiting.emplace_back(until, rep);
    }
    waiters_.erase(id);
    std::sort(waiting.begin(), waiting.end());
    std::vector<std::string> reps;
    for (auto& [_, rep] : waiting) reps.push_back(std::move(rep));
    return reps;
  }

  Clock* const clock_;
  uint64_t fence_ = 0;
  std::map<std::string, Entry> entries_;
  std::map<std::string, Member_> members_;
  std::map<std::string, Waiters> waiters_;
};

}  // namespace signaling::matching

#endif  // TESTS_SERVICES_MATCHING_IN_MEMORY_DIRECTORY_H_
