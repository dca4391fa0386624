// The pairing engine's cluster mode (see pairing_engine.h): what a join asks
// the shared directory before it is admitted (an acceptor's claim, an
// offerer's look-up of a target not held here), the directory's answers,
// evictions by newer claims elsewhere, waiting offerers moved to the
// replica their acceptor joined, fencing, and the ids held here for their
// re-assertion.
#include <algorithm>
#include <utility>

#include "common/protocol/close_code.h"
#include "services/matching/engine_log.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

using internal::LogEnded;
using internal::t_call_time;

namespace {
constexpr char kFenced[] = "matching is re-joining its cluster, try again";
}  // namespace

bool PairingEngine::AskDirectory(Actions& out, Session& s, absl::Time now) {
  if (replica_.empty()) return false;
  if (Fenced(now)) {
    // Without a live lease this replica may neither claim nor pair.
    ++counters_.fenced_refusals;
    Fail(out, s, v1::Error::UNAVAILABLE, kFenced, protocol::kCloseTryAgain);
    return true;
  }
  std::optional<SessionKey> holder = directory_->Find(s.id);
  Session* local = holder ? Find(*holder) : nullptr;
  const bool acceptor = s.role == v1::ACCEPTOR;
  if (acceptor && local != nullptr && local->principal.subject != s.principal.subject) {
    return false;  // taken here: Admit refuses it without asking
  }
  if (!acceptor && local != nullptr) return false;  // held here: paired or busy here
  s.directory_request = next_request_++;
  ++pending_directory_;
  if (acceptor) {
    s.state = State::kClaiming;
    out.push_back(ClaimAction{s.key, s.directory_request, s.id, s.principal.subject, s.session_id,
                              s.principal.expires_at});
  } else {
    s.state = State::kLookingUp;
    out.push_back(LookupAction{s.key, s.directory_request, s.id,
                               s.wait_until > now ? s.wait_until : absl::InfinitePast()});
  }
  return true;
}

Actions PairingEngine::OnClaimed(SessionKey key, uint64_t request, const std::string& id,
                                 const absl::StatusOr<ClaimResult>& result, absl::Time now) {
  Actions out;
  t_call_time = now;
  Session* s = Find(key);
  const bool claimed = result.ok() && (result->kind == ClaimResult::Kind::kClaimed ||
                                       result->kind == ClaimResult::Kind::kReplaced);
  // A claim that replaced a holder took the id from it, whether or not this
  // one joins: that holder is closed, there or here.
  auto close_previous = [&] {
    if (result->kind != ClaimResult::Kind::kReplaced || !result->previous.has_value()) return;
    if (result->previous->replica != replica_) {
      out.push_back(EvictAction{result->previous->replica, id, result->previous->fence});
    } else {
      for (Action& a : OnEvicted(id, result->previous->fence, now)) out.push_back(std::move(a));
    }
  };
  if (s == nullptr || request == 0 || s->directory_request != request) {
    // Its session is gone: what it claimed is nobody's.
    if (claimed) {
      early_evictions_.erase(result->fence);
      out.push_back(ReleaseAction{id, result->fence});
      close_previous();
    }
    return out;
  }
  s->directory_request = 0;
  --pending_directory_;
  if (!result.ok() || result->kind == ClaimResult::Kind::kBarrier) {
    Fail(out, *s, v1::Error::UNAVAILABLE, "id directory unavailable", protocol::kCloseTryAgain);
    return out;
  }
  if (result->kind == ClaimResult::Kind::kTaken) {
    Fail(out, *s, v1::Error::ID_TAKEN, "peerId is taken", protocol::kClosePolicy);
    return out;
  }
  s->fence = result->fence;
  if (Fenced(now)) {
    // The lease lapsed while the claim was out: nobody joins here now. Its
    // claim is released (Fail); the holder it replaced goes all the same.
    ++counters_.fenced_refusals;
    close_previous();
    Fail(out, *s, v1::Error::UNAVAILABLE, kFenced, protocol::kCloseTryAgain);
    return out;
  }
  if (result->kind == ClaimResult::Kind::kReplaced && result->previous.has_value() &&
      result->previous->replica != replica_) {
    out.push_back(EvictAction{result->previous->replica, id, result->previous->fence});
  }
  if (auto early = early_evictions_.find(result->fence); early != early_evictions_.end()) {
    // A newer claim elsewhere replaced this one, and its eviction came
    // before this answer: the newer claim owns the id.
    early_evictions_.erase(early);
    s->fence = 0;
    ++counters_.evictions;
    CloseSession(out, *s, protocol::kCloseReplaced, "replaced by a newer session",
                 v1::PeerLeft::REPLACED, now);
    if (result->previous.has_value() && result->previous->replica == replica_) close_previous();
    return out;
  }
  Admit(out, *s, now);  // a same-subject holder here is replaced there
  return out;
}

