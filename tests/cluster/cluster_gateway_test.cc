// Clients through real gateways that know every replica: a WebSocket
// acceptor and offerer pair and negotiate whichever gateway and replica
// each lands on (the gateways spread new connections over the replicas and
// follow their redirects), and every count returns to zero; a replica
// killed under live clients ends only its own clients' sessions, at once,
// with UNAVAILABLE and 1013; a replica shutting down gets no new sessions.
#include <csignal>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/cluster/cluster_stack.h"
#include "tests/integration/wait.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

v1::ClientMessage Join(const std::string& token, v1::Role role, const std::string& id) {
  v1::ClientMessage m;
  m.mutable_join()->set_session_token(token);
  m.mutable_join()->set_role(role);
  if (role == v1::ACCEPTOR) m.mutable_join()->set_peer_id(id);
  if (role == v1::OFFERER) m.mutable_join()->set_target_id(id);
  return m;
}

TEST(ClusterGatewayTest, PairsNegotiateWhicheverGatewayAndReplicaEachSideLandsOn) {
  ClusterStack stack(/*replicas=*/2, /*gateways=*/2);
  ASSERT_TRUE(stack.Start());
  const std::string owner = stack.Token("kiosk-owner", {"kiosk-*"}, {});
  const std::string user = stack.Token("user-42", {}, {"kiosk-*"});
  constexpr int kPairs = 8;
  std::vector<std::unique_ptr<WsClient>> acceptors, offerers;
  for (int i = 0; i < kPairs; ++i) {
    acceptors.push_back(stack.Connect(0));
    ASSERT_NE(acceptors.back(), nullptr);
    acceptors.back()->Send(Join(owner, v1::ACCEPTOR, "kiosk-" + std::to_string(i)));
    ASSERT_EQ(KindOf(acceptors.back()->Read()), "joined") << i;
  }
  // Offerer j targets acceptor j+1: as each gateway takes the replicas in
  // turn, the two sides of a pair then land on different replicas.
  for (int j = 0; j < kPairs; ++j) {
    const int i = (j + 1) % kPairs;
    offerers.push_back(stack.Connect(1));
    ASSERT_NE(offerers.back(), nullptr);
    offerers.back()->Send(Join(user, v1::OFFERER, "kiosk-" + std::to_string(i)));
    EXPECT_EQ(KindOf(offerers.back()->Read()), "joined") << i << ": told joined once";
    EXPECT_EQ(KindOf(offerers.back()->Read()), "paired") << i;
    EXPECT_EQ(KindOf(acceptors[i]->Read()), "paired") << i;
    v1::ClientMessage offer;
    offer.mutable_offer()->set_sdp(kTestOffer);
    offerers.back()->Send(offer);
    EXPECT_EQ(KindOf(acceptors[i]->Read()), "offer") << i;
    v1::ClientMessage answer;
    answer.mutable_answer()->set_sdp(kTestAnswer);
    acceptors[i]->Send(answer);
    EXPECT_EQ(KindOf(offerers.back()->Read()), "answer") << i;
  }
  // The gateways spread the sessions over both replicas: offerers were
  // moved to the replica holding their target.
  const int moved = stack.CountInLog(0, "moved to the replica holding its target") +
                    stack.CountInLog(1, "moved to the replica holding its target");
  EXPECT_GT(moved, 0) << "sessions opened per replica: " << stack.CountInLog(0, "session.opened")
                      << ", " << stack.CountInLog(1, "session.opened");
  for (auto& c : offerers) c->Close();
  for (auto& c : acceptors) c->Close();
  EXPECT_TRUE(stack.WaitForZero());
}

TEST(ClusterGatewayTest, AReplicaShuttingDownGetsNoNewSessions) {
  ClusterStack stack(/*replicas=*/2, /*gateways=*/1);
  ASSERT_TRUE(stack.Start());
  const std::string owner = stack.Token("kiosk-owner", {"kiosk-*"}, {});
  stack.replica(0).Signal(SIGTERM);  // it drains for 5 s before it exits
  ASSERT_TRUE(
      WaitFor([&] { return stack.CountInGatewayLog(0, "a matching replica is draining") == 1; },
              absl::Seconds(5)));
  // Every new connection goes to the replica that is not shutting down:
  // none is told goAway.
  for (int i = 0; i < 6; ++i) {
    auto client = stack.Connect(0);
    ASSERT_NE(client, nullptr);
    client->Send(Join(owner, v1::ACCEPTOR, "kiosk-" + std::to_string(i)));
    EXPECT_EQ(KindOf(client->Read()), "joined") << i;
  }
}

TEST(ClusterGatewayTest, AKilledReplicasClientsGetUnavailableAtOnceTheOthersNothing) {
  ClusterStack stack(/*replicas=*/3, /*gateways=*/1);
  ASSERT_TRUE(stack.Start());
  const std::string owner = stack.Token("kiosk-owner", {"kiosk-*"}, {});
  // The gateway takes the replicas in turn: two sessions on each.
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 6; ++i) {
    clients.push_back(stack.Connect(0));
    ASSERT_NE(clients.back(), nullptr);
    clients.back()->Send(Join(owner, v1::ACCEPTOR, absl::StrCat("kiosk-", i)));
    ASSERT_EQ(KindOf(clients.back()->Read()), "joined") << i;
  }
  ASSERT_EQ(stack.Stats(0)->sessions(), 6u) << "the admin API counts the whole cluster";
  stack.replica(0).Signal(SIGKILL);
  const absl::Time killed = absl::Now();
  // Each client read on its own thread: when each hears, not in turn.
  std::vector<std::string> first(clients.size()), close(clients.size());
  std::vector<absl::Duration> heard(clients.size());
  std::vector<std::thread> readers;
  for (size_t i = 0; i < clients.size(); ++i) {
    readers.emplace_back([&, i] {
      first[i] = KindOf(clients[i]->Read(absl::Milliseconds(1500)));
      heard[i] = absl::Now() - killed;
      if (first[i] != "<no message>") close[i] = absl::StrCat(clients[i]->WaitClose().value_or(0));
    });
  }
  for (std::thread& t : readers) t.join();
  int ended = 0;
  absl::Duration slowest;
  for (size_t i = 0; i < clients.size(); ++i) {
    if (first[i] == "<no message>") continue;  // on a replica that lives
    EXPECT_EQ(first[i], "error:UNAVAILABLE") << i;
    EXPECT_EQ(close[i], "1013") << i;
    slowest = std::max(slowest, heard[i]);
    ++ended;
  }
  EXPECT_EQ(ended, 2) << "exactly the killed replica's sessions end";
  EXPECT_LE(slowest, absl::Seconds(1));
  std::fprintf(stderr, "replica killed: %d of 6 sessions ended, the last after %s\n", ended,
               absl::FormatDuration(slowest).c_str());
}

}  // namespace
}  // namespace signaling::testing
