// The pairing rules of protocol v1 section 4 (and the per-session limits of
// section 6) on the pure engine, with an injected clock.
#include "services/matching/pairing_engine.h"

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/message.h"
#include "google/protobuf/unknown_field_set.h"
#include "gtest/gtest.h"
#include "tests/services/matching/test_sdp.h"

namespace signaling::matching {
namespace {

using testing_sdp::kAnswer;
using testing_sdp::kOffer;
constexpr char kCandidate[] = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";

// Drives the engine like the adapter does: verification answered from a
// table of tokens, actions recorded per session.
class EngineTest : public ::testing::Test {
 protected:
  struct Outcome {
    std::vector<v1::ServerMessage> messages;
    std::optional<uint32_t> close_code;
  };

  EngineTest() : engine_(Limits()) {}

  static EngineLimits Limits() {
    EngineLimits limits;
    return limits;
  }

  void AddToken(const std::string& token, const std::string& subject,
                std::vector<std::string> accept, std::vector<std::string> offer,
                absl::Duration ttl = absl::Hours(1)) {
    tokens_[token] = Principal{subject, std::move(accept), std::move(offer), now_ + ttl};
  }

  SessionKey Open(const std::string& bearer = "") {
    const SessionKey key = next_key_++;
    Apply(engine_.Open(key, ConnectionMeta{"192.0.2.1", bearer}, now_));
    return key;
  }