Actions PairingEngine::OnLookedUp(SessionKey key, uint64_t request,
                                  const absl::StatusOr<std::optional<Holder>>& result,
                                  absl::Time now) {
  Actions out;
  t_call_time = now;
  Session* s = Find(key);
  if (s == nullptr || request == 0 || s->directory_request != request) return out;
  s->directory_request = 0;
  --pending_directory_;
  if (!result.ok()) {
    Fail(out, *s, v1::Error::UNAVAILABLE, "id directory unavailable", protocol::kCloseTryAgain);
    return out;
  }
  const std::optional<Holder>& holder = *result;
  if (holder.has_value() && holder->replica != replica_) {
    // Held elsewhere: the offerer joins there, and is told `joined` there,
    // unless it was already (moved here after `joined` elsewhere): then it
    // keeps its session id there too, told `joined` once.
    ++counters_.redirects;
    out.push_back(RedirectAction{s->key, holder->replica, s->announced ? s->session_id : ""});
    LogEnded(*s, 0, "moved to the replica holding its target");
    Release(out, *s);
    return out;
  }
  if (Fenced(now)) {
    // The lease lapsed while the look-up was out: no pairing here now.
    ++counters_.fenced_refusals;
    Fail(out, *s, v1::Error::UNAVAILABLE, kFenced, protocol::kCloseTryAgain);
    return out;
  }
  // Free, or held here by a session this replica no longer has (a release
  // on its way): not found here, so it waits or is refused here.
  Admit(out, *s, now);
  return out;
}

Actions PairingEngine::OnEvicted(const std::string& id, uint64_t fence, absl::Time now) {
  Actions out;
  t_call_time = now;
  std::optional<SessionKey> holder = directory_->Find(id);
  Session* s = holder ? Find(*holder) : nullptr;
  if (s == nullptr || s->fence != fence) {
    // Stale, or early: the answer to the claim with this fence may still
    // be on its way here. Kept as long as that claim's session may live.
    for (auto it = early_evictions_.begin(); it != early_evictions_.end();) {
      if (it->second <= now) {
        early_evictions_.erase(it++);
      } else {
        ++it;
      }
    }
    early_evictions_[fence] = now + limits_.join_deadline;
    return out;
  }
  // The newer claim owns the id there: ours must not release it.
  s->fence = 0;
  ++counters_.evictions;
  CloseSession(out, *s, protocol::kCloseReplaced, "replaced by a newer session",
               v1::PeerLeft::REPLACED, now);
  return out;
}

Actions PairingEngine::OnAcceptorElsewhere(const std::string& id, const std::string& replica,
                                           absl::Time now) {
  Actions out;
  t_call_time = now;
  if (replica == replica_) return out;
  auto it = waiting_.find(id);
  if (it == waiting_.end()) return out;
  const std::vector<SessionKey> waiting = it->second;  // Release edits the queue
  for (SessionKey key : waiting) {
    Session* s = Find(key);
    if (s == nullptr) continue;
    ++counters_.redirects;
    out.push_back(RedirectAction{key, replica, s->session_id});
    LogEnded(*s, 0, "moved to the replica its target joined");
    Release(out, *s);
  }
  return out;
}

Actions PairingEngine::RenewLease(absl::Time until, absl::Time now) {
  Actions out;
  t_call_time = now;
  const bool lapsed = Fenced(now);
  lease_until_ = until;
  if (!lapsed) return out;
  std::vector<SessionKey> claiming;
  for (const auto& [key, s] : sessions_) {
    if (s->state == State::kClaiming) claiming.push_back(key);
  }
  std::sort(claiming.begin(), claiming.end());  // in the order they came
  for (SessionKey key : claiming) {
    // Its answer, when it comes, finds it gone: what it claimed is released.
    ++counters_.fenced_refusals;
    Fail(out, *Find(key), v1::Error::UNAVAILABLE, kFenced, protocol::kCloseTryAgain);
  }
  return out;
}

std::vector<HeldId> PairingEngine::HeldIds() const {
  std::vector<HeldId> held;
  for (const auto& [_, s] : sessions_) {
    if (s->fence != 0) {
      held.push_back(
          {s->id, s->session_id, s->principal.subject, s->fence, s->principal.expires_at});
    }
  }
  return held;
}

}  // namespace signaling::matching
