// gateway/replica_route.h over a RelayPool of two fake Matching replicas on
// loopback port-0 gRPC servers: the session opened on a replica that is up,
// messages forwarded there, a redirect followed to the named replica with
// the announced session id and the first join sent again, and refused for
// an unknown replica, without a join, once an acceptor is joined or an
// offerer paired, and past the bound; Closed told to the current replica.
#include "gateway/replica_route.h"

#include <array>
#include <chrono>
#include <memory>
#include <string>

#include "absl/time/time.h"
#include "common/net/grpc_tls.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/gateway/fake_relay_server.h"
#include "tests/integration/wait.h"

namespace signaling::gateway {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);
constexpr uint64_t kConn = 7;

class IgnoringListener final : public RelayListener {
 public:
  void OnRelayDown(v1::RelayDown) override {}
  void OnStreamLost(uint64_t) override {}
};

v1::ConnectionInfo Info() {
  v1::ConnectionInfo info;
  info.set_client_ip("192.0.2.7");
  info.set_bearer_token("tok-7");
  info.set_transport("json");
  return info;
}

v1::ClientMessage Join(const std::string& peer_id) {
  v1::ClientMessage m;
  m.mutable_join()->set_role(v1::ACCEPTOR);
  m.mutable_join()->set_peer_id(peer_id);
  return m;
}

v1::ClientMessage Ping(const std::string& nonce) {
  v1::ClientMessage m;
  m.mutable_ping()->set_nonce(nonce);
  return m;
}

v1::ServerMessage Joined(v1::Role role) {
  v1::ServerMessage m;
  m.mutable_joined()->set_session_id("s-1");
  m.mutable_joined()->set_role(role);
  return m;
}

class ReplicaRouteTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string targets;
    for (int i = 0; i < 2; ++i) {
      servers_[i] = ServeOnLoopback(&fakes_[i], &addresses_[i]);
      ASSERT_NE(servers_[i], nullptr);
      targets += (i == 0 ? "" : ",") + addresses_[i];
    }
    net::GrpcClientTls tls;
    tls.insecure = true;
    auto pool = RelayPool::Create(targets, tls, &listener_, {});
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
  }

  void TearDown() override {
    if (pool_) pool_->Stop();
    pool_.reset();
    for (auto& server : servers_) {
      if (server) server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
    }
  }

  // Starts the pool's streams and waits until both replicas are up.
  void Connect() {
    pool_->Start();
    for (const std::string& address : addresses_) {
      ASSERT_TRUE(testing::WaitFor([&] { return pool_->Find(address)->connected(); }, kTimeout));
    }
  }

  // Connects, opens the route, forwards `join`, and says which replica
  // took it.
  int ConnectAndJoin(const v1::ClientMessage& join) {
    Connect();
    EXPECT_TRUE(route_.Open(*pool_, kConn, Info()));
    EXPECT_NE(route_.generation(), 0u);
    route_.Send(kConn, join);
    int on = -1;
    EXPECT_TRUE(testing::WaitFor(
        [&] {
          for (int i = 0; i < 2; ++i) {
            if (fakes_[i].Events(0).size() >= 2) on = i;  // the open and the join
          }
          return on >= 0;
        },
        kTimeout));
    return on < 0 ? 0 : on;
  }

  v1::Redirect RedirectTo(int replica, const std::string& announced = "") {
    v1::Redirect redirect;
    redirect.set_replica(addresses_[replica]);
    redirect.set_announced_session_id(announced);
    return redirect;
  }

  std::array<FakeMatching, 2> fakes_{FakeMatching(kTimeout), FakeMatching(kTimeout)};
  std::array<std::unique_ptr<grpc::Server>, 2> servers_;
  std::array<std::string, 2> addresses_;
  IgnoringListener listener_;
  std::unique_ptr<RelayPool> pool_;
  ReplicaRoute route_;
};

TEST_F(ReplicaRouteTest, NoReplicaUpRefusesTheSession) {
  // The pool is not started: no stream is up.
  EXPECT_FALSE(route_.Open(*pool_, kConn, Info()));
  EXPECT_EQ(route_.generation(), 0u);
}