  void Apply(Actions actions) {
    for (auto& action : actions) {
      if (auto* send = std::get_if<SendAction>(&action)) {
        outcomes_[send->to].messages.push_back(send->message);
      } else if (auto* close = std::get_if<CloseAction>(&action)) {
        outcomes_[close->session].close_code = close->code;
      } else {
        auto& verify = std::get<VerifyAction>(action);
        if (hold_verifications_) {
          held_.push_back(verify);
          continue;
        }
        Answer(verify);
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
};

TEST_F(EngineTest, CompleteExchangeInOrder) {
  auto [a, b] = PairUp();
  EXPECT_EQ(Kinds(a), "joined paired");
  EXPECT_EQ(Kinds(b), "joined paired");
  EXPECT_EQ(outcomes_[a].messages[1].paired().peer().subject(), "user-42");
  EXPECT_EQ(outcomes_[b].messages[1].paired().peer().subject(), "kiosk-owner");
  EXPECT_EQ(outcomes_[a].messages[0].joined().peer_id(), "kiosk-7");
  EXPECT_EQ(outcomes_[b].messages[0].joined().target_id(), "kiosk-7");
  EXPECT_NE(outcomes_[a].messages[0].joined().session_id(),
            outcomes_[b].messages[0].joined().session_id());

  Send(b, OfferMsg());
  Send(a, AnswerMsg());
  for (int i = 0; i < 3; ++i) {
    Send(b, CandidateMsg("candidate:" + std::to_string(i) + " 1 udp 2122260223 192.0.2.10 5440" +
                         std::to_string(i) + " typ host"));
  }
  Send(a, CandidateMsg());
  Send(b, CandidateMsg(""));  // end of candidates
  EXPECT_EQ(Kinds(a), "joined paired offer iceCandidate iceCandidate iceCandidate iceCandidate");
  EXPECT_EQ(Kinds(b), "joined paired answer iceCandidate");
  // Trickled candidates keep the sender's order.
  EXPECT_EQ(outcomes_[a].messages[3].ice_candidate().candidate().substr(0, 12), "candidate:0 ");
  EXPECT_EQ(outcomes_[a].messages[5].ice_candidate().candidate().substr(0, 12), "candidate:2 ");
  EXPECT_EQ(outcomes_[a].messages[6].ice_candidate().candidate(), "");

  Send(b, LeaveMsg());
  EXPECT_EQ(Kinds(a),
            "joined paired offer iceCandidate iceCandidate iceCandidate iceCandidate "
            "peerLeft:LEFT");
  EXPECT_EQ(CloseCode(b), 1000u);
  EXPECT_FALSE(CloseCode(a).has_value());
  EXPECT_EQ(engine_.Stats().ids, 1u);  // the acceptor waits again
  Apply(engine_.OnTransportClosed(a, now_));
  ExpectEmpty();
}

TEST_F(EngineTest, AcceptorIsPairedAgainAfterTheOffererLeaves) {
  auto [a, b] = PairUp();
  Send(b, LeaveMsg());
  const SessionKey c = JoinOfferer("B", "kiosk-7");
  EXPECT_EQ(Kinds(c), "joined paired");
  EXPECT_EQ(Kinds(a), "joined paired peerLeft:LEFT paired");
}

TEST_F(EngineTest, AcceptorLeaveEndsOfferersSession) {
  auto [a, b] = PairUp();
  Send(a, LeaveMsg());
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:LEFT");
  EXPECT_EQ(CloseCode(b), 1000u);
  EXPECT_FALSE(CloseCode(a).has_value());
  Send(a, LeaveMsg());  // not paired any more
  EXPECT_EQ(Kinds(a), "joined paired error:INVALID_STATE");
}

TEST_F(EngineTest, DropGivesPeerLeftDisconnectedAndReleasesEverything) {
  auto [a, b] = PairUp();
  Apply(engine_.OnTransportClosed(a, now_));
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:DISCONNECTED");
  EXPECT_EQ(CloseCode(b), 1000u);
  ExpectEmpty();
}

TEST_F(EngineTest, OffererDropFreesTheAcceptor) {
  auto [a, b] = PairUp();
  Apply(engine_.OnTransportClosed(b, now_));
  EXPECT_EQ(Kinds(a), "joined paired peerLeft:DISCONNECTED");
  EXPECT_EQ(engine_.Stats().pairings, 0u);
  EXPECT_EQ(engine_.Stats().ids, 1u);
}

TEST_F(EngineTest, SameSubjectReplacesTheAcceptor) {
  auto [a, b] = PairUp();
  const SessionKey a2 = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(CloseCode(a), 4009u);
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:REPLACED");
  EXPECT_EQ(CloseCode(b), 1000u);
  EXPECT_EQ(Kinds(a2), "joined");
  EXPECT_EQ(engine_.Stats().ids, 1u);
  EXPECT_EQ(engine_.Stats().sessions, 1u);
}

TEST_F(EngineTest, DifferentSubjectGetsIdTaken) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  AddToken("X", "intruder", {"*"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  const SessionKey x = JoinAcceptor("X", "kiosk-7");
  EXPECT_EQ(Kinds(x), "error:ID_TAKEN");
  EXPECT_EQ(CloseCode(x), 1008u);
  EXPECT_FALSE(CloseCode(a).has_value());
}

TEST_F(EngineTest, PermissionIsCheckedBeforeExistence) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey missing = JoinOfferer("B", "room-1");  // not granted, not present
  EXPECT_EQ(Kinds(missing), "error:PERMISSION_DENIED");
  EXPECT_EQ(CloseCode(missing), 4003u);
  AddToken("A", "owner", {"kiosk-1"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-2");
  EXPECT_EQ(Kinds(a), "error:PERMISSION_DENIED");
  EXPECT_EQ(CloseCode(a), 4003u);
  ExpectEmpty();
}

TEST_F(EngineTest, GrantPatterns) {
  EXPECT_TRUE(GrantMatches({"kiosk-7"}, "kiosk-7"));
  EXPECT_FALSE(GrantMatches({"kiosk-7"}, "kiosk-70"));
  EXPECT_TRUE(GrantMatches({"room-*"}, "room-"));
  EXPECT_TRUE(GrantMatches({"room-*"}, "room-12"));
  EXPECT_FALSE(GrantMatches({"room-*"}, "roo"));
  EXPECT_TRUE(GrantMatches({"*"}, "anything"));
  EXPECT_FALSE(GrantMatches({}, "anything"));
  EXPECT_FALSE(GrantMatches({""}, "x"));
}

TEST_F(EngineTest, PeerNotFoundImmediatelyWithoutWait) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-9");
  EXPECT_EQ(Kinds(b), "joined error:PEER_NOT_FOUND");
  EXPECT_EQ(CloseCode(b), 1008u);
  ExpectEmpty();
}

TEST_F(EngineTest, PeerNotFoundAfterWaitMs) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-9", 1500);
  EXPECT_EQ(Kinds(b), "joined");
  Advance(absl::Milliseconds(1499));
  EXPECT_EQ(Kinds(b), "joined");
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(Kinds(b), "joined error:PEER_NOT_FOUND");
  ExpectEmpty();
}

TEST_F(EngineTest, WaitingOffererIsPairedWhenTheAcceptorArrives) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-7", 10000);
  Advance(absl::Seconds(2));
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(b), "joined paired");
  EXPECT_EQ(Kinds(a), "joined paired");
  Advance(absl::Seconds(20));  // the wait deadline no longer applies
  EXPECT_FALSE(CloseCode(b) == 1008u);
}

TEST_F(EngineTest, WaitIsCappedByTheServer) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-9", 4'000'000'000u);
  Advance(absl::Seconds(30));
  EXPECT_EQ(Kinds(b), "joined error:PEER_NOT_FOUND");
}

TEST_F(EngineTest, PeerBusy) {
  auto [a, b] = PairUp();
  AddToken("C", "user-43", {}, {"kiosk-*"});
  const SessionKey c = JoinOfferer("C", "kiosk-7");
  EXPECT_EQ(Kinds(c), "joined error:PEER_BUSY");
  EXPECT_EQ(CloseCode(c), 1013u);
}

TEST_F(EngineTest, OrderRules) {
  auto [a, b] = PairUp();
  Send(a, OfferMsg());   // the acceptor cannot offer
  Send(a, AnswerMsg());  // nor answer before an offer
  EXPECT_EQ(Kinds(a), "joined paired error:INVALID_STATE error:INVALID_STATE");
  Send(b, AnswerMsg());  // the offerer cannot answer
  Send(b, OfferMsg());
  Send(b, OfferMsg());  // not before the previous answer
  EXPECT_EQ(Kinds(b), "joined paired error:INVALID_STATE error:INVALID_STATE");
  Send(a, AnswerMsg());
  Send(b, OfferMsg());  // renegotiation after the answer
  EXPECT_EQ(Kinds(a), "joined paired error:INVALID_STATE error:INVALID_STATE offer offer");
  EXPECT_FALSE(CloseCode(a).has_value());
  EXPECT_FALSE(CloseCode(b).has_value());
}

TEST_F(EngineTest, CandidatesOnlyWhilePaired) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  Send(a, CandidateMsg());
  EXPECT_EQ(Kinds(a), "joined error:INVALID_STATE");
}

TEST_F(EngineTest, MessagesBeforeJoinAreInvalidState) {
  const SessionKey s = Open();
  Send(s, OfferMsg());
  v1::ClientMessage ping;
  ping.mutable_ping()->set_nonce("n");
  Send(s, ping);
  EXPECT_EQ(Kinds(s), "error:INVALID_STATE error:INVALID_STATE");
  EXPECT_FALSE(CloseCode(s).has_value());
}

// Contract section 3: a message of a kind the server does not know (no kind
// set: the codec's form of an unknown kind) is INVALID_MESSAGE, not fatal.
// Before join, the join deadline keeps running.
TEST_F(EngineTest, UnknownKindBeforeJoinIsNotFatal) {
  const SessionKey s = Open();
  Send(s, v1::ClientMessage());
  EXPECT_EQ(Kinds(s), "error:INVALID_MESSAGE");
  EXPECT_FALSE(CloseCode(s).has_value());
  Advance(absl::Seconds(5));  // the join deadline was not reset
  EXPECT_EQ(Kinds(s), "error:INVALID_MESSAGE error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(s), 4001u);

  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey t = Open();
  Send(t, v1::ClientMessage());
  Send(t, JoinMsg("A", v1::ACCEPTOR, "kiosk-7"));
  EXPECT_EQ(Kinds(t), "error:INVALID_MESSAGE joined");
  Apply(engine_.OnTransportClosed(t, now_));
  ExpectEmpty();
}

TEST_F(EngineTest, UnknownKindWhilePairedIsNotFatalAndNotRelayed) {
  auto [a, b] = PairUp();
  Send(b, v1::ClientMessage());
  EXPECT_EQ(Kinds(b), "joined paired error:INVALID_MESSAGE");
  EXPECT_EQ(Kinds(a), "joined paired");
  Send(b, OfferMsg());
  Send(a, AnswerMsg());
  EXPECT_EQ(Kinds(a), "joined paired offer");
  EXPECT_EQ(Kinds(b), "joined paired error:INVALID_MESSAGE answer");
  EXPECT_FALSE(CloseCode(a).has_value());
  EXPECT_FALSE(CloseCode(b).has_value());
  EXPECT_EQ(engine_.counters().refused["INVALID_MESSAGE"], 1u);
}

// An unknown kind takes a token from the session's bucket like any message.
TEST_F(EngineTest, UnknownKindsCountAgainstTheRateLimit) {
  const SessionKey s = Open();
  for (int i = 0; i < 50; ++i) Send(s, v1::ClientMessage());  // the burst
  Send(s, v1::ClientMessage());
  ASSERT_EQ(outcomes_[s].messages.size(), 51u);
  EXPECT_EQ(outcomes_[s].messages[49].error().code(), v1::Error::INVALID_MESSAGE);
  EXPECT_EQ(outcomes_[s].messages.back().error().code(), v1::Error::RATE_LIMITED);
  EXPECT_FALSE(CloseCode(s).has_value());
}

TEST_F(EngineTest, PingPong) {
  auto [a, b] = PairUp();
  v1::ClientMessage ping;
  ping.mutable_ping()->set_nonce("n-1");
  Send(a, ping);
  ASSERT_EQ(Kinds(a), "joined paired pong");
  EXPECT_EQ(outcomes_[a].messages[2].pong().nonce(), "n-1");
}

TEST_F(EngineTest, NegotiationTimeout) {
  auto [a, b] = PairUp();
  Send(b, OfferMsg());
  Advance(absl::Seconds(29));
  EXPECT_EQ(Kinds(b), "joined paired");
  Advance(absl::Seconds(1));
  EXPECT_EQ(Kinds(a), "joined paired offer peerLeft:TIMEOUT");
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:TIMEOUT");
  EXPECT_EQ(CloseCode(b), 1000u);
  EXPECT_EQ(engine_.Stats().pairings, 0u);
  EXPECT_EQ(engine_.Stats().ids, 1u);
}

TEST_F(EngineTest, AnswerStopsTheNegotiationTimer) {
  auto [a, b] = PairUp();
  Send(b, OfferMsg());
  Send(a, AnswerMsg());
  Advance(absl::Minutes(5));
  EXPECT_EQ(Kinds(b), "joined paired answer");
  EXPECT_EQ(engine_.Stats().pairings, 1u);
}

TEST_F(EngineTest, JoinDeadline) {
  const SessionKey s = Open();
  Advance(absl::Seconds(5));
  EXPECT_EQ(Kinds(s), "error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(s), 4001u);
  ExpectEmpty();
}

TEST_F(EngineTest, InvalidTokenAndVerifierDown) {
  const SessionKey s = JoinAcceptor("nope", "kiosk-7");
  EXPECT_EQ(Kinds(s), "error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(s), 4001u);
  verifier_down_ = true;
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey t = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(t), "error:UNAVAILABLE");
  EXPECT_EQ(CloseCode(t), 1013u);
  ExpectEmpty();
}

TEST_F(EngineTest, TokenFromTheTransportHeader) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey s = Open("A");
  Send(s, JoinMsg("", v1::ACCEPTOR, "kiosk-7"));
  EXPECT_EQ(Kinds(s), "joined");
}

TEST_F(EngineTest, MissingOrOversizedTokenIsUnauthenticated) {
  const SessionKey s = Open();
  Send(s, JoinMsg("", v1::ACCEPTOR, "kiosk-7"));
  EXPECT_EQ(CloseCode(s), 4001u);
  const SessionKey t = Open();
  Send(t, JoinMsg(std::string(8 * 1024 + 1, 'x'), v1::ACCEPTOR, "kiosk-7"));
  EXPECT_EQ(Kinds(t), "error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(t), 4001u);
}

TEST_F(EngineTest, IdSyntaxAndRole) {
  AddToken("A", "kiosk-owner", {"*"}, {"*"});
  for (const std::string& id : {std::string(""), std::string(129, 'a'), std::string("a b"),
                                std::string("a/b"), std::string("é")}) {
    const SessionKey s = JoinAcceptor("A", id);
    EXPECT_EQ(Kinds(s), "error:INVALID_MESSAGE") << id;
    EXPECT_EQ(CloseCode(s), 1007u);
  }
  const SessionKey ok = JoinAcceptor("A", std::string("A-z_0.9~:@") + std::string(118, 'x'));
  EXPECT_EQ(Kinds(ok), "joined");
  const SessionKey none = Open();
  Send(none, JoinMsg("A", v1::ROLE_UNSPECIFIED, "kiosk-1"));
  EXPECT_EQ(Kinds(none), "error:INVALID_MESSAGE");
}

TEST_F(EngineTest, TokenExpiryClosesWith4001AndRefreshExtends) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {}, absl::Seconds(20));
  AddToken("B", "user-42", {}, {"kiosk-*"}, absl::Seconds(20));
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  const SessionKey b = JoinOfferer("B", "kiosk-7");
  AddToken("A2", "kiosk-owner", {"kiosk-*"}, {}, absl::Minutes(10));
  v1::ClientMessage refresh;
  refresh.mutable_refresh()->set_session_token("A2");
  Send(a, refresh);
  Advance(absl::Seconds(19));
  EXPECT_FALSE(CloseCode(b).has_value());
  Advance(absl::Seconds(1));
  EXPECT_EQ(CloseCode(b), 4001u);  // not refreshed
  EXPECT_FALSE(CloseCode(a).has_value());
  EXPECT_EQ(Kinds(a), "joined paired peerLeft:DISCONNECTED");
  Advance(absl::Minutes(10));
  EXPECT_EQ(CloseCode(a), 4001u);
  ExpectEmpty();
}

TEST_F(EngineTest, RefreshNeedsTheSameSubject) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {}, absl::Minutes(1));
  AddToken("Z", "someone-else", {"kiosk-*"}, {}, absl::Hours(1));
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  v1::ClientMessage refresh;
  refresh.mutable_refresh()->set_session_token("Z");
  Send(a, refresh);
  EXPECT_EQ(Kinds(a), "joined error:UNAUTHENTICATED");
  Advance(absl::Minutes(1));
  EXPECT_EQ(CloseCode(a), 4001u);
}

