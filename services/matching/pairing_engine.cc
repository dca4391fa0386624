// The pairing state machine; see pairing_engine.h.
#include "services/matching/pairing_engine.h"

#include <algorithm>
#include <utility>

#include "absl/random/random.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"
#include "common/protocol/close_code.h"
#include "services/matching/field_grammar.h"

namespace signaling::matching {
namespace {


const char* StateName(int state) {
  static const char* kNames[] = {"awaiting_join", "verifying", "waiting", "registered", "paired"};
  return kNames[state];
}

// Session lines (common/log, see docs/operations.md "Logs"). The time of
// the engine call in progress: session.ended's duration where the caller
// (Fail, CloseAll) was not given one; never before the last activity
// (CloseAll may run on a thread of no earlier call). One call, one thread.
thread_local absl::Time t_call_time;

spdlog::logger& Log() {
  static const auto* logger = new std::shared_ptr<spdlog::logger>(log::Get("matching"));
  return **logger;
}

template <class Session>
void LogEnded(const Session& s, uint32_t code, std::string_view cause) {
  if (!Log().should_log(spdlog::level::debug)) return;
  log::Event(Log(), spdlog::level::debug, "session.ended",
             {{"session", log::Redact(s.session_id)},
              {"code", code},
              {"cause", cause},
              {"duration", std::max(t_call_time, s.last_activity) - s.connected_at},
              {"in", s.messages_in},
              {"out", s.messages_out}});
}

// Every refusal at debug; otherwise one per error code per 10 s at info.
void LogRefused(const std::string& session_id, v1::Error::Code code) {
  const std::string& name = v1::Error::Code_Name(code);
  spdlog::level::level_enum level = spdlog::level::debug;
  if (!Log().should_log(level)) {
    level = spdlog::level::info;
    if (!Log().should_log(level) || !log::ShouldLog(absl::StrCat("refused:", name))) return;
  }
  log::Event(Log(), level, "session.refused",
             {{"session", log::Redact(session_id)}, {"code", name}});
}

}  // namespace

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

PairingEngine::PairingEngine(EngineLimits limits, std::unique_ptr<AcceptorDirectory> directory)
    : limits_(std::move(limits)),
      directory_(directory ? std::move(directory) : std::make_unique<InMemoryAcceptorDirectory>()),
      throttle_(limits_.auth_throttle) {}

PairingEngine::Session* PairingEngine::Find(SessionKey key) {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second.get();
}

std::string PairingEngine::NewSessionId() {
  thread_local absl::BitGen gen;
  return absl::StrFormat("s_%016x%016x", absl::Uniform<uint64_t>(gen),
                         absl::Uniform<uint64_t>(gen));
}

Actions PairingEngine::Open(SessionKey key, ConnectionMeta meta, absl::Time now) {
  Actions out;
  t_call_time = now;
  auto session =
      std::make_unique<Session>(key, TokenBucket(limits_.rate_per_second, limits_.rate_burst, now));
  session->meta = std::move(meta);
  session->connected_at = now;
  session->last_activity = now;
  session->session_id = NewSessionId();
  Session& s = *session;
  sessions_[key] = std::move(session);
  Arm(s, kJoinDeadline, now + limits_.join_deadline);
  if (Log().should_log(spdlog::level::debug)) {
    log::Event(Log(), spdlog::level::debug, "session.opened",
               {{"session", log::Redact(s.session_id)}, {"ip", log::RedactIp(s.meta.client_ip)}});
  }
  return out;
}

void PairingEngine::Send(Actions& out, Session& to, v1::ServerMessage message) {
  ++to.messages_out;
  out.push_back(SendAction{to.key, std::move(message)});
}

void PairingEngine::SendError(Actions& out, Session& to, v1::Error::Code code,
                              const std::string& text) {
  ++counters_.refused[v1::Error::Code_Name(code)];
  LogRefused(to.session_id, code);
  v1::ServerMessage m;
  m.mutable_error()->set_code(code);
  m.mutable_error()->set_message(text);
  Send(out, to, std::move(m));
}

void PairingEngine::Fail(Actions& out, Session& s, v1::Error::Code code, const std::string& text,
                         uint32_t close_code) {
  SendError(out, s, code, text);
  const SessionKey key = s.key;
  LogEnded(s, close_code, text);
  Release(s);
  out.push_back(CloseAction{key, close_code, text});
}

void PairingEngine::CloseSession(Actions& out, Session& s, uint32_t code, const std::string& reason,
                                 v1::PeerLeft::Reason peer_reason, absl::Time now) {
  if (s.state == State::kPaired) EndPairing(out, s, peer_reason, false, now);
  const SessionKey key = s.key;
  LogEnded(s, code, reason);
  Release(s);
  out.push_back(CloseAction{key, code, reason});
}

void PairingEngine::Release(Session& s) {
  for (int t = 0; t < kTimerCount; ++t) Disarm(s, static_cast<Timer>(t));
  if (s.verify_request != 0) --pending_verifications_;
  if (s.role == v1::ACCEPTOR && (s.state == State::kRegistered || s.state == State::kPaired)) {
    directory_->Remove(s.id, s.key);
  }
  if (s.state == State::kWaiting) {
    auto it = waiting_.find(s.id);
    if (it != waiting_.end()) {
      auto& queue = it->second;
      queue.erase(std::remove(queue.begin(), queue.end(), s.key), queue.end());
      if (queue.empty()) waiting_.erase(it);
    }
  }
  sessions_.erase(s.key);  // destroys s
}

Actions PairingEngine::OnMessage(SessionKey key, v1::ClientMessage message, absl::Time now) {
  Actions out;
  t_call_time = now;
  Session* s = Find(key);
  if (s == nullptr) return out;
  ++s->messages_in;
  s->last_activity = now;
  if (!s->bucket.TryTake(now)) {
    ++counters_.rate_limited;
    if (++s->refused_in_row >= limits_.rate_abuse_threshold) {
      SendError(out, *s, v1::Error::RATE_LIMITED, "rate limit abused");
      CloseSession(out, *s, protocol::kCloseRateLimit, "rate limit abused", v1::PeerLeft::DISCONNECTED, now);
    } else {
      SendError(out, *s, v1::Error::RATE_LIMITED, "too many messages");
    }
    return out;
  }
  s->refused_in_row = 0;
  const bool joined = s->state != State::kAwaitingJoin && s->state != State::kVerifying;
  switch (message.kind_case()) {
    case v1::ClientMessage::kJoin:
      if (s->state != State::kAwaitingJoin) {
        SendError(out, *s, v1::Error::INVALID_STATE, "already joined");
      } else {
        HandleJoin(out, *s, message.join(), now);
      }
      break;
    case v1::ClientMessage::kOffer:
      HandleDescription(out, *s, std::move(*message.mutable_offer()), true, now);
      break;
    case v1::ClientMessage::kAnswer:
      HandleDescription(out, *s, std::move(*message.mutable_answer()), false, now);
      break;
    case v1::ClientMessage::kIceCandidate:
      HandleCandidate(out, *s, std::move(*message.mutable_ice_candidate()));
      break;
    case v1::ClientMessage::kLeave: HandleLeave(out, *s, now); break;
    case v1::ClientMessage::kRefresh: {
      if (!joined || s->verify_request != 0) {
        SendError(out, *s, v1::Error::INVALID_STATE, "refresh needs a joined session");
      } else if (message.refresh().session_token().empty() ||
                 message.refresh().session_token().size() > limits_.max_token_bytes) {
        SendError(out, *s, v1::Error::UNAUTHENTICATED, "invalid token");
      } else {
        s->verify_request = next_request_++;
        s->verify_purpose = VerifyPurpose::kRefresh;
        ++pending_verifications_;
        out.push_back(VerifyAction{s->key, s->verify_request, message.refresh().session_token()});
      }
      break;
    }
    case v1::ClientMessage::kPing: {
      if (!joined) {
        SendError(out, *s, v1::Error::INVALID_STATE, "ping needs a joined session");
        break;
      }
      if (!IsValidNonce(message.ping().nonce())) {
        SendError(out, *s, v1::Error::INVALID_MESSAGE,
                  "nonce must be 0-64 of A-Z a-z 0-9 - . _ ~ : + / =");
        break;
      }
      v1::ServerMessage pong;
      auto* p = pong.mutable_pong();
      if (message.ping().has_nonce()) p->set_nonce(message.ping().nonce());
      Send(out, *s, std::move(pong));
      break;
    }
    case v1::ClientMessage::KIND_NOT_SET:
      // A kind of a newer version (the codecs decode it to no kind): refused,
      // not fatal, before join as after (protocol section 3).
      SendError(out, *s, v1::Error::INVALID_MESSAGE, "unknown message kind");
      break;
  }
  return out;
}

void PairingEngine::HandleJoin(Actions& out, Session& s, const v1::Join& join, absl::Time now) {
  if (join.role() != v1::ACCEPTOR && join.role() != v1::OFFERER) {
    Fail(out, s, v1::Error::INVALID_MESSAGE, "role must be ACCEPTOR or OFFERER", protocol::kCloseMalformed);
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
  if (s == nullptr || s->verify_request != request) return out;
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
      Fail(out, *s, v1::Error::UNAUTHENTICATED, "invalid session token", protocol::kCloseUnauthenticated);
    } else {
      Fail(out, *s, v1::Error::UNAVAILABLE, "token verification unavailable", protocol::kCloseTryAgain);
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
  std::optional<SessionKey> holder = directory_->Find(s.id);
  Session* existing = holder ? Find(*holder) : nullptr;
  if (acceptor && existing != nullptr) {
    if (existing->principal.subject != p.subject) {
      Fail(out, s, v1::Error::ID_TAKEN, "peerId is taken", protocol::kClosePolicy);
      return;
    }
    CloseSession(out, *existing, protocol::kCloseReplaced, "replaced by a newer session",
                 v1::PeerLeft::REPLACED, now);
  }
  Disarm(s, kJoinDeadline);
  Arm(s, kTokenExpiry, p.expires_at);
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
  Send(out, s, std::move(joined));
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
  if (it == waiting_.end()) return;
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

void PairingEngine::EndPairing(Actions& out, Session& s, v1::PeerLeft::Reason reason,
                               bool notify_self, absl::Time now) {
  Session* other = s.peer ? Find(*s.peer) : nullptr;
  Session* acceptor = s.role == v1::ACCEPTOR ? &s : other;
  if (acceptor != nullptr) Disarm(*acceptor, kNegotiation);
  s.peer.reset();
  s.state = s.role == v1::ACCEPTOR ? State::kRegistered : s.state;
  --pairings_;
  ++counters_.pairings_ended[reason];
  v1::ServerMessage left;
  left.mutable_peer_left()->set_reason(reason);
  if (notify_self) Send(out, s, left);
  if (other == nullptr) return;
  other->peer.reset();
  Send(out, *other, left);
  if (other->role == v1::OFFERER) {
    // An offerer's session exists for one pairing: it ends with it.
    const SessionKey key = other->key;
    other->state = State::kRegistered;  // no longer paired: Release skips it
    LogEnded(*other, protocol::kCloseNormal, "pairing ended");
    Release(*other);
    out.push_back(CloseAction{key, protocol::kCloseNormal, "pairing ended"});
  } else {
    other->state = State::kRegistered;
    ServeWaiting(out, *other, now);
  }
}

void PairingEngine::HandleLeave(Actions& out, Session& s, absl::Time now) {
  if (s.role == v1::OFFERER && (s.state == State::kPaired || s.state == State::kWaiting)) {
    CloseSession(out, s, protocol::kCloseNormal, "left", v1::PeerLeft::LEFT, now);
    return;
  }
  if (s.state != State::kPaired) {
    SendError(out, s, v1::Error::INVALID_STATE, "not paired");
    return;
  }
  EndPairing(out, s, v1::PeerLeft::LEFT, false, now);
  if (Find(s.key) != nullptr && s.state == State::kRegistered) ServeWaiting(out, s, now);
}

absl::Status PairingEngine::CheckCandidate(const Session& s, const v1::IceCandidate& c) const {
  if (absl::Status st = sdp::ValidateCandidate(c.candidate(), limits_.candidate); !st.ok()) {
    return st;
  }
  if (c.has_sdp_m_line_index() && s.media_sections > 0 &&
      c.sdp_m_line_index() >= static_cast<uint32_t>(s.media_sections)) {
    return absl::InvalidArgumentError("sdpMLineIndex out of range");
  }
  if (c.has_sdp_mid()) {
    if (!sdp::ValidateSdpMid(c.sdp_mid()).ok()) {
      return absl::InvalidArgumentError("sdpMid must be 1-32 identification-tag characters");
    }
    // When the description named its sections, the mid must be one of them.
    const bool mids_known = std::any_of(s.mids.begin(), s.mids.end(),
                                        [](const std::string& mid) { return !mid.empty(); });
    if (mids_known && std::find(s.mids.begin(), s.mids.end(), c.sdp_mid()) == s.mids.end()) {
      return absl::InvalidArgumentError("sdpMid names no m-section of the description");
    }
  }
  if (c.has_username_fragment() && !sdp::ValidateUsernameFragment(c.username_fragment()).ok()) {
    return absl::InvalidArgumentError("usernameFragment must be 4-256 ice-chars");
  }
  return absl::OkStatus();
}

void PairingEngine::HandleDescription(Actions& out, Session& s, v1::SessionDescription&& d,
                                      bool is_offer, absl::Time now) {
  Session* peer = s.state == State::kPaired && s.peer ? Find(*s.peer) : nullptr;
  const bool allowed =
      peer != nullptr &&
      (is_offer ? s.role == v1::OFFERER && s.negotiation != Negotiation::kAwaitingAnswer
                : s.role == v1::ACCEPTOR && s.negotiation == Negotiation::kAwaitingAnswer);
  if (!allowed) {
    SendError(out, s, v1::Error::INVALID_STATE,
              is_offer ? "offer not allowed now" : "answer not allowed now");
    return;
  }
  auto info = sdp::ValidateSdp(d.sdp(), is_offer ? sdp::SdpType::kOffer : sdp::SdpType::kAnswer,
                               limits_.sdp);
  if (!info.ok()) {
    SendError(out, s, v1::Error::INVALID_SDP, std::string(info.status().message()));
    return;
  }
  if (static_cast<size_t>(d.ice_candidates_size()) > limits_.max_candidates_per_message) {
    SendError(out, s, v1::Error::INVALID_CANDIDATE, "too many candidates in one message");
    return;
  }
  // Inline candidates are checked against this description, not the last.
  const int previous_sections = s.media_sections;
  std::vector<std::string> previous_mids = std::exchange(s.mids, info->mids);
  s.media_sections = info->media_sections;
  for (const auto& c : d.ice_candidates()) {
    if (absl::Status st = CheckCandidate(s, c); !st.ok()) {
      s.media_sections = previous_sections;
      s.mids = std::move(previous_mids);
      SendError(out, s, v1::Error::INVALID_CANDIDATE, std::string(st.message()));
      return;
    }
  }
  if (s.candidates + d.ice_candidates_size() > limits_.max_candidates_per_session) {
    s.media_sections = previous_sections;
    s.mids = std::move(previous_mids);
    SendError(out, s, v1::Error::RESOURCE_EXHAUSTED, "too many candidates in this session");
    return;
  }
  s.candidates += d.ice_candidates_size();
  peer->media_sections = info->media_sections;
  peer->mids = s.mids;
  const Negotiation next = is_offer ? Negotiation::kAwaitingAnswer : Negotiation::kStable;
  s.negotiation = peer->negotiation = next;
  v1::ServerMessage relayed;
  // Moved, not copied: the SDP and candidates go to the peer as they came.
  if (is_offer) {
    *relayed.mutable_offer() = std::move(d);
    s.offer_at = peer->offer_at = now;
    ++counters_.relayed[0];
  } else {
    *relayed.mutable_answer() = std::move(d);
    ++counters_.relayed[1];
    if (counters_.offer_to_answer_seconds.size() < EngineCounters::kMaxSamples) {
      counters_.offer_to_answer_seconds.push_back(absl::ToDoubleSeconds(now - s.offer_at));
    }
    if (!s.answered_once) {
      s.answered_once = peer->answered_once = true;
      ++counters_.pairings_completed;
      Disarm(s, kNegotiation);
    }
  }
  relayed.DiscardUnknownFields();  // a protobuf client's unknown fields stop here
  Send(out, *peer, std::move(relayed));
}

void PairingEngine::HandleCandidate(Actions& out, Session& s, v1::IceCandidate&& c) {
  Session* peer = s.state == State::kPaired && s.peer ? Find(*s.peer) : nullptr;
  if (peer == nullptr) {
    SendError(out, s, v1::Error::INVALID_STATE, "candidates need a pairing");
    return;
  }
  if (absl::Status st = CheckCandidate(s, c); !st.ok()) {
    SendError(out, s, v1::Error::INVALID_CANDIDATE, std::string(st.message()));
    return;
  }
  if (s.candidates + 1 > limits_.max_candidates_per_session) {
    SendError(out, s, v1::Error::RESOURCE_EXHAUSTED, "too many candidates in this session");
    return;
  }
  ++s.candidates;
  ++counters_.relayed[2];
  v1::ServerMessage relayed;
  *relayed.mutable_ice_candidate() = std::move(c);
  relayed.DiscardUnknownFields();  // a protobuf client's unknown fields stop here
  Send(out, *peer, std::move(relayed));
}

Actions PairingEngine::OnTransportClosed(SessionKey key, absl::Time now) {
  Actions out;
  t_call_time = now;
  Session* s = Find(key);
  if (s == nullptr) return out;
  if (s->state == State::kPaired) EndPairing(out, *s, v1::PeerLeft::DISCONNECTED, false, now);
  LogEnded(*s, 0, "transport closed");
  Release(*s);
  return out;
}

Actions PairingEngine::Disconnect(const std::string& peer_id, absl::Time now, bool* found) {
  Actions out;
  t_call_time = now;
  std::optional<SessionKey> key = directory_->Find(peer_id);
  Session* s = key ? Find(*key) : nullptr;
  *found = s != nullptr;
  if (s != nullptr) {
    CloseSession(out, *s, protocol::kClosePolicy, "disconnected by the operator", v1::PeerLeft::DISCONNECTED,
                 now);
  }
  return out;
}

Actions PairingEngine::CloseAll(uint32_t code, const std::string& reason,
                                uint32_t reconnect_after_ms) {
  Actions out;
  v1::ServerMessage go_away;
  go_away.mutable_go_away()->set_reconnect_after_ms(reconnect_after_ms);
  std::vector<SessionKey> keys;
  keys.reserve(sessions_.size());
  for (const auto& [key, _] : sessions_) keys.push_back(key);
  for (SessionKey key : keys) {
    Session* s = Find(key);
    if (s->state == State::kPaired && s->peer) {
      // Both sides close here, alike: the pairing ends without peerLeft.
      if (Session* other = Find(*s->peer); other != nullptr) other->peer.reset();
      s->peer.reset();
      --pairings_;
      ++counters_.pairings_ended[v1::PeerLeft::DISCONNECTED];
    }
    Send(out, *s, go_away);
    LogEnded(*s, code, reason);
    Release(*s);
    out.push_back(CloseAction{key, code, reason});
  }
  return out;
}

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
      Fail(out, s, v1::Error::UNAUTHENTICATED, "no valid join in time", protocol::kCloseUnauthenticated);
      break;
    case kWaitDeadline: {
      std::optional<SessionKey> holder = directory_->Find(s.id);
      const bool busy = holder.has_value();
      Fail(out, s, busy ? v1::Error::PEER_BUSY : v1::Error::PEER_NOT_FOUND,
           busy ? "peer is busy" : "peer not found", busy ? protocol::kCloseTryAgain : protocol::kClosePolicy);
      break;
    }
    case kTokenExpiry:
      SendError(out, s, v1::Error::UNAUTHENTICATED, "session token expired");
      CloseSession(out, s, protocol::kCloseUnauthenticated, "token expired", v1::PeerLeft::DISCONNECTED, now);
      break;
    case kNegotiation: {
      // Both sides learn of the timeout; the acceptor waits again.
      Session* offerer = s.peer ? Find(*s.peer) : nullptr;
      if (offerer == nullptr) break;
      EndPairing(out, *offerer, v1::PeerLeft::TIMEOUT, true, now);
      const SessionKey key = offerer->key;
      LogEnded(*offerer, protocol::kCloseNormal, "negotiation timed out");
      Release(*offerer);
      out.push_back(CloseAction{key, protocol::kCloseNormal, "negotiation timed out"});
      break;
    }
    case kFailDelay:
      Fail(out, s, v1::Error::UNAUTHENTICATED, "invalid session token", protocol::kCloseUnauthenticated);
      break;
    case kTimerCount: break;
  }
}

EngineStats PairingEngine::Stats() const {
  EngineStats stats;
  stats.sessions = sessions_.size();
  stats.ids = directory_->size();
  stats.pairings = pairings_;
  for (const auto& [_, q] : waiting_) stats.waiting_offerers += q.size();
  stats.pending_verifications = pending_verifications_;
  stats.timers = timers_.size();
  return stats;
}

std::array<size_t, 3> PairingEngine::SessionsByRole() const {
  std::array<size_t, 3> counts{};
  for (const auto& [_, s] : sessions_) {
    if (s->state != State::kAwaitingJoin) ++counts[s->role];
  }
  counts[v1::ROLE_UNSPECIFIED] = sessions_.size() - counts[v1::ACCEPTOR] - counts[v1::OFFERER];
  return counts;
}

std::vector<SessionView> PairingEngine::ListSessions() const {
  std::vector<SessionView> list;
  list.reserve(sessions_.size());
  for (const auto& [_, s] : sessions_) {
    list.push_back(SessionView{
        .session_id = s->session_id,
        .role = s->role,
        .id = s->id,
        .subject = s->principal.subject,
        .state = StateName(static_cast<int>(s->state)),
        .client_ip = s->meta.client_ip,
        .connected_at = s->connected_at,
        .last_activity = s->last_activity,
        .messages_in = s->messages_in,
        .messages_out = s->messages_out,
    });
  }
  return list;
}

}  // namespace signaling::matching
