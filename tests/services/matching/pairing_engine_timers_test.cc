// The pure engine's deadlines and per-session limits (protocol v1 sections 4
// and 6): join deadline, negotiation timeout, token expiry and refresh, the
// rate limit and its abuse, and the candidate counts.
#include <algorithm>

#include "absl/time/time.h"
#include "tests/services/matching/pairing_engine_fixture.h"

namespace signaling::matching::testing_engine {
namespace {

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

}  // namespace
}  // namespace signaling::matching::testing_engine