TEST_F(EngineTest, CloseDuringVerificationLeavesNothing) {
  hold_verifications_ = true;
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(engine_.Stats().pending_verifications, 1u);
  Apply(engine_.OnTransportClosed(a, now_));
  hold_verifications_ = false;
  for (const auto& v : held_) Answer(v);  // a late answer finds nothing
  EXPECT_EQ(Kinds(a), "");
  ExpectEmpty();
}

TEST_F(EngineTest, InvalidSdpAndCandidates) {
  auto [a, b] = PairUp();
  Send(b, OfferMsg("not sdp"));
  Send(b, OfferMsg(kAnswer));  // an answer sent as an offer
  EXPECT_EQ(Kinds(b), "joined paired error:INVALID_SDP error:INVALID_SDP");
  Send(b, OfferMsg());
  Send(b, CandidateMsg("candidate:1 0 udp 1 192.0.2.1 1 typ host"));  // component 0
  Send(b, CandidateMsg(kCandidate, 1));                               // only one m-section
  EXPECT_EQ(Kinds(b),
            "joined paired error:INVALID_SDP error:INVALID_SDP "
            "error:INVALID_CANDIDATE error:INVALID_CANDIDATE");
  EXPECT_EQ(Kinds(a), "joined paired offer");
}

TEST_F(EngineTest, CandidateCountLimits) {
  auto [a, b] = PairUp();
  v1::ClientMessage offer = OfferMsg();
  for (int i = 0; i < 101; ++i) {
    auto* c = offer.mutable_offer()->add_ice_candidates();
    c->set_candidate(kCandidate);
  }
  Send(b, offer);
  EXPECT_EQ(Kinds(b), "joined paired error:INVALID_CANDIDATE");
  offer.mutable_offer()->mutable_ice_candidates()->RemoveLast();
  Send(b, offer);             // 100 inline candidates are fine
  now_ += absl::Seconds(10);  // keep clear of the rate limit
  for (int i = 0; i < 400; ++i) {
    if (i % 40 == 0) now_ += absl::Seconds(3);
    Send(b, CandidateMsg());
  }
  EXPECT_EQ(std::count_if(outcomes_[b].messages.begin(), outcomes_[b].messages.end(),
                          [](const auto& m) { return m.has_error(); }),
            1);
  Send(b, CandidateMsg());  // the 501st of this session
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::RESOURCE_EXHAUSTED);
}

