// The pairing engine's joins and pairing (see pairing_engine.h): the join
// message, the verifier's answer (for a join or a token refresh), the
// grants and the replacement of an acceptor, busy and not-found, waiting
// offerers served in arrival order, and the pairing itself; with the id and
// grant grammars (IsValidPeerId, GrantMatches).
#include <algorithm>
#include <utility>

#include "common/log/log.h"
#include "common/protocol/close_code.h"
#include "services/matching/engine_log.h"
#include "services/matching/field_grammar.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

using internal::Log;
using internal::t_call_time;

bool IsValidPeerId(const std::string& id, size_t max_bytes) {
  if (id.empty() || id.size() > max_bytes) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '~' || c == ':' || c == '@' || c == '-';
  });
}

bool GrantMatches(const std::vector<std::string>& patterns, const std::string& id) {
  for (const std::string& p : patterns) {
    if (!p.empty() && p.back() == '*') {
      if (id.compare(0, p.size() - 1, p, 0, p.size() - 1) == 0) return true;
    } else if (p == id) {
      return true;
    }
  }
  return false;
}

void PairingEngine::HandleJoin(Actions& out, Session& s, const v1::Join& join, absl::Time now) {
  if (join.role() != v1::ACCEPTOR && join.role() != v1::OFFERER) {
    Fail(out, s, v1::Error::INVALID_MESSAGE, "role must be ACCEPTOR or OFFERER",
         protocol::kCloseMalformed);
    return;
  }
  const bool acceptor = join.role() == v1::ACCEPTOR;
  const std::string& id = acceptor ? join.peer_id() : join.target_id();
  if (!IsValidPeerId(id, limits_.max_id_bytes)) {
    Fail(out, s, v1::Error::INVALID_MESSAGE, acceptor ? "invalid peerId" : "invalid targetId",
         protocol::kCloseMalformed);
    return;
  }
  std::string token = join.session_token().empty() ? s.meta.bearer_token : join.session_token();
  if (token.empty() || token.size() > limits_.max_token_bytes) {
    Fail(out, s, v1::Error::UNAUTHENTICATED, "a valid session token is required",
         protocol::kCloseUnauthenticated);
    return;
  }
  if (throttle_.LockedOut(s.meta.client_ip, now)) {
    ++counters_.auth_throttled;
    Fail(out, s, v1::Error::UNAUTHENTICATED, "too many failed attempts, try again later",
         protocol::kCloseUnauthenticated);
    return;
  }
  s.role = join.role();
  s.id = id;
  s.state = State::kVerifying;
  s.wait_until = now + std::min(absl::Milliseconds(join.wait_ms()), limits_.max_wait);
  s.verify_request = next_request_++;
  s.verify_purpose = VerifyPurpose::kJoin;
  ++pending_verifications_;
  s.meta.bearer_token.clear();  // not kept beyond its use
  out.push_back(VerifyAction{s.key, s.verify_request, std::move(token)});
}

Actions PairingEngine::OnVerified(SessionKey key, uint64_t request,
                                  const absl::StatusOr<Principal>& principal, absl::Time now) {
  Actions out;
  t_call_time = now;
  Session* s = Find(key);
  // 0 is no request (ids start at 1): verify_request is 0 when none is
  // pending, and a stray answer must not be taken for one.
  if (s == nullptr || request == 0 || s->verify_request != request) return out;
  s->verify_request = 0;
  --pending_verifications_;
  if (s->verify_purpose == VerifyPurpose::kRefresh) {
    if (!principal.ok()) {
      SendError(out, *s,
                principal.status().code() == absl::StatusCode::kUnauthenticated
                    ? v1::Error::UNAUTHENTICATED
                    : v1::Error::UNAVAILABLE,
                "token refresh refused");
    } else if (principal->subject != s->principal.subject) {
      SendError(out, *s, v1::Error::UNAUTHENTICATED, "refresh needs the same subject");
    } else if (!GrantMatches(s->role == v1::ACCEPTOR ? principal->accept : principal->offer,
                             s->id)) {
      SendError(out, *s, v1::Error::PERMISSION_DENIED, "id not granted by the new token");
    } else {
      s->principal = *principal;
      Arm(*s, kTokenExpiry, principal->expires_at);
      if (s->fence != 0) out.push_back(RenewAction{s->id, s->fence, principal->expires_at});
    }
    return out;
  }
  if (!principal.ok()) {
    if (principal.status().code() == absl::StatusCode::kUnauthenticated) {
      // Repeated failures from one address are answered ever more slowly.
      const absl::Duration delay = throttle_.RecordFailure(s->meta.client_ip, now);
      if (delay > absl::ZeroDuration()) {
        ++counters_.auth_throttled;
        Arm(*s, kFailDelay, now + delay);
        return out;
      }
      Fail(out, *s, v1::Error::UNAUTHENTICATED, "invalid session token",
           protocol::kCloseUnauthenticated);
    } else {
      Fail(out, *s, v1::Error::UNAVAILABLE, "token verification unavailable",
           protocol::kCloseTryAgain);
    }
    return out;
  }
  throttle_.RecordSuccess(s->meta.client_ip);
  JoinVerified(out, *s, *principal, now);
  return out;
}

