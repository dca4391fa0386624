// The pairing engine's negotiation relay (see pairing_engine.h): offers,
// answers and ICE candidates between the two sides of a pairing, in the
// protocol's order and within the per-session limits, the checks of every
// relayed candidate, leave, and the end of a pairing for both sides.
#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "common/protocol/close_code.h"
#include "services/matching/engine_log.h"
#include "services/matching/pairing_engine.h"

namespace signaling::matching {

using internal::LogEnded;

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
    Release(out, *other);
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

}  // namespace signaling::matching