TEST_F(EngineTest, RateLimitThenAbuseCloses4029) {
  auto [a, b] = PairUp();
  v1::ClientMessage ping;
  ping.mutable_ping();
  for (int i = 0; i < 48; ++i) Send(b, ping);  // the burst (joins used 1, leaving 49)
  int limited = 0;
  Send(b, ping);
  Send(b, ping);
  for (const auto& m : outcomes_[b].messages) limited += m.has_error();
  EXPECT_EQ(limited, 1);
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::RATE_LIMITED);
  now_ += absl::Seconds(1);  // 20 tokens back
  for (int i = 0; i < 20; ++i) Send(b, ping);
  EXPECT_EQ(outcomes_[b].messages.back().kind_case(), v1::ServerMessage::kPong);
  for (int i = 0; i < 50 && !CloseCode(b); ++i) Send(b, ping);
  EXPECT_EQ(CloseCode(b), 4029u);
  EXPECT_EQ(Kinds(a), "joined paired peerLeft:DISCONNECTED");
}

TEST_F(EngineTest, RepeatedAuthFailuresAreDelayedThenLockedOut) {
  // Defaults: 5 failures answered at once, then 250 ms, 500 ms, ... (max
  // 4 s); the 30th failure locks the address out for 5 minutes.
  for (int i = 0; i < 5; ++i) {
    const SessionKey s = JoinAcceptor("bad", "kiosk-7");
    EXPECT_EQ(CloseCode(s), 4001u) << i;
  }
  const SessionKey slow = JoinAcceptor("bad", "kiosk-7");
  EXPECT_FALSE(CloseCode(slow).has_value());
  Advance(absl::Milliseconds(249));
  EXPECT_FALSE(CloseCode(slow).has_value());
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(Kinds(slow), "error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(slow), 4001u);
  for (int i = 6; i < 30; ++i) {
    const SessionKey s = JoinAcceptor("bad", "kiosk-7");
    Advance(absl::Seconds(4));
    EXPECT_EQ(CloseCode(s), 4001u) << i;
  }
  // Locked out: even a valid token is refused without verification.
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey good = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(good), "error:UNAUTHENTICATED");
  EXPECT_EQ(engine_.counters().auth_throttled, 26u);  // 25 delayed, 1 locked out
  Advance(absl::Minutes(5));
  const SessionKey later = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(later), "joined");
  Apply(engine_.OnTransportClosed(later, now_));
  ExpectEmpty();
}

