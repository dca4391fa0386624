// Failures of a cluster, with the real binaries (redis-server, auth, two
// matching replicas; the test is the gateway over Relay): Redis killed and
// Redis hung under a live pairing (new joins fail closed within the
// verification deadline, the pairing keeps relaying, and when Redis comes
// back, empty, the ids are re-asserted with no second holder), a replica
// paused past its lease (a conflicting claim made meanwhile wins, the paused
// one closes its holder 4009 and pairs nobody), and a replica stopped
// gracefully (goAway, 1001, its ids free at once).
#include <csignal>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster/two_replicas.h"
#include "tests/integration/wait.h"

namespace signaling::testing {
namespace {

using ClusterFailureTest = TwoReplicas;

TEST_F(ClusterFailureTest, RedisKilledJoinsFailClosedPairingsRelayAndTheIdsComeBack) {
  PairOnA();
  stack_.redis().Kill();
  ExpectJoinFailsClosed(*b_, 10, "kiosk-8");
  ExpectRelaying();                       // the data path never touches Redis
  ASSERT_TRUE(stack_.redis().Restart());  // back, and empty
  // The replicas re-assert what they hold: kiosk-7 is A's again, and another
  // subject cannot take it, whichever replica it asks.
  uint64_t conn = 20;
  std::string outcome;
  ASSERT_TRUE(WaitFor(
      [&] {
        outcome = Join(*b_, ++conn, mallory_, v1::ACCEPTOR, "kiosk-7");
        return outcome == "error:ID_TAKEN";
      },
      absl::Seconds(15), absl::Milliseconds(250)))
      << outcome;
  EXPECT_EQ(Describe(a_->Next(1, absl::Milliseconds(200))), "(nothing)") << "A's holder stays";
  ExpectRelaying();
  EXPECT_EQ(Join(*b_, 99, owner_, v1::ACCEPTOR, "kiosk-9"), "joined") << "new ids work again";
}

TEST_F(ClusterFailureTest, RedisHungJoinsFailClosedAndNothingHangs) {
  PairOnA();
  stack_.redis().Pause();
  ExpectJoinFailsClosed(*b_, 10, "kiosk-8");
  ExpectJoinFailsClosed(*a_, 11, "kiosk-9");
  ExpectRelaying();
  stack_.redis().Resume();
  uint64_t conn = 20;
  ASSERT_TRUE(
      WaitFor([&] { return Join(*b_, ++conn, owner_, v1::ACCEPTOR, "kiosk-8") == "joined"; },
              absl::Seconds(15), absl::Milliseconds(250)));
}

TEST_F(ClusterFailureTest, APausedReplicaLosesToAClaimMadeMeanwhileAndPairsNobody) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  stack_.replica(0).Signal(SIGSTOP);
  // Another subject takes the id once A's membership lapsed.
  uint64_t conn = 10;
  std::string outcome;
  ASSERT_TRUE(WaitFor(
      [&] {
        outcome = Join(*b_, ++conn, mallory_, v1::ACCEPTOR, "kiosk-7");
        return outcome == "joined";
      },
      absl::Seconds(10), absl::Milliseconds(250)))
      << outcome;
  const uint64_t winner = conn;
  stack_.replica(0).Signal(SIGCONT);
  // A wakes fenced and pairs nobody: its first join is refused, or, if it
  // already re-asserted, moved to B.
  const std::string first = Join(*a_, 50, user_, v1::OFFERER, "kiosk-7");
  EXPECT_TRUE(first == "error:UNAVAILABLE" || first == absl::StrCat("redirect:", stack_.address(1)))
      << first;
  // Once it re-asserted, its holder lost: 4009.
  EXPECT_EQ(Describe(a_->Next(1, absl::Seconds(10))), "close:4009");
  EXPECT_EQ(Describe(b_->Next(winner, absl::Milliseconds(200))), "(nothing)") << "B's stays";
  // An offerer through A is now moved to B, the holder.
  uint64_t offerer = 60;
  ASSERT_TRUE(WaitFor(
      [&] {
        outcome = Join(*a_, ++offerer, user_, v1::OFFERER, "kiosk-7");
        return outcome == absl::StrCat("redirect:", stack_.address(1));
      },
      absl::Seconds(10), absl::Milliseconds(250)))
      << outcome;
}

TEST_F(ClusterFailureTest, AReplicaStoppedGracefullyReleasesItsIdsAtOnce) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  stack_.replica(0).Signal(SIGTERM);
  EXPECT_EQ(Describe(a_->Next(1)), "go_away");
  EXPECT_EQ(Describe(a_->Next(1)), "close:1001");
  ASSERT_TRUE(stack_.replica(0).WaitExitStatus(absl::Seconds(10)).has_value());
  // Free at once for another subject: no lease to wait for.
  const absl::Time start = absl::Now();
  EXPECT_EQ(Join(*b_, 2, mallory_, v1::ACCEPTOR, "kiosk-7"), "joined");
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_EQ(stack_.redis().Cli({"EXISTS", absl::StrCat("signaling:m:", stack_.address(0))}), "0");
}

}  // namespace
}  // namespace signaling::testing
