// Leaks: 1,000 pairings with disconnects at every stage, after which the
// matching service holds no session, id, pairing, verification or timer and
// the gateway no connection. Every reply on the way is the one the contract
// names (an error in its place fails the run, not only a failed read).
#include <random>

#include "gtest/gtest.h"
#include "tests/integration/stack.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

enum Stage {
  kBeforeJoin,
  kAfterJoin,
  kDuringOffererJoin,
  kAfterPaired,
  kAfterOffer,
  kAfterAnswer,
  kAfterLeave,
  kStageCount
};

TEST(LeakTest, ThousandPairingsWithRandomDisconnectsReturnToZero) {
  Stack stack;
  std::mt19937 rng(20261125);
  const std::string acceptor_token = stack.Token("kiosk-owner", {"kiosk-*"}, {});
  const std::string offerer_token = stack.Token("user-42", {}, {"kiosk-*"});
  int stages[kStageCount] = {};
  for (int i = 0; i < 1000; ++i) {
    const Stage stage = static_cast<Stage>(rng() % kStageCount);
    ++stages[stage];
    const bool drop_acceptor = rng() % 2 == 0;
    const std::string id = "kiosk-" + std::to_string(i);
    auto a =
        WsClient::Connect(stack.gateway_port(), i % 2 ? "signaling.v1.json" : "signaling.v1.proto");
    ASSERT_TRUE(a.ok()) << a.status();
    if (stage == kBeforeJoin) {
      (*a)->Drop();
      continue;
    }
    (*a)->Send(JoinAcceptor(acceptor_token, id));
    ASSERT_EQ(KindOf((*a)->Read()), "joined") << id;
    if (stage == kAfterJoin) {
      (*a)->Drop();
      continue;
    }
    auto b = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(b.ok()) << b.status();
    (*b)->Send(JoinOfferer(offerer_token, id));
    if (stage == kDuringOffererJoin) {
      (drop_acceptor ? *a : *b)->Drop();
      continue;
    }
    ASSERT_EQ(KindOf((*b)->Read()), "joined") << id;
    ASSERT_EQ(KindOf((*b)->Read()), "paired") << id;
    ASSERT_EQ(KindOf((*a)->Read()), "paired") << id;
    if (stage == kAfterPaired) {
      (drop_acceptor ? *a : *b)->Drop();
      continue;
    }
    (*b)->Send(Offer(kTestOffer));
    ASSERT_EQ(KindOf((*a)->Read()), "offer") << id;
    if (stage == kAfterOffer) {
      (drop_acceptor ? *a : *b)->Drop();
      continue;
    }
    (*a)->Send(Answer(kTestAnswer));
    (*a)->Send(Candidate("candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host"));
    (*b)->Send(Candidate("candidate:2 1 udp 2122260223 192.0.2.11 54401 typ host"));
    ASSERT_EQ(KindOf((*b)->Read()), "answer") << id;
    ASSERT_EQ(KindOf((*b)->Read()), "iceCandidate") << id;
    if (stage == kAfterAnswer) {
      (drop_acceptor ? *a : *b)->Drop();
      continue;
    }
    (*b)->Send(Leave());
    ASSERT_EQ((*b)->WaitClose(), 1000) << id;
    ASSERT_EQ(KindOf((*a)->Read()), "iceCandidate") << id;
    ASSERT_EQ(KindOf((*a)->Read()), "peerLeft:LEFT") << id;
    (*a)->Close();
  }
  for (int s = 0; s < kStageCount; ++s) EXPECT_GT(stages[s], 100) << "stage " << s;
  EXPECT_TRUE(stack.WaitForZero(absl::Seconds(30))) << stack.DescribeState();
}

}  // namespace
}  // namespace signaling::testing
