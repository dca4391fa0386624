// The fixture of the cluster tests that play the gateway: a ClusterStack of
// two replicas, one Relay stream to each (a_ to replica 0, b_ to replica
// 1), tokens of two acceptor subjects and an offerer, and a join helper.
#ifndef TESTS_CLUSTER_TWO_REPLICAS_H_
#define TESTS_CLUSTER_TWO_REPLICAS_H_

#include <memory>
#include <string>

#include "gtest/gtest.h"
#include "tests/cluster/cluster_stack.h"
#include "tests/cluster/relay_stream.h"

namespace signaling::testing {

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

  ClusterStack stack_{2};
  std::unique_ptr<RelayStream> a_, b_;
  std::string owner_;    // accepts kiosk-*
  std::string mallory_;  // accepts kiosk-* too, another subject
  std::string user_;     // offers to kiosk-*
};

}  // namespace signaling::testing

#endif  // TESTS_CLUSTER_TWO_REPLICAS_H_