TEST_F(EngineTest, ThrottleIsPerAddressAndSuccessClearsIt) {
  AuthThrottle throttle;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::ZeroDuration());
  EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::Milliseconds(250));
  EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::Milliseconds(500));
  EXPECT_EQ(throttle.RecordFailure("198.51.100.2", now_), absl::ZeroDuration());
  throttle.RecordSuccess("198.51.100.1");
  EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::ZeroDuration());
  // A quiet address is forgotten.
  for (int i = 0; i < 10; ++i) throttle.RecordFailure("198.51.100.3", now_);
  EXPECT_EQ(throttle.RecordFailure("198.51.100.3", now_ + absl::Minutes(11)), absl::ZeroDuration());
}

TEST_F(EngineTest, AdminDisconnectAndCloseAll) {
  auto [a, b] = PairUp();
  bool found = false;
  Apply(engine_.Disconnect("kiosk-7", now_, &found));
  EXPECT_TRUE(found);
  EXPECT_EQ(CloseCode(a), 1008u);
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:DISCONNECTED");
  Apply(engine_.Disconnect("kiosk-7", now_, &found));
  EXPECT_FALSE(found);
  ExpectEmpty();
}

TEST_F(EngineTest, CloseAllSendsGoAwayThenClosesBothSidesAlike) {
  auto [a, b] = PairUp();
  const SessionKey lone = JoinAcceptor("A", "kiosk-8");
  const uint64_t ended = engine_.counters().pairings_ended[v1::PeerLeft::DISCONNECTED];
  Apply(engine_.CloseAll(1001, "bye", 1500));
  for (SessionKey key : {a, b, lone}) {
    EXPECT_EQ(CloseCode(key), 1001u) << key;
    ASSERT_FALSE(outcomes_[key].messages.empty());
    const v1::ServerMessage& last = outcomes_[key].messages.back();
    EXPECT_TRUE(last.has_go_away()) << Kinds(key);
    EXPECT_EQ(last.go_away().reconnect_after_ms(), 1500u);
    EXPECT_EQ(Kinds(key).find("peerLeft"), std::string::npos) << Kinds(key);
  }
  EXPECT_EQ(engine_.counters().pairings_ended[v1::PeerLeft::DISCONNECTED], ended + 1);
  ExpectEmpty();
}

TEST_F(EngineTest, ListSessionsHasMetadata) {
  auto [a, b] = PairUp();
  const auto sessions = engine_.ListSessions();
  ASSERT_EQ(sessions.size(), 2u);
  for (const SessionView& s : sessions) {
    EXPECT_EQ(s.state, "paired");
    EXPECT_EQ(s.client_ip, "192.0.2.1");
    EXPECT_EQ(s.messages_in, 1u);
    EXPECT_EQ(s.messages_out, 2u);
    EXPECT_FALSE(s.subject.empty());
    EXPECT_EQ(s.id, "kiosk-7");
    EXPECT_EQ(s.session_id.substr(0, 2), "s_");
    EXPECT_EQ(s.connected_at, now_);
  }
}

TEST_F(EngineTest, StatsCountEveryPieceOfState) {
  auto [a, b] = PairUp();
  const SessionKey waiting = JoinOfferer("B", "kiosk-9", 5000);
  const SessionKey fresh = Open();
  const EngineStats stats = engine_.Stats();
  EXPECT_EQ(stats.sessions, 4u);
  EXPECT_EQ(stats.ids, 1u);
  EXPECT_EQ(stats.pairings, 1u);
  EXPECT_EQ(stats.waiting_offerers, 1u);
  EXPECT_EQ(stats.pending_verifications, 0u);
  // Token expiry x3, negotiation (acceptor), wait deadline, join deadline.
  EXPECT_EQ(stats.timers, 6u);
  for (SessionKey key : {a, b, waiting, fresh}) Apply(engine_.OnTransportClosed(key, now_));
  ExpectEmpty();
}