TEST_F(ReplicaRouteTest, ARedirectReopensOnTheNamedReplicaAndJoinsAgain) {
  const int first = ConnectAndJoin(Join("first"));
  const int other = 1 - first;
  const uint64_t first_generation = route_.generation();
  route_.Send(kConn, Join("second"));  // only the first join is kept
  route_.Send(kConn, Ping("p1"));
  ASSERT_TRUE(fakes_[first].WaitEvents(0, 4));

  ASSERT_TRUE(route_.Follow(*pool_, kConn, RedirectTo(other, "s-1")));
  EXPECT_NE(route_.generation(), 0u);
  EXPECT_NE(route_.generation(), first_generation);
  route_.Send(kConn, Ping("p2"));
  route_.Closed(kConn);
  ASSERT_TRUE(fakes_[other].WaitEvents(0, 4));
  const auto events = fakes_[other].Events(0);
  ASSERT_EQ(events.size(), 4u);
  for (const auto& e : events) EXPECT_EQ(e.conn(), kConn);
  ASSERT_TRUE(events[0].has_open());
  EXPECT_EQ(events[0].open().client_ip(), "192.0.2.7");
  EXPECT_EQ(events[0].open().bearer_token(), "tok-7");
  EXPECT_EQ(events[0].open().transport(), "json");
  EXPECT_EQ(events[0].open().announced_session_id(), "s-1");
  ASSERT_TRUE(events[1].has_message());
  EXPECT_EQ(events[1].message().join().peer_id(), "first");
  EXPECT_EQ(events[2].message().ping().nonce(), "p2");
  EXPECT_TRUE(events[3].has_closed());
  // The first replica got nothing after the redirect: open, two joins, p1.
  EXPECT_EQ(fakes_[first].Events(0).size(), 4u);
}

TEST_F(ReplicaRouteTest, ARedirectToAnUnknownReplicaIsRefused) {
  const int first = ConnectAndJoin(Join("a"));
  v1::Redirect redirect;
  redirect.set_replica("127.0.0.1:1");
  EXPECT_FALSE(route_.Follow(*pool_, kConn, redirect));
  EXPECT_EQ(route_.generation(), 0u);
  route_.Closed(kConn);  // on no replica: nobody is told
  route_.Send(kConn, Ping("lost"));
  ASSERT_TRUE(fakes_[first].WaitEvents(0, 2));
  EXPECT_EQ(fakes_[first].Events(0).size(), 2u);
  EXPECT_TRUE(fakes_[1 - first].Events(0).empty());
}

TEST_F(ReplicaRouteTest, ARedirectWithoutAJoinIsRefused) {
  const int first = ConnectAndJoin(Ping("not a join"));
  EXPECT_FALSE(route_.Follow(*pool_, kConn, RedirectTo(1 - first)));
  EXPECT_EQ(route_.generation(), 0u);
}

TEST_F(ReplicaRouteTest, NothingIsKeptOnceAnAcceptorIsJoined) {
  const int first = ConnectAndJoin(Join("a"));
  route_.Observe(Joined(v1::ACCEPTOR));
  EXPECT_FALSE(route_.Follow(*pool_, kConn, RedirectTo(1 - first)));
}

TEST_F(ReplicaRouteTest, AnOffererKeepsItsJoinUntilPaired) {
  int on = ConnectAndJoin(Join("a"));
  route_.Observe(Joined(v1::OFFERER));
  ASSERT_TRUE(route_.Follow(*pool_, kConn, RedirectTo(1 - on)));
  on = 1 - on;
  v1::ServerMessage paired;
  paired.mutable_paired()->mutable_peer()->set_subject("peer");
  route_.Observe(paired);
  EXPECT_FALSE(route_.Follow(*pool_, kConn, RedirectTo(1 - on)));
}

TEST_F(ReplicaRouteTest, RedirectsAreBounded) {
  int on = ConnectAndJoin(Join("a"));
  for (int i = 0; i < ReplicaRoute::kMaxRedirects; ++i) {
    on = 1 - on;
    ASSERT_TRUE(route_.Follow(*pool_, kConn, RedirectTo(on))) << i;
  }
  EXPECT_FALSE(route_.Follow(*pool_, kConn, RedirectTo(1 - on)));
  EXPECT_EQ(route_.generation(), 0u);
}

TEST_F(ReplicaRouteTest, ClosedTellsTheCurrentReplicaAndReleaseStopsEverything) {
  const int first = ConnectAndJoin(Join("a"));
  route_.Closed(kConn);
  ASSERT_TRUE(fakes_[first].WaitEvents(0, 3));
  EXPECT_TRUE(fakes_[first].Events(0)[2].has_closed());
  route_.Release();
  EXPECT_EQ(route_.generation(), 0u);
  route_.Send(kConn, Ping("after"));
  route_.Closed(kConn);
  EXPECT_EQ(fakes_[first].Events(0).size(), 3u);
}

}  // namespace
}  // namespace signaling::gateway
