// What the admin API does to and sees of the pure engine: Disconnect,
// CloseAll at shutdown, ListSessions and Stats.
#include <string>

#include "tests/services/matching/pairing_engine_fixture.h"

namespace signaling::matching::testing_engine {
namespace {

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

}  // namespace
}  // namespace signaling::matching::testing_engine
