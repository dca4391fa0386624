// The pairing engine's sessions (see pairing_engine.h): construction, Open,
// the message dispatch (OnMessage), sending, refusing and closing, the
// release of every trace of a session, the transport's end, the admin's
// Disconnect and the shutdown's CloseAll, and the views of the open
// sessions (Stats, SessionsByRole, ListSessions). Joining and pairing are in
// pairing_engine_join.cc, the negotiation relay in pairing_engine_relay.cc,
// the deadlines in pairing_engine_timers.cc.
#include "services/matching/pairing_engine.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "absl/random/random.h"
#include "absl/strings/str_format.h"
#include "common/log/log.h"
#include "common/protocol/close_code.h"
#include "services/matching/engine_log.h"
#include "services/matching/field_grammar.h"

namespace signaling::matching {
namespace {

using internal::Log;
using internal::LogEnded;
using internal::LogRefused;
using internal::t_call_time;

const char* StateName(int state) {
  static const char* kNames[] = {"awaiting_join", "verifying", "waiting",   "registered",
                                 "paired",        "claiming",  "looking_up"};
  return kNames[state];
}

}  // namespace

PairingEngine::PairingEngine(EngineLimits limits, std::unique_ptr<AcceptorDirectory> directory,
                             std::string replica)
    : limits_(std::move(limits)),
      directory_(directory ? std::move(directory) : std::make_unique<InMemoryAcceptorDirectory>()),
      replica_(std::move(replica)),
      throttle_(limits_.auth_throttle) {}

PairingEngine::Session* PairingEngine::Find(SessionKey key) {
  auto it = sessions_.find(key);
  return it == sessions_.end() ? nullptr : it->second.get();
}

bool IsSessionId(const std::string& id) {
  return id.size() == 34 && id.compare(0, 2, "s_") == 0 &&
         std::all_of(id.begin() + 2, id.end(),
                     [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
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
  // A session moved from another replica keeps the id it was announced with.
  session->announced = !session->meta.announced_session_id.empty() &&
                       IsSessionId(session->meta.announced_session_id);
  session->session_id =
      session->announced ? std::move(session->meta.announced_session_id) : NewSessionId();
  session->meta.announced_session_id.clear();
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
  Release(out, s);
  out.push_back(CloseAction{key, close_code, text});
}

void PairingEngine::CloseSession(Actions& out, Session& s, uint32_t code, const std::string& reason,
                                 v1::PeerLeft::Reason peer_reason, absl::Time now) {
  if (s.state == State::kPaired) EndPairing(out, s, peer_reason, false, now);
  const SessionKey key = s.key;
  LogEnded(s, code, reason);
  Release(out, s);
  out.push_back(CloseAction{key, code, reason});
}

void PairingEngine::Release(Actions& out, Session& s) {
  for (int t = 0; t < kTimerCount; ++t) Disarm(s, static_cast<Timer>(t));
  if (s.verify_request != 0) --pending_verifications_;
  if (s.directory_request != 0) --pending_directory_;
  if (s.fence != 0) out.push_back(ReleaseAction{s.id, s.fence});
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
      CloseSession(out, *s, protocol::kCloseRateLimit, "rate limit abused",
                   v1::PeerLeft::DISCONNECTED, now);
    } else {
      SendError(out, *s, v1::Error::RATE_LIMITED, "too many messages");
    }
    return out;
  }
  s->refused_in_row = 0;
  const bool joined = s->state != State::kAwaitingJoin && s->state != State::kVerifying &&
                      s->state != State::kClaiming && s->state != State::kLookingUp;
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

Actions PairingEngine::OnTransportClosed(SessionKey key, absl::Time now) {
  Actions out;
  t_call_time = now;
  Session* s = Find(key);
  if (s == nullptr) return out;
  if (s->state == State::kPaired) EndPairing(out, *s, v1::PeerLeft::DISCONNECTED, false, now);
  LogEnded(*s, 0, "transport closed");
  Release(out, *s);
  return out;
}

Actions PairingEngine::Disconnect(const std::string& peer_id, absl::Time now, bool* found) {
  Actions out;
  t_call_time = now;
  std::optional<SessionKey> key = directory_->Find(peer_id);
  Session* s = key ? Find(*key) : nullptr;
  *found = s != nullptr;
  if (s != nullptr) {
    CloseSession(out, *s, protocol::kClosePolicy, "disconnected by the operator",
                 v1::PeerLeft::DISCONNECTED, now);
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
    Release(out, *s);
    out.push_back(CloseAction{key, code, reason});
  }
  return out;
}

EngineStats PairingEngine::Stats() const {
  EngineStats stats;
  stats.sessions = sessions_.size();
  stats.ids = directory_->size();
  stats.pairings = pairings_;
  for (const auto& [_, q] : waiting_) stats.waiting_offerers += q.size();
  stats.pending_verifications = pending_verifications_;
  stats.timers = timers_.size();
  stats.pending_directory_calls = pending_directory_;
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