// OnMessage takes its message: what it relays is moved into the peer's
// message, never deep-copied (the SDP's and the candidate's bytes stay
// where the transport decoded them).
TEST_F(EngineTest, RelayedDescriptionsAndCandidatesAreMovedNotCopied) {
  auto [a, b] = PairUp();
  v1::ClientMessage offer = OfferMsg();
  offer.mutable_offer()->add_ice_candidates()->set_candidate(kCandidate);
  const char* sdp_bytes = offer.offer().sdp().data();
  const char* inline_bytes = offer.offer().ice_candidates(0).candidate().data();
  Actions actions = engine_.OnMessage(b, std::move(offer), now_);
  ASSERT_EQ(actions.size(), 1u);
  auto* relayed = std::get_if<SendAction>(&actions[0]);
  ASSERT_NE(relayed, nullptr);
  ASSERT_EQ(relayed->to, a);
  EXPECT_EQ(relayed->message.offer().sdp().data(), sdp_bytes);
  EXPECT_EQ(relayed->message.offer().ice_candidates(0).candidate().data(), inline_bytes);
  Apply(std::move(actions));

  Send(a, AnswerMsg());
  v1::ClientMessage candidate = CandidateMsg();
  const char* candidate_bytes = candidate.ice_candidate().candidate().data();
  actions = engine_.OnMessage(b, std::move(candidate), now_);
  ASSERT_EQ(actions.size(), 1u);
  relayed = std::get_if<SendAction>(&actions[0]);
  ASSERT_NE(relayed, nullptr);
  EXPECT_EQ(relayed->message.ice_candidate().candidate().data(), candidate_bytes);
}

// ---------------------------------------------------------------------------
// Field grammar: every field relayed or echoed to a peer is checked against
// its grammar (protocol v1 section 6; nonce and subject: docs/protocol.md
// section 9), not only its length.

// kOffer with a second (audio) section whose a=mid is "1".
constexpr char kTwoSectionOffer[] =
    "v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\na=mid:1\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

v1::ClientMessage CandidateWith(std::optional<std::string> mid, std::optional<uint32_t> index,
                                std::optional<std::string> ufrag = std::nullopt) {
  v1::ClientMessage m;
  auto* c = m.mutable_ice_candidate();
  c->set_candidate(kCandidate);
  if (mid) c->set_sdp_mid(*mid);
  if (index) c->set_sdp_m_line_index(*index);
  if (ufrag) c->set_username_fragment(*ufrag);
  return m;
}

v1::ClientMessage PingWith(const std::string& nonce) {
  v1::ClientMessage m;
  m.mutable_ping()->set_nonce(nonce);
  return m;
}

// Whether `m` or any message inside it carries fields unknown to the schema.
bool HasUnknownFields(const google::protobuf::Message& m) {
  std::unique_ptr<google::protobuf::Message> copy(m.New());
  copy->CopyFrom(m);
  copy->DiscardUnknownFields();
  return copy->ByteSizeLong() != m.ByteSizeLong();
}

std::vector<std::string> BadSdpMids() {
  return {"<script>", "0\r\n", std::string("0\0", 2), "a b",        "\"0\"",
          "0\\",      "",      std::string(33, 'm'),  "caf\xc3\xa9"};
}

std::vector<std::string> BadUsernameFragments() {
  return {"<b>EsAw", "EsAw\r\n", std::string("Es\0Aw", 5), "Es Aw",      "Es-Aw",
          "abc",     "",         std::string(257, 'u'),    "Es\xc3\xa9w"};
}

// Before any description the mids are unknown: only the grammar applies.
TEST_F(EngineTest, SdpMidOutsideTheIdentificationTagGrammarIsInvalidCandidateAndNotRelayed) {
  auto [a, b] = PairUp();
  for (const std::string& mid : BadSdpMids()) {
    outcomes_[b].messages.clear();
    Send(b, CandidateWith(mid, std::nullopt));
    EXPECT_EQ(Kinds(b), "error:INVALID_CANDIDATE") << "sdpMid " << absl::CEscape(mid);
    now_ += absl::Seconds(1);
  }
  EXPECT_EQ(Kinds(a), "joined paired") << "nothing was relayed";
  EXPECT_FALSE(CloseCode(b).has_value());
  // Every token character is an identification-tag character.
  for (const std::string& mid :
       {std::string("0"), std::string("!#$%&'*+-.^_`{|}~"), std::string(32, 'm')}) {
    Send(b, CandidateWith(mid, std::nullopt));
    ASSERT_EQ(outcomes_[a].messages.back().ice_candidate().sdp_mid(), mid);
  }
  EXPECT_EQ(Kinds(a), "joined paired iceCandidate iceCandidate iceCandidate");
}

