// One replica cut off from Redis while the other still reaches it (a TCP
// proxy between replica A and Redis stops moving bytes: a partition that
// drops packets, so A sees only its own timeouts). A fences itself within
// its engine lease: its joins fail closed, its live pairing keeps relaying.
// Its membership lapses in Redis, so B can give A's ids to another subject
// within the lease. When the partition heals, A re-asserts: an id claimed
// meanwhile stays with the new holder (A closes its own, 4009), one that
// nobody took is A's again, and A serves joins again.
#include <cstdio>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster/tcp_proxy.h"
#include "tests/cluster/two_replicas.h"
#include "tests/integration/wait.h"

namespace signaling::testing {
namespace {

class ClusterPartitionTest : public TwoReplicas {
 protected:
  void SetUp() override {
    proxy_ = std::make_unique<TcpProxy>(stack_.redis().port());
    stack_.SetRedisArgs(0, {"--redis", proxy_->address()});
    TwoReplicas::SetUp();
  }

  std::unique_ptr<TcpProxy> proxy_;
};

TEST_F(ClusterPartitionTest, AReplicaCutOffFromRedisFencesItselfAndLosesOnlyWhatWasTakenMeanwhile) {
  PairOnA();                                                           // kiosk-7, conns 1 and 2
  ASSERT_EQ(Join(*a_, 3, owner_, v1::ACCEPTOR, "kiosk-8"), "joined");  // unpaired
  proxy_->Cut();
  const absl::Time cut = absl::Now();

  // A fences itself: its joins fail closed (UNAVAILABLE, 1013) within the
  // verification deadline, and its pairing keeps relaying.
  ExpectJoinFailsClosed(*a_, 10, "kiosk-9");
  ExpectRelaying();
  // B, which still reaches Redis, gives A's id to another subject once A's
  // membership lapsed: within the lease (3 s) plus a renewal (1 s).
  uint64_t conn = 20;
  std::string outcome;
  ASSERT_TRUE(WaitFor(
      [&] {
        outcome = Join(*b_, ++conn, mallory_, v1::ACCEPTOR, "kiosk-8");
        return outcome == "joined";
      },
      absl::Seconds(8), absl::Milliseconds(100)))
      << outcome;
  const uint64_t winner = conn;
  const absl::Duration free_after = absl::Now() - cut;
  EXPECT_LE(free_after, absl::Seconds(5));
  // A's own clients saw nothing of it yet: A cannot know.
  EXPECT_EQ(Describe(a_->Next(3, absl::Milliseconds(100))), "(nothing)");
  // By now A's lease lapsed: it refuses joins at once, without asking Redis.
  const absl::Time asked = absl::Now();
  EXPECT_EQ(Join(*a_, 11, owner_, v1::ACCEPTOR, "kiosk-9"), "error:UNAVAILABLE");
  EXPECT_LT(absl::Now() - asked, absl::Milliseconds(500)) << "fenced, not waiting on Redis";

  proxy_->Heal();
  const absl::Time healed = absl::Now();
  // A re-asserts: kiosk-8 was claimed meanwhile, the newer claim wins and
  // A closes its holder; B's stays.
  EXPECT_EQ(Describe(a_->Next(3, absl::Seconds(10))), "close:4009");
  const absl::Duration reasserted_after = absl::Now() - healed;
  EXPECT_EQ(Describe(b_->Next(winner, absl::Milliseconds(200))), "(nothing)") << "B's stays";
  // kiosk-7, which nobody took, is A's again: another subject is refused
  // through B, an offerer through B is moved to A.
  EXPECT_EQ(Join(*b_, 40, mallory_, v1::ACCEPTOR, "kiosk-7"), "error:ID_TAKEN");
  EXPECT_EQ(Join(*b_, 41, user_, v1::OFFERER, "kiosk-7"),
            absl::StrCat("redirect:", stack_.address(0)));
  ExpectRelaying();
  // And A serves joins again.
  ASSERT_TRUE(
      WaitFor([&] { return Join(*a_, ++conn, owner_, v1::ACCEPTOR, "kiosk-9") == "joined"; },
              absl::Seconds(5), absl::Milliseconds(100)));
  // What an operator sees on A: it fenced itself, refused joins for it, and
  // closed the holder a newer claim displaced.
  EXPECT_GE(stack_.Metric(0, "signaling_matching_membership_changes_total{change=\"fenced\"}"), 1);
  EXPECT_GE(stack_.Metric(0, "signaling_matching_fenced_refusals_total"), 1);
  EXPECT_EQ(stack_.Metric(0, "signaling_matching_evictions_total"), 1);
  EXPECT_EQ(stack_.Metric(1, "signaling_matching_evictions_total"), 0);
  std::fprintf(stderr, "partition: id free for another subject after %s; re-asserted %s after heal\n",
               absl::FormatDuration(free_after).c_str(),
               absl::FormatDuration(reasserted_after).c_str());
}

}  // namespace
}  // namespace signaling::testing
