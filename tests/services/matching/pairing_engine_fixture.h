// The fixture of the pairing engine's unit tests
// (tests/services/matching/pairing_engine_*_test.cc): an engine driven like
// the adapter drives it, with an injected clock, verification answered from
// a table of tokens, and the actions recorded per session; message builders
// and the check that every piece of state returned to zero.
#ifndef TESTS_SERVICES_MATCHING_PAIRING_ENGINE_FIXTURE_H_
#define TESTS_SERVICES_MATCHING_PAIRING_ENGINE_FIXTURE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "services/matching/pairing_engine.h"
#include "tests/services/matching/test_fields.h"
#include "tests/services/matching/test_sdp.h"

namespace signaling::matching::testing_engine {

using testing_fields::kCandidate;
using testing_sdp::kAnswer;
using testing_sdp::kOffer;

// Drives the engine like the adapter does: verification answered from a
// table of tokens, actions recorded per session.
class EngineTest : public ::testing::Test {
 protected:
  struct Outcome {
    std::vector<v1::ServerMessage> messages;
    std::optional<uint32_t> close_code;
  };

  // `replica`: the engine's name in a cluster ("" for a single one).
  explicit EngineTest(std::string replica = "") : engine_(Limits(), nullptr, std::move(replica)) {}

  static EngineLimits Limits() {
    EngineLimits limits;
    return limits;
  }

  void AddToken(const std::string& token, const std::string& subject,
                std::vector<std::string> accept, std::vector<std::string> offer,
                absl::Duration ttl = absl::Hours(1)) {
    tokens_[token] = Principal{subject, std::move(accept), std::move(offer), now_ + ttl};
  }

  SessionKey Open(const std::string& bearer = "", const std::string& announced = "") {
    const SessionKey key = next_key_++;
    Apply(engine_.Open(key, ConnectionMeta{"192.0.2.1", bearer, announced}, now_));
    return key;
  }

  void Apply(Actions actions) {
    for (auto& action : actions) {
      if (auto* send = std::get_if<SendAction>(&action)) {
        outcomes_[send->to].messages.push_back(send->message);
      } else if (auto* close = std::get_if<CloseAction>(&action)) {
        outcomes_[close->session].close_code = close->code;
      } else if (auto* verify = std::get_if<VerifyAction>(&action)) {
        if (hold_verifications_) {
          held_.push_back(*verify);
          continue;
        }
        Answer(*verify);
      } else {
        directory_actions_.push_back(std::move(action));  // cluster mode
      }
    }
  }

  void Answer(const VerifyAction& verify) {
    absl::StatusOr<Principal> principal = absl::UnauthenticatedError("bad token");
    if (verifier_down_) principal = absl::UnavailableError("down");
    auto it = tokens_.find(verify.token);
    if (!verifier_down_ && it != tokens_.end()) principal = it->second;
    Apply(engine_.OnVerified(verify.session, verify.request, principal, now_));
  }

  void Send(SessionKey key, const v1::ClientMessage& m) { Apply(engine_.OnMessage(key, m, now_)); }

  SessionKey JoinAcceptor(const std::string& token, const std::string& id) {
    const SessionKey key = Open();
    Send(key, JoinMsg(token, v1::ACCEPTOR, id));
    return key;
  }

  SessionKey JoinOfferer(const std::string& token, const std::string& id, uint32_t wait_ms = 0) {
    const SessionKey key = Open();
    Send(key, JoinMsg(token, v1::OFFERER, id, wait_ms));
    return key;
  }

  static v1::ClientMessage JoinMsg(const std::string& token, v1::Role role, const std::string& id,
                                   uint32_t wait_ms = 0) {
    v1::ClientMessage m;
    auto* j = m.mutable_join();
    j->set_session_token(token);
    j->set_role(role);
    if (role == v1::ACCEPTOR) j->set_peer_id(id);
    if (role == v1::OFFERER) j->set_target_id(id);
    j->set_wait_ms(wait_ms);
    return m;
  }