TEST_F(EngineTest, UsernameFragmentOutsideIceCharsIsInvalidCandidateAndNotRelayed) {
  auto [a, b] = PairUp();
  for (const std::string& ufrag : BadUsernameFragments()) {
    outcomes_[b].messages.clear();
    Send(b, CandidateWith("0", 0, ufrag));
    EXPECT_EQ(Kinds(b), "error:INVALID_CANDIDATE") << "usernameFragment " << absl::CEscape(ufrag);
    now_ += absl::Seconds(1);
  }
  EXPECT_EQ(Kinds(a), "joined paired") << "nothing was relayed";
  for (const std::string& ufrag :
       {std::string("EsAw"), std::string("a+b/"), std::string(256, 'u')}) {
    Send(b, CandidateWith("0", 0, ufrag));
    ASSERT_EQ(outcomes_[a].messages.back().ice_candidate().username_fragment(), ufrag);
  }
  EXPECT_EQ(Kinds(a), "joined paired iceCandidate iceCandidate iceCandidate");
}

// Once a description is known, an sdpMid must name one of its a=mid values,
// on both sides of the pairing; a renegotiation replaces the set.
TEST_F(EngineTest, SdpMidMustNameAnAMidOfTheLastDescription) {
  auto [a, b] = PairUp();
  Send(b, OfferMsg());
  Send(a, AnswerMsg());
  Send(b, CandidateWith("1", std::nullopt));
  Send(a, CandidateWith("1", std::nullopt));
  Send(b, CandidateWith("audio", std::nullopt));
  EXPECT_EQ(Kinds(b), "joined paired answer error:INVALID_CANDIDATE error:INVALID_CANDIDATE");
  EXPECT_EQ(Kinds(a), "joined paired offer error:INVALID_CANDIDATE");
  Send(b, CandidateWith("0", 0));
  Send(a, CandidateWith("0", 0));
  EXPECT_EQ(Kinds(a), "joined paired offer error:INVALID_CANDIDATE iceCandidate");
  EXPECT_EQ(Kinds(b),
            "joined paired answer error:INVALID_CANDIDATE error:INVALID_CANDIDATE iceCandidate");

  Send(b, OfferMsg(kTwoSectionOffer));  // renegotiation: mids 0 and 1
  Send(b, CandidateWith("1", 1));
  Send(a, CandidateWith("1", 1));
  EXPECT_EQ(Kinds(a),
            "joined paired offer error:INVALID_CANDIDATE iceCandidate offer iceCandidate");
  EXPECT_EQ(outcomes_[a].messages.back().ice_candidate().sdp_mid(), "1");
  EXPECT_EQ(outcomes_[b].messages.back().ice_candidate().sdp_mid(), "1");
  Send(b, CandidateWith("2", std::nullopt));
  Send(b, CandidateWith(std::nullopt, 2));  // only two m-sections now
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  EXPECT_EQ(outcomes_[b].messages[outcomes_[b].messages.size() - 2].error().code(),
            v1::Error::INVALID_CANDIDATE);
}

