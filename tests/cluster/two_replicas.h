// The fixture of the cluster tests that play the gateway: a ClusterStack of
// two replicas, one Relay stream to each (a_ to replica 0, b_ to replica
// 1), tokens of two acceptor subjects and an offerer, a join helper, and
// the checks the failure tests share (a pairing on A that relays, a join
// that fails closed). A fixture that routes a replica's Redis otherwise
// (SetRedisArgs) does so in its SetUp before calling this one's.
#ifndef TESTS_CLUSTER_TWO_REPLICAS_H_
#define TESTS_CLUSTER_TWO_REPLICAS_H_

#include <memory>
#include <string>

#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/cluster/cluster_stack.h"
#include "tests/cluster/relay_stream.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {

// The verification deadline (matching's default), which also bounds every
// directory call a join makes.
constexpr absl::Duration kVerifyDeadline = absl::Seconds(2);

class TwoReplicas : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start());
    a_ = std::make_unique<RelayStream>(stack_.address(0));
    b_ = std::make_unique<RelayStream>(stack_.address(1));
    owner_ = stack_.Token("kiosk-owner", {"kiosk-*"}, {});
    mallory_ = stack_.Token("mallory", {"kiosk-*"}, {});
    user_ = stack_.Token("user-42", {}, {"kiosk-*"});
  }

  // Opens `conn` on `stream` and joins; returns the first event.
  std::string Join(RelayStream& stream, uint64_t conn, const std::string& token, v1::Role role,
                   const std::string& id, uint32_t wait_ms = 0,
                   absl::Duration timeout = absl::Seconds(5)) {
    stream.Open(conn);
    stream.Send(conn, JoinMessage(token, role, id, wait_ms));
    return Describe(stream.Next(conn, timeout));
  }

  // A pairing on replica A: acceptor conn 1, offerer conn 2.
  void PairOnA() {
    ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
    ASSERT_EQ(Join(*a_, 2, user_, v1::OFFERER, "kiosk-7"), "joined");
    ASSERT_EQ(Describe(a_->Next(2)), "paired");
    ASSERT_EQ(Describe(a_->Next(1)), "paired");
  }

  // The offerer's offer reaches the acceptor, the answer comes back.
  void ExpectRelaying() {
    v1::ClientMessage offer;
    offer.mutable_offer()->set_sdp(kTestOffer);
    a_->Send(2, offer);
    EXPECT_EQ(Describe(a_->Next(1)), "offer");
    v1::ClientMessage answer;
    answer.mutable_answer()->set_sdp(kTestAnswer);
    a_->Send(1, answer);
    EXPECT_EQ(Describe(a_->Next(2)), "answer");
  }

  // A join refused because the directory cannot be reached: UNAVAILABLE
  // and 1013, within the verification deadline (plus the test's margin).
  void ExpectJoinFailsClosed(RelayStream& stream, uint64_t conn, const std::string& id) {
    const absl::Time start = absl::Now();
    EXPECT_EQ(Join(stream, conn, owner_, v1::ACCEPTOR, id, 0, absl::Seconds(10)),
              "error:UNAVAILABLE");
    EXPECT_EQ(Describe(stream.Next(conn)), "close:1013");
    EXPECT_LE(absl::Now() - start, kVerifyDeadline + absl::Seconds(1));
  }

  ClusterStack stack_{2};
  std::unique_ptr<RelayStream> a_, b_;
  std::string owner_;    // accepts kiosk-*
  std::string mallory_;  // accepts kiosk-* too, another subject
  std::string user_;     // offers to kiosk-*
};

}  // namespace signaling::testing

#endif  // TESTS_CLUSTER_TWO_REPLICAS_H_
