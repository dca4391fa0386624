// The pairing engine's deadlines (see pairing_engine.h): arming and disarming
// a session's timers, the earliest deadline, and what each one does when it
// fires (join deadline, wait deadline, token expiry, negotiation timeout,
// the delayed answer to a failed verification).
#include <optional>
#include <tuple>

#include "common/protocol/close_code.h"
#include "services/matching/engine_log.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

using internal::LogEnded;
using internal::t_call_time;

void PairingEngine::Arm(Session& s, Timer timer, absl::Time at) {
  Disarm(s, timer);
  s.timers[timer] = at;
  timers_.emplace(at, s.key, timer);
}

void PairingEngine::Disarm(Session& s, Timer timer) {
  if (s.timers[timer] == absl::InfiniteFuture()) return;
  timers_.erase({s.timers[timer], s.key, timer});
  s.timers[timer] = absl::InfiniteFuture();
}

absl::Time PairingEngine::NextDeadline() const {
  return timers_.empty() ? absl::InfiniteFuture() : std::get<0>(*timers_.begin());
}

Actions PairingEngine::Advance(absl::Time now) {
  Actions out;
  t_call_time = now;
  while (!timers_.empty() && std::get<0>(*timers_.begin()) <= now) {
    const auto [at, key, timer] = *timers_.begin();
    timers_.erase(timers_.begin());
    Session* s = Find(key);
    if (s == nullptr) continue;
    s->timers[timer] = absl::InfiniteFuture();
    Fire(out, *s, timer, now);
  }
  return out;
}

void PairingEngine::Fire(Actions& out, Session& s, Timer timer, absl::Time now) {
  switch (timer) {
    case kJoinDeadline:
      Fail(out, s, v1::Error::UNAUTHENTICATED, "no valid join in time",
           protocol::kCloseUnauthenticated);
      break;
    case kWaitDeadline: {
      std::optional<SessionKey> holder = directory_->Find(s.id);
      const bool busy = holder.has_value();
      Fail(out, s, busy ? v1::Error::PEER_BUSY : v1::Error::PEER_NOT_FOUND,
           busy ? "peer is busy" : "peer not found",
           busy ? protocol::kCloseTryAgain : protocol::kClosePolicy);
      break;
    }
    case kTokenExpiry:
      SendError(out, s, v1::Error::UNAUTHENTICATED, "session token expired");
      CloseSession(out, s, protocol::kCloseUnauthenticated, "token expired",
                   v1::PeerLeft::DISCONNECTED, now);
      break;
    case kNegotiation: {
      // Both sides learn of the timeout; the acceptor waits again.
      Session* offerer = s.peer ? Find(*s.peer) : nullptr;
      if (offerer == nullptr) break;
      EndPairing(out, *offerer, v1::PeerLeft::TIMEOUT, true, now);
      const SessionKey key = offerer->key;
      LogEnded(*offerer, protocol::kCloseNormal, "negotiation timed out");
      Release(out, *offerer);
      out.push_back(CloseAction{key, protocol::kCloseNormal, "negotiation timed out"});
      break;
    }
    case kFailDelay:
      Fail(out, s, v1::Error::UNAUTHENTICATED, "invalid session token",
           protocol::kCloseUnauthenticated);
      break;
    case kTimerCount: break;
  }
}

}  // namespace signaling::matching
