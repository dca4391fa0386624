// Contract section 4 across matching replicas, with the real binaries: a
// redis-server, auth and matching replicas in cluster mode; the test is the
// gateway, one Relay stream per replica, and follows redirects as the
// gateway does (open the connection on the named replica, send the join
// again). Pairing across replicas, ID_TAKEN and same-subject replacement
// when the two joins land on different replicas, an offerer waiting on one
// replica for an acceptor that joins on another, a replica killed (its ids
// free at once for the same subject, within its lease for another), and
// every count and Redis key back to its baseline.
#include <csignal>
#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster/two_replicas.h"
#include "tests/integration/wait.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

class ClusterTest : public TwoReplicas {
 protected:
  // Keys in Redis other than the cluster's own bookkeeping (membership,
  // epochs, generation, fence counter).
  std::string IdKeys() { return stack_.redis().Cli({"--raw", "KEYS", "signaling:[aw]:*"}); }
};

TEST_F(ClusterTest, AnOffererOnAnotherReplicaIsMovedToItsAcceptorAndTheyPair) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  // The offerer lands on B: B tells its gateway to carry it on at A, and
  // the client is told nothing yet.
  b_->Open(2);
  b_->Send(2, JoinMessage(user_, v1::OFFERER, "kiosk-7"));
  auto redirect = b_->Next(2);
  ASSERT_EQ(Describe(redirect), absl::StrCat("redirect:", stack_.address(0)));
  EXPECT_EQ(redirect->redirect().announced_session_id(), "");
  a_->Open(2);
  a_->Send(2, JoinMessage(user_, v1::OFFERER, "kiosk-7"));
  EXPECT_EQ(Describe(a_->Next(2)), "joined");
  EXPECT_EQ(Describe(a_->Next(2)), "paired");
  EXPECT_EQ(Describe(a_->Next(1)), "paired");

  v1::ClientMessage offer;
  offer.mutable_offer()->set_sdp(kTestOffer);
  a_->Send(2, offer);
  EXPECT_EQ(Describe(a_->Next(1)), "offer");
  a_->Close(2);
  EXPECT_EQ(Describe(a_->Next(1)), "peer_left:DISCONNECTED");
  a_->Close(1);
  EXPECT_TRUE(stack_.WaitForZero());
  EXPECT_TRUE(WaitFor([&] { return IdKeys().empty(); }, absl::Seconds(5))) << IdKeys();
}

TEST_F(ClusterTest, AnotherSubjectGetsIdTakenOnAnotherReplica) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  EXPECT_EQ(Join(*b_, 2, mallory_, v1::ACCEPTOR, "kiosk-7"), "error:ID_TAKEN");
  EXPECT_EQ(Describe(b_->Next(2)), "close:1008");
  EXPECT_EQ(Describe(a_->Next(1, absl::Milliseconds(200))), "(nothing)") << "the holder stays";
}

TEST_F(ClusterTest, TheSameSubjectOnAnotherReplicaReplacesTheHolder) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  ASSERT_EQ(Join(*a_, 2, user_, v1::OFFERER, "kiosk-7"), "joined");
  ASSERT_EQ(Describe(a_->Next(2)), "paired");
  ASSERT_EQ(Describe(a_->Next(1)), "paired");
  EXPECT_EQ(Join(*b_, 3, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  // The old holder on A is closed with 4009; its offerer learns why.
  EXPECT_EQ(Describe(a_->Next(1)), "close:4009");
  EXPECT_EQ(Describe(a_->Next(2)), "peer_left:REPLACED");
  // The id now lives on B: a new offerer on A is moved there.
  a_->Open(4);
  a_->Send(4, JoinMessage(user_, v1::OFFERER, "kiosk-7"));
  EXPECT_EQ(Describe(a_->Next(4)), absl::StrCat("redirect:", stack_.address(1)));
}

TEST_F(ClusterTest, AWaitingOffererMovesToWhereItsAcceptorJoinsKeepingItsSession) {
  ASSERT_EQ(Join(*b_, 1, user_, v1::OFFERER, "kiosk-7", 10000), "joined");
  ASSERT_EQ(Join(*a_, 2, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  auto redirect = b_->Next(1);
  ASSERT_EQ(Describe(redirect), absl::StrCat("redirect:", stack_.address(0)));
  const std::string announced = redirect->redirect().announced_session_id();
  EXPECT_EQ(announced.rfind("s_", 0), 0u) << announced;
  a_->Open(1, announced);
  a_->Send(1, JoinMessage(user_, v1::OFFERER, "kiosk-7"));
  EXPECT_EQ(Describe(a_->Next(1)), "paired") << "not told joined a second time";
  EXPECT_EQ(Describe(a_->Next(2)), "paired");
}

TEST_F(ClusterTest, AKilledReplicasIdsAreFreeAtOnceForTheSameSubjectSoonForAnother) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  ASSERT_EQ(Join(*a_, 2, owner_, v1::ACCEPTOR, "kiosk-8"), "joined");
  stack_.replica(0).Signal(SIGKILL);
  ASSERT_TRUE(stack_.replica(0).WaitExitStatus(absl::Seconds(5)).has_value());
  EXPECT_TRUE(WaitFor([&] { return !a_->up(); }, absl::Seconds(5))) << "its gateway stream ends";
  // The same subject takes its id back at once, on the other replica.
  EXPECT_EQ(Join(*b_, 3, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  // Another subject gets it once the dead replica's membership lapsed (3 s).
  const absl::Time start = absl::Now();
  uint64_t conn = 10;
  std::string outcome;
  ASSERT_TRUE(WaitFor(
      [&] {
        outcome = Join(*b_, ++conn, mallory_, v1::ACCEPTOR, "kiosk-8");
        return outcome == "joined";
      },
      absl::Seconds(8), absl::Milliseconds(250)))
      << outcome;
  EXPECT_LE(absl::Now() - start, absl::Seconds(5));
}

}  // namespace
}  // namespace signaling::testing