// A description whose inline sdpMid values are checked against its own mids;
// a refused one leaves the known mids and section count as they were.
TEST_F(EngineTest, InlineCandidatesAreCheckedAgainstTheirOwnDescription) {
  auto [a, b] = PairUp();
  auto offer_with = [](const std::string& sdp, std::optional<std::string> mid,
                       std::optional<uint32_t> index, std::optional<std::string> ufrag) {
    v1::ClientMessage m = OfferMsg(sdp);
    *m.mutable_offer()->add_ice_candidates() = CandidateWith(mid, index, ufrag).ice_candidate();
    return m;
  };
  Send(b, offer_with(kOffer, "1", 0, std::nullopt));         // not an a=mid of the offer
  Send(b, offer_with(kOffer, "<script>", 0, std::nullopt));  // not an identification-tag
  Send(b, offer_with(kOffer, "0", 0, "Es\r\nAw"));           // not ice-chars
  Send(b, offer_with(kOffer, "0", 1, std::nullopt));         // one m-section only
  EXPECT_EQ(Kinds(b),
            "joined paired error:INVALID_CANDIDATE error:INVALID_CANDIDATE "
            "error:INVALID_CANDIDATE error:INVALID_CANDIDATE");
  EXPECT_EQ(Kinds(a), "joined paired");
  Send(b, offer_with(kOffer, "0", 0, "EsAw"));
  ASSERT_EQ(Kinds(a), "joined paired offer");
  EXPECT_EQ(outcomes_[a].messages.back().offer().ice_candidates(0).sdp_mid(), "0");

  // The answer's inline candidates too.
  v1::ClientMessage answer = AnswerMsg();
  *answer.mutable_answer()->add_ice_candidates() = CandidateWith("1", 0).ice_candidate();
  Send(a, answer);
  EXPECT_EQ(outcomes_[a].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  Send(a, AnswerMsg());
  ASSERT_TRUE(outcomes_[b].messages.back().has_answer());

  // A refused two-section offer does not make mid "1" or index 1 known.
  Send(b, offer_with(kTwoSectionOffer, "1", 1, "bad ufrag"));
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  Send(b, CandidateWith("1", std::nullopt));
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  Send(b, CandidateWith(std::nullopt, 1));
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  EXPECT_EQ(Kinds(a), "joined paired offer error:INVALID_CANDIDATE") << "nothing more relayed";
}

// The nonce is echoed in pong: 0-64 of A-Z a-z 0-9 - . _ ~ : + / =.
TEST_F(EngineTest, PingNonceOutsideItsGrammarIsInvalidMessageNotFatalAndNotEchoed) {
  auto [a, b] = PairUp();
  for (const std::string& nonce :
       {std::string("<script>"), std::string("a\r\nb"), std::string("a\0b", 3), std::string("a b"),
        std::string("\"n\""), std::string("n\\"), std::string("n'"), std::string(65, 'n'),
        std::string("caf\xc3\xa9"), std::string("n\x7f")}) {
    outcomes_[a].messages.clear();
    Send(a, PingWith(nonce));
    EXPECT_EQ(Kinds(a), "error:INVALID_MESSAGE") << "nonce " << absl::CEscape(nonce);
    now_ += absl::Seconds(1);
  }
  EXPECT_FALSE(CloseCode(a).has_value());
  for (const std::string& nonce :
       {std::string(), std::string("n-1"), std::string("550e8400-e29b-41d4-a716-446655440000"),
        std::string("dGVzdA=="), std::string("a_b.c~d:e+f/g"), std::string(64, 'n')}) {
    outcomes_[a].messages.clear();
    Send(a, PingWith(nonce));
    ASSERT_EQ(Kinds(a), "pong") << "nonce " << nonce;
    EXPECT_EQ(outcomes_[a].messages[0].pong().nonce(), nonce);
  }
  EXPECT_EQ(Kinds(b), "joined paired");
}

// The subject comes from the verifier (which an operator may replace) and is
// relayed in `paired`: 1-256 of visible ASCII except " \ < > `.
TEST_F(EngineTest, SubjectOutsideItsGrammarIsRefusedAtJoinAndNeverRelayed) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  int n = 0;
  for (const std::string& subject :
       {std::string("user\r\n42"), std::string("<img src=x onerror=alert(1)>"),
        std::string("a\0b", 3), std::string("\"quoted\""), std::string("back\\slash"),
        std::string("has space"), std::string("tick`"), std::string(257, 's'),
        std::string("caf\xc3\xa9"), std::string("del\x7f")}) {
    const std::string token = absl::StrCat("bad-", n++);
    AddToken(token, subject, {"kiosk-*"}, {"kiosk-*"});
    const SessionKey offerer = JoinOfferer(token, "kiosk-7");
    EXPECT_EQ(Kinds(offerer), "error:UNAUTHENTICATED") << "subject " << absl::CEscape(subject);
    EXPECT_EQ(CloseCode(offerer), 4001u);
    const SessionKey acceptor = JoinAcceptor(token, "kiosk-8");
    EXPECT_EQ(Kinds(acceptor), "error:UNAUTHENTICATED") << "subject " << absl::CEscape(subject);
    EXPECT_EQ(CloseCode(acceptor), 4001u);
  }
  EXPECT_EQ(Kinds(a), "joined") << "no offerer with a bad subject was paired";
  for (const std::string& subject :
       {std::string("auth0|5f7c8ec7c33c6c004bbafe82"), std::string("alice+x@example.com"),
        std::string("https://id.example.com/users/1?v=2#k"), std::string(256, 's')}) {
    const std::string token = absl::StrCat("good-", n++);
    AddToken(token, subject, {}, {"kiosk-*"});
    const SessionKey offerer = JoinOfferer(token, "kiosk-7");
    ASSERT_EQ(Kinds(offerer), "joined paired") << subject;
    EXPECT_EQ(outcomes_[a].messages.back().paired().peer().subject(), subject);
    Send(offerer, LeaveMsg());
  }
  Apply(engine_.OnTransportClosed(a, now_));
  ExpectEmpty();
}

// A protobuf client's unknown fields (kept by the parser) never reach the
// peer: the relayed offer, its candidates and trickled candidates carry
// only the schema's fields.
TEST_F(EngineTest, UnknownFieldsAreNotRelayed) {
  auto [a, b] = PairUp();
  v1::ClientMessage offer = OfferMsg();
  auto* inline_candidate = offer.mutable_offer()->add_ice_candidates();
  *inline_candidate = CandidateWith("0", 0).ice_candidate();
  offer.mutable_offer()
      ->GetReflection()
      ->MutableUnknownFields(offer.mutable_offer())
      ->AddLengthDelimited(99, "<script>alert(1)</script>");
  inline_candidate->GetReflection()->MutableUnknownFields(inline_candidate)->AddVarint(77, 1);
  ASSERT_TRUE(HasUnknownFields(offer));
  Send(b, offer);
  v1::ClientMessage candidate = CandidateWith("0", 0);
  candidate.mutable_ice_candidate()
      ->GetReflection()
      ->MutableUnknownFields(candidate.mutable_ice_candidate())
      ->AddLengthDelimited(5, std::string("\0\r\n", 3));
  Send(b, candidate);
  ASSERT_EQ(Kinds(a), "joined paired offer iceCandidate");
  for (const v1::ServerMessage& m : outcomes_[a].messages) {
    EXPECT_FALSE(HasUnknownFields(m)) << m.DebugString();
  }
  EXPECT_EQ(outcomes_[a].messages[2].offer().sdp(), kOffer);
  EXPECT_EQ(outcomes_[a].messages[2].offer().ice_candidates_size(), 1);
}

TEST_F(EngineTest, RefusalMessagesNeverEchoTheRefusedField) {
  auto [a, b] = PairUp();
  Send(b, CandidateWith("<SECRET>", std::nullopt));
  Send(b, CandidateWith("0", 0, "<SECRET>"));
  Send(b, PingWith("<SECRET>"));
  ASSERT_EQ(Kinds(b),
            "joined paired error:INVALID_CANDIDATE error:INVALID_CANDIDATE error:INVALID_MESSAGE");
  for (const v1::ServerMessage& m : outcomes_[b].messages) {
    EXPECT_EQ(m.error().message().find("SECRET"), std::string::npos) << m.error().message();
  }
}

}  // namespace
}  // namespace signaling::matching