  static v1::ClientMessage OfferMsg(const std::string& sdp = kOffer) {
    v1::ClientMessage m;
    m.mutable_offer()->set_sdp(sdp);
    return m;
  }

  static v1::ClientMessage AnswerMsg(const std::string& sdp = kAnswer) {
    v1::ClientMessage m;
    m.mutable_answer()->set_sdp(sdp);
    return m;
  }

  static v1::ClientMessage CandidateMsg(const std::string& candidate = kCandidate,
                                        std::optional<uint32_t> index = 0) {
    v1::ClientMessage m;
    m.mutable_ice_candidate()->set_candidate(candidate);
    m.mutable_ice_candidate()->set_sdp_mid("0");
    if (index) m.mutable_ice_candidate()->set_sdp_m_line_index(*index);
    return m;
  }

  static v1::ClientMessage LeaveMsg() {
    v1::ClientMessage m;
    m.mutable_leave();
    return m;
  }

  void Advance(absl::Duration d) {
    now_ += d;
    Apply(engine_.Advance(now_));
  }

  // The kinds received by `key`, in order, e.g. "joined paired offer".
  std::string Kinds(SessionKey key) {
    std::string out;
    for (const auto& m : outcomes_[key].messages) {
      if (!out.empty()) out += " ";
      switch (m.kind_case()) {
        case v1::ServerMessage::kJoined: out += "joined"; break;
        case v1::ServerMessage::kPaired: out += "paired"; break;
        case v1::ServerMessage::kOffer: out += "offer"; break;
        case v1::ServerMessage::kAnswer: out += "answer"; break;
        case v1::ServerMessage::kIceCandidate: out += "iceCandidate"; break;
        case v1::ServerMessage::kPeerLeft:
          out += "peerLeft:" + v1::PeerLeft::Reason_Name(m.peer_left().reason());
          break;
        case v1::ServerMessage::kError:
          out += "error:" + v1::Error::Code_Name(m.error().code());
          break;
        case v1::ServerMessage::kGoAway: out += "goAway"; break;
        case v1::ServerMessage::kPong: out += "pong"; break;
        default: out += "?";
      }
    }
    return out;
  }

  std::optional<uint32_t> CloseCode(SessionKey key) { return outcomes_[key].close_code; }

  void ExpectEmpty() {
    const EngineStats stats = engine_.Stats();
    EXPECT_EQ(stats.sessions, 0u);
    EXPECT_EQ(stats.ids, 0u);
    EXPECT_EQ(stats.pairings, 0u);
    EXPECT_EQ(stats.waiting_offerers, 0u);
    EXPECT_EQ(stats.pending_verifications, 0u);
    EXPECT_EQ(stats.timers, 0u);
    EXPECT_EQ(stats.pending_directory_calls, 0u);
  }

  // A paired acceptor (kiosk-7, subject owner) and offerer (subject user).
  std::pair<SessionKey, SessionKey> PairUp() {
    AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
    AddToken("B", "user-42", {}, {"kiosk-*"});
    const SessionKey a = JoinAcceptor("A", "kiosk-7");
    const SessionKey b = JoinOfferer("B", "kiosk-7");
    return {a, b};
  }

  absl::Time now_ = absl::FromUnixSeconds(1'700'000'000);
  PairingEngine engine_;
  absl::flat_hash_map<std::string, Principal> tokens_;
  absl::flat_hash_map<SessionKey, Outcome> outcomes_;
  SessionKey next_key_ = 1;
  bool verifier_down_ = false;
  bool hold_verifications_ = false;
  std::vector<VerifyAction> held_;
  std::vector<Action> directory_actions_;
};

}  // namespace signaling::matching::testing_engine

#endif  // TESTS_SERVICES_MATCHING_PAIRING_ENGINE_FIXTURE_H_
