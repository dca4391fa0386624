// Leaks across the cluster: 1,000 pairings through two gateways and three
// replicas (the acceptor on one gateway, the offerer on the other, each
// gateway spreading its connections over the replicas, so most offerers
// are moved to their acceptor's replica), with disconnects at every stage.
// Afterwards every replica holds no session, id, pairing, waiting offerer,
// verification or timer, no gateway a connection, and Redis is back to the
// keys it held before the first pairing (only the replicas' own
// bookkeeping). Every reply on the way is the one the contract names.
#include <random>
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster/cluster_stack.h"
#include "tests/integration/wait.h"
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

TEST(ClusterLeakTest, ThousandPairingsAcrossReplicasReturnEveryCountAndRedisToBaseline) {
  ClusterStack stack(3, 2);
  ASSERT_TRUE(stack.Start());
  const std::string acceptor_token = stack.Token("kiosk-owner", {"kiosk-*"}, {});
  {
    // The baseline: the replicas' bookkeeping, with the fence counter that
    // the first claim creates.
    auto warm = stack.Connect(0);
    ASSERT_NE(warm, nullptr);
    warm->Send(JoinAcceptor(acceptor_token, "kiosk-warm"));
    ASSERT_EQ(KindOf(warm->Read()), "joined");
    warm->Close();
    ASSERT_TRUE(stack.WaitForZero()) << stack.DescribeState();
  }
  ASSERT_TRUE(WaitFor([&] { return stack.redis().Cli({"EXISTS", "signaling:a:{kiosk-warm}"}) == "0"; },
                      absl::Seconds(5)));
  const std::string baseline = stack.redis().Cli({"DBSIZE"});
  std::mt19937 rng(20261202);
  const std::string offerer_token = stack.Token("user-42", {}, {"kiosk-*"});
  int stages[kStageCount] = {};
  for (int i = 0; i < 1000; ++i) {
    const Stage stage = static_cast<Stage>(rng() % kStageCount);
    ++stages[stage];
    const bool drop_acceptor = rng() % 2 == 0;
    const std::string id = absl::StrCat("kiosk-", i);
    auto a = stack.Connect(i % 2);
    ASSERT_NE(a, nullptr);
    if (stage == kBeforeJoin) {
      a->Drop();
      continue;
    }
    a->Send(JoinAcceptor(acceptor_token, id));
    ASSERT_EQ(KindOf(a->Read()), "joined") << id;
    if (stage == kAfterJoin) {
      a->Drop();
      continue;
    }
    auto b = stack.Connect(1 - i % 2);
    ASSERT_NE(b, nullptr);
    b->Send(JoinOfferer(offerer_token, id));
    if (stage == kDuringOffererJoin) {
      (drop_acceptor ? a : b)->Drop();
      continue;
    }
    ASSERT_EQ(KindOf(b->Read()), "joined") << id;
    ASSERT_EQ(KindOf(b->Read()), "paired") << id;
    ASSERT_EQ(KindOf(a->Read()), "paired") << id;
    if (stage == kAfterPaired) {
      (drop_acceptor ? a : b)->Drop();
      continue;
    }
    b->Send(Offer(kTestOffer));
    ASSERT_EQ(KindOf(a->Read()), "offer") << id;
    if (stage == kAfterOffer) {
      (drop_acceptor ? a : b)->Drop();
      continue;
    }
    a->Send(Answer(kTestAnswer));
    a->Send(Candidate("candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host"));
    b->Send(Candidate("candidate:2 1 udp 2122260223 192.0.2.11 54401 typ host"));
    ASSERT_EQ(KindOf(b->Read()), "answer") << id;
    ASSERT_EQ(KindOf(b->Read()), "iceCandidate") << id;
    if (stage == kAfterAnswer) {
      (drop_acceptor ? a : b)->Drop();
      continue;
    }
    b->Send(Leave());
    ASSERT_EQ(b->WaitClose(), 1000) << id;
    ASSERT_EQ(KindOf(a->Read()), "iceCandidate") << id;
    ASSERT_EQ(KindOf(a->Read()), "peerLeft:LEFT") << id;
    a->Close();
  }
  for (int s = 0; s < kStageCount; ++s) EXPECT_GT(stages[s], 100) << "stage " << s;
  // Every replica paired, and offerers were moved between them.
  double redirects = 0;
  for (int r = 0; r < 3; ++r) {
    EXPECT_GT(stack.CountInLog(r, "\"session.paired\""), 100) << "replica " << r;
    redirects += stack.Metric(r, "signaling_matching_redirects_total");
  }
  EXPECT_GT(redirects, 200);
  EXPECT_TRUE(stack.WaitForZero(absl::Seconds(30))) << stack.DescribeState();
  std::string keys;
  EXPECT_TRUE(WaitFor(
      [&] {
        keys = stack.redis().Cli({"DBSIZE"});
        return keys == baseline;
      },
      absl::Seconds(10)))
      << keys << " keys, " << baseline << " before: "
      << stack.redis().Cli({"--raw", "KEYS", "signaling:[aw]:*"});
}

}  // namespace
}  // namespace signaling::testing
