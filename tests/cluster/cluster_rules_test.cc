// The rest of contract section 4 when the acceptor and the offerer arrive
// through different replicas (the offerer is moved to its acceptor's, as
// the gateway does it): PEER_BUSY for a second offerer, peerLeft on leave
// and on drop, PEER_NOT_FOUND after waitMs when no acceptor joins anywhere,
// the negotiation timeout, and token expiry and refresh, whose lease the
// directory follows (a refreshed id stays taken, an expired one is free for
// another subject on the other replica at once).
#include <memory>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster/two_replicas.h"
#include "tests/integration/wait.h"

namespace signaling::testing {
namespace {

class ClusterRulesTest : public TwoReplicas {
 protected:
  void SetUp() override {
    stack_.AddReplicaArgs({"--negotiation_timeout_ms", "1500"});
    TwoReplicas::SetUp();
  }

  // An offerer that arrives through B for an acceptor held on A: B moves
  // it, the test carries it on at A. Returns A's first answer.
  std::string OfferThroughB(uint64_t conn, const std::string& id) {
    const std::string first = Join(*b_, conn, user_, v1::OFFERER, id);
    EXPECT_EQ(first, absl::StrCat("redirect:", stack_.address(0)));
    return Join(*a_, conn, user_, v1::OFFERER, id);
  }

  void PairAcrossReplicas() {
    ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
    ASSERT_EQ(OfferThroughB(2, "kiosk-7"), "joined");
    ASSERT_EQ(Describe(a_->Next(2)), "paired");
    ASSERT_EQ(Describe(a_->Next(1)), "paired");
  }
};

TEST_F(ClusterRulesTest, ASecondOffererFromAnotherReplicaIsPeerBusy) {
  PairAcrossReplicas();
  EXPECT_EQ(OfferThroughB(3, "kiosk-7"), "joined");
  EXPECT_EQ(Describe(a_->Next(3)), "error:PEER_BUSY");
  EXPECT_EQ(Describe(a_->Next(1, absl::Milliseconds(200))), "(nothing)") << "the pairing stays";
}

TEST_F(ClusterRulesTest, PeerLeftOnLeaveAndOnDrop) {
  PairAcrossReplicas();
  v1::ClientMessage leave;
  leave.mutable_leave();
  a_->Send(2, leave);
  EXPECT_EQ(Describe(a_->Next(2)), "close:1000");
  EXPECT_EQ(Describe(a_->Next(1)), "peer_left:LEFT");
  // A new offerer through B, then its connection drops.
  ASSERT_EQ(OfferThroughB(3, "kiosk-7"), "joined");
  ASSERT_EQ(Describe(a_->Next(3)), "paired");
  ASSERT_EQ(Describe(a_->Next(1)), "paired");
  a_->Close(3);
  EXPECT_EQ(Describe(a_->Next(1)), "peer_left:DISCONNECTED");
  a_->Close(1);
  EXPECT_TRUE(stack_.WaitForZero()) << stack_.DescribeState();
}

TEST_F(ClusterRulesTest, AnOffererWaitingForAnIdNobodyJoinsGetsPeerNotFound) {
  const absl::Time start = absl::Now();
  ASSERT_EQ(Join(*b_, 1, user_, v1::OFFERER, "kiosk-7", 1000), "joined");
  EXPECT_EQ(Describe(b_->Next(1, absl::Seconds(5))), "error:PEER_NOT_FOUND");
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(stack_.WaitForZero()) << stack_.DescribeState();
  EXPECT_EQ(stack_.redis().Cli({"EXISTS", "signaling:w:{kiosk-7}"}), "0") << "its wait note is gone";
}

TEST_F(ClusterRulesTest, NoAnswerWithinTheNegotiationTimeoutEndsThePairing) {
  PairAcrossReplicas();
  v1::ClientMessage offer;
  offer.mutable_offer()->set_sdp(kTestOffer);
  a_->Send(2, offer);
  EXPECT_EQ(Describe(a_->Next(1)), "offer");
  EXPECT_EQ(Describe(a_->Next(1, absl::Seconds(5))), "peer_left:TIMEOUT");
  EXPECT_EQ(Describe(a_->Next(2, absl::Seconds(5))), "peer_left:TIMEOUT");
  // The acceptor keeps its id: another offerer through B is moved to it.
  EXPECT_EQ(Join(*b_, 3, user_, v1::OFFERER, "kiosk-7"),
            absl::StrCat("redirect:", stack_.address(0)));
}

TEST_F(ClusterRulesTest, TheDirectoryFollowsTokenExpiryAndRefresh) {
  // Tokens carry whole seconds: 3 s leaves room for the joins.
  const std::string short_lived = stack_.Token("kiosk-owner", {"kiosk-*"}, {}, absl::Seconds(3));
  ASSERT_EQ(Join(*a_, 1, short_lived, v1::ACCEPTOR, "kiosk-7"), "joined");
  ASSERT_EQ(Join(*a_, 2, short_lived, v1::ACCEPTOR, "kiosk-8"), "joined");
  v1::ClientMessage refresh;
  refresh.mutable_refresh()->set_session_token(owner_);  // ten minutes
  a_->Send(1, refresh);
  // kiosk-8 was not refreshed: closed 4001 at its expiry, and free at once
  // for another subject through B.
  EXPECT_EQ(Describe(a_->Next(2, absl::Seconds(6))), "error:UNAUTHENTICATED");
  EXPECT_EQ(Describe(a_->Next(2)), "close:4001");
  EXPECT_EQ(Join(*b_, 3, mallory_, v1::ACCEPTOR, "kiosk-8"), "joined");
  // kiosk-7 was refreshed: its claim was renewed in the directory past the
  // first token's expiry, so another subject is still refused.
  EXPECT_EQ(Join(*b_, 4, mallory_, v1::ACCEPTOR, "kiosk-7"), "error:ID_TAKEN");
  EXPECT_EQ(Describe(a_->Next(1, absl::Milliseconds(200))), "(nothing)") << "still open";
}

}  // namespace
}  // namespace signaling::testing