void PairingEngine::JoinVerified(Actions& out, Session& s, const Principal& p, absl::Time now) {
  const bool acceptor = s.role == v1::ACCEPTOR;
  // The subject is relayed to the peer in paired: it must follow its grammar.
  if (!IsValidSubject(p.subject)) {
    Fail(out, s, v1::Error::UNAUTHENTICATED, "token subject not acceptable",
         protocol::kCloseUnauthenticated);
    return;
  }
  // Permission before existence: an offerer cannot probe ids it lacks.
  if (!GrantMatches(acceptor ? p.accept : p.offer, s.id)) {
    Fail(out, s, v1::Error::PERMISSION_DENIED,
         acceptor ? "peerId not granted" : "targetId not granted", protocol::kClosePermission);
    return;
  }
  s.principal = p;
  if (AskDirectory(out, s, now)) return;
  Admit(out, s, now);
}

void PairingEngine::Admit(Actions& out, Session& s, absl::Time now) {
  const bool acceptor = s.role == v1::ACCEPTOR;
  std::optional<SessionKey> holder = directory_->Find(s.id);
  Session* existing = holder ? Find(*holder) : nullptr;
  if (acceptor && existing != nullptr) {
    if (existing->principal.subject != s.principal.subject) {
      Fail(out, s, v1::Error::ID_TAKEN, "peerId is taken", protocol::kClosePolicy);
      return;
    }
    // A claim here already replaced it in the directory: its release is
    // stale there, and harmless.
    CloseSession(out, *existing, protocol::kCloseReplaced, "replaced by a newer session",
                 v1::PeerLeft::REPLACED, now);
  }
  Disarm(s, kJoinDeadline);
  Arm(s, kTokenExpiry, s.principal.expires_at);
  s.joined_at = now;
  ++counters_.joins;
  v1::ServerMessage joined;
  auto* j = joined.mutable_joined();
  j->set_session_id(s.session_id);
  j->set_role(s.role);
  if (acceptor) {
    j->set_peer_id(s.id);
  } else {
    j->set_target_id(s.id);
  }
  if (!s.announced) Send(out, s, std::move(joined));  // else told so where it was moved from
  if (Log().should_log(spdlog::level::debug)) {
    log::Event(Log(), spdlog::level::debug, "session.joined",
               {{"session", log::Redact(s.session_id)},
                {"role", v1::Role_Name(s.role)},
                {"id", log::Redact(s.id)}});
  }

  if (acceptor) {
    s.state = State::kRegistered;
    directory_->Put(s.id, s.key);
    ServeWaiting(out, s, now);
    return;
  }
  if (existing != nullptr) {
    if (existing->state == State::kPaired) {
      Fail(out, s, v1::Error::PEER_BUSY, "peer is busy", protocol::kCloseTryAgain);
      return;
    }
    Pair(out, *existing, s, now);
    return;
  }
  if (s.wait_until <= now) {
    Fail(out, s, v1::Error::PEER_NOT_FOUND, "peer not found", protocol::kClosePolicy);
    return;
  }
  s.state = State::kWaiting;
  waiting_[s.id].push_back(s.key);
  Arm(s, kWaitDeadline, s.wait_until);
}

void PairingEngine::ServeWaiting(Actions& out, Session& acceptor, absl::Time now) {
  auto it = waiting_.find(acceptor.id);
  if (it == waiting_.end() || Fenced(now)) return;  // fenced: they wait on, or time out
  const SessionKey first = it->second.front();
  it->second.erase(it->second.begin());
  if (it->second.empty()) waiting_.erase(it);
  Session* offerer = Find(first);
  if (offerer == nullptr) return;
  Disarm(*offerer, kWaitDeadline);
  Pair(out, acceptor, *offerer, now);
}

void PairingEngine::Pair(Actions& out, Session& acceptor, Session& offerer, absl::Time now) {
  for (Session* s : {&acceptor, &offerer}) {
    s->state = State::kPaired;
    s->negotiation = Negotiation::kAwaitingOffer;
    s->answered_once = false;
    s->media_sections = 0;
    s->mids.clear();
    s->paired_at = now;
    s->candidates = 0;
  }
  acceptor.peer = offerer.key;
  offerer.peer = acceptor.key;
  ++pairings_;
  ++counters_.pairings_started;
  if (counters_.join_to_paired_seconds.size() < EngineCounters::kMaxSamples) {
    counters_.join_to_paired_seconds.push_back(absl::ToDoubleSeconds(now - offerer.joined_at));
  }
  Arm(acceptor, kNegotiation, now + limits_.negotiation_timeout);
  v1::ServerMessage to_acceptor;
  to_acceptor.mutable_paired()->mutable_peer()->set_subject(offerer.principal.subject);
  Send(out, acceptor, std::move(to_acceptor));
  v1::ServerMessage to_offerer;
  to_offerer.mutable_paired()->mutable_peer()->set_subject(acceptor.principal.subject);
  Send(out, offerer, std::move(to_offerer));
  if (Log().should_log(spdlog::level::debug)) {
    for (const auto& [self, peer] :
         {std::pair{&acceptor, &offerer}, std::pair{&offerer, &acceptor}}) {
      log::Event(Log(), spdlog::level::debug, "session.paired",
                 {{"session", log::Redact(self->session_id)},
                  {"peer_session", log::Redact(peer->session_id)}});
    }
  }
}

}  // namespace signaling::matching
