// The pairing rules of protocol v1 section 4 on the pure engine: a pairing's
// exchange in order, leave and drop on either side, the message order, what
// is refused before join and while paired, and relaying by move. Joins are
// in pairing_engine_join_test.cc, deadlines and limits in
// pairing_engine_timers_test.cc, the admin's actions and views in
// pairing_engine_views_test.cc, field grammars in
// pairing_engine_fields_test.cc; the fixture in pairing_engine_fixture.h.
#include <string>
#include <utility>
#include <variant>

#include "tests/services/matching/pairing_engine_fixture.h"

namespace signaling::matching::testing_engine {
namespace {

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

TEST_F(EngineTest, PingPong) {
  auto [a, b] = PairUp();
  v1::ClientMessage ping;
  ping.mutable_ping()->set_nonce("n-1");
  Send(a, ping);
  ASSERT_EQ(Kinds(a), "joined paired pong");
  EXPECT_EQ(outcomes_[a].messages[2].pong().nonce(), "n-1");
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

}  // namespace
}  // namespace signaling::matching::testing_engine
