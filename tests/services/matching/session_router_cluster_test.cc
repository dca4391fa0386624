// The session router in cluster mode, without gRPC or Redis: a fake sink,
// verifier, clock and cluster link. Claims and look-ups go to the link with
// the verification deadline and their answers reach the engine; a move
// reaches the transport as a redirect; the replicas waiting for an id are
// told where it is; releases, evictions and what other replicas tell this
// one; WaitStopped waits for directory calls in flight.
#include <memory>
#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/matching/fake_clock.h"
#include "tests/services/matching/fake_cluster_link.h"
#include "tests/services/matching/fake_session_sink.h"
#include "tests/services/matching/fake_token_verifier.h"

namespace signaling::matching {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

constexpr char kSelf[] = "10.0.0.1:7001";
constexpr char kOther[] = "10.0.0.2:7001";
constexpr absl::Duration kVerifyDeadline = absl::Seconds(2);

class SessionRouterClusterTest : public ::testing::Test {
 protected:
  SessionRouterClusterTest()
      : router_(std::make_unique<SessionRouter>(
            SessionRouterOptions{EngineLimits{}, kVerifyDeadline, 1000}, &clock_, &verifier_,
            nullptr, &link_)) {
    router_->SetLeaseUntil(absl::InfiniteFuture());
  }

  ~SessionRouterClusterTest() override {
    router_->Shutdown();
    while (verifier_.pending() > 0) verifier_.Answer(absl::UnavailableError("test over"));
    while (link_.pending_claims() > 0) link_.AnswerClaim(absl::UnavailableError("test over"));
    while (link_.pending_lookups() > 0) link_.AnswerLookup(absl::UnavailableError("test over"));
    router_->WaitStopped();
  }

  Principal Grant(const std::string& subject, std::vector<std::string> accept,
                  std::vector<std::string> offer) {
    return Principal{subject, std::move(accept), std::move(offer), clock_.Now() + absl::Hours(1)};
  }

  // Opens `conn` and joins it; the verifier grants it.
  SessionKey Join(uint64_t conn, v1::Role role, const std::string& id, uint32_t wait_ms = 0) {
    const SessionKey key = router_->Open(&sink_, conn, {"192.0.2.1", ""});
    v1::ClientMessage join;
    join.mutable_join()->set_session_token("t");
    join.mutable_join()->set_role(role);
    if (role == v1::ACCEPTOR) join.mutable_join()->set_peer_id(id);
    if (role == v1::OFFERER) join.mutable_join()->set_target_id(id);
    join.mutable_join()->set_wait_ms(wait_ms);
    router_->OnMessage(key, join);
    verifier_.Answer(role == v1::ACCEPTOR ? Grant("owner", {"kiosk-*"}, {})
                                          : Grant("user", {}, {"kiosk-*"}));
    return key;
  }

  FakeClock clock_;
  FakeTokenVerifier verifier_;
  FakeClusterLink link_{kSelf};
  FakeSink sink_;
  std::unique_ptr<SessionRouter> router_;
};

TEST_F(SessionRouterClusterTest, AClaimGoesToTheDirectoryAndItsAnswerJoinsTheAcceptor) {
  const SessionKey key = Join(1, v1::ACCEPTOR, "kiosk-7");
  ASSERT_EQ(link_.pending_claims(), 1u);
  EXPECT_EQ(link_.front_claim_deadline(), clock_.Now() + kVerifyDeadline);
  EXPECT_THAT(sink_.Events(1), IsEmpty());
  link_.AnswerClaim(
      ClaimResult{ClaimResult::Kind::kClaimed, 8, std::nullopt, {kOther, kSelf, "10.0.0.3:7001"}});
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined"));
  // The replicas whose offerers wait for the id are told, not this one.
  EXPECT_THAT(link_.notes(), ElementsAre("arrived:10.0.0.2:7001:kiosk-7:10.0.0.1:7001",
                                         "arrived:10.0.0.3:7001:kiosk-7:10.0.0.1:7001"));
  ASSERT_EQ(router_->HeldIds().size(), 1u);
  EXPECT_EQ(router_->HeldIds()[0].fence, 8u);
  router_->OnTransportClosed(key);
  EXPECT_EQ(link_.notes().back(), "release:kiosk-7:8");
  EXPECT_EQ(router_->Stats().sessions, 0u);
}

TEST_F(SessionRouterClusterTest, AnOffererHeldElsewhereIsRedirectedAndItsRouteRemoved) {
  const SessionKey key = Join(1, v1::OFFERER, "kiosk-7");
  ASSERT_EQ(link_.pending_lookups(), 1u);
  link_.AnswerLookup(std::optional<Holder>(Holder{kOther, "s_a", 3, "owner"}));
  EXPECT_THAT(sink_.Events(1), ElementsAre("redirect:10.0.0.2:7001"));
  router_->OnMessage(key, v1::ClientMessage());  // the route is gone: nothing more
  EXPECT_THAT(sink_.Events(1), ElementsAre("redirect:10.0.0.2:7001"));
  EXPECT_EQ(router_->Stats().sessions, 0u);
}

TEST_F(SessionRouterClusterTest, WaitingOfferersMoveWhenTheirAcceptorArrivesElsewhere) {
  Join(1, v1::OFFERER, "kiosk-7", 5000);
  link_.AnswerLookup(std::optional<Holder>());
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined"));
  EXPECT_EQ(router_->OnAcceptorArrived("kiosk-8", kOther), 0);
  EXPECT_EQ(router_->OnAcceptorArrived("kiosk-7", kOther), 1);
  ASSERT_EQ(sink_.Events(1).size(), 2u);
  EXPECT_EQ(sink_.Events(1)[1].rfind("redirect:10.0.0.2:7001:s_", 0), 0u) << sink_.Events(1)[1];
  EXPECT_EQ(router_->Stats().sessions, 0u);
}

TEST_F(SessionRouterClusterTest, AnEvictionClosesTheHolderAndAReplacementEvictsElsewhere) {
  Join(1, v1::ACCEPTOR, "kiosk-7");
  link_.AnswerClaim(
      ClaimResult{ClaimResult::Kind::kReplaced, 5, Holder{kOther, "s_old", 4, ""}, {}});
  EXPECT_THAT(link_.notes(), ElementsAre("evict:10.0.0.2:7001:kiosk-7:4"));
  EXPECT_FALSE(router_->OnEvicted("kiosk-7", 4)) << "not the fence held here";
  EXPECT_TRUE(router_->OnEvicted("kiosk-7", 5));
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined", "close:4009"));
}

TEST_F(SessionRouterClusterTest, FencedJoinsAreRefusedWithoutAskingTheDirectory) {
  router_->SetLeaseUntil(clock_.Now());
  Join(1, v1::ACCEPTOR, "kiosk-7");
  EXPECT_EQ(link_.pending_claims(), 0u);
  EXPECT_THAT(sink_.Events(1), ElementsAre("error:UNAVAILABLE", "close:1013"));
}

TEST_F(SessionRouterClusterTest, WaitStoppedWaitsForADirectoryCallInFlight) {
  Join(1, v1::ACCEPTOR, "kiosk-7");
  router_->Shutdown();
  std::atomic<bool> stopped{false};
  std::thread waiter([&] {
    router_->WaitStopped();
    stopped = true;
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(stopped.load()) << "returned with a claim's callback still to come";
  link_.AnswerClaim(ClaimResult{ClaimResult::Kind::kClaimed, 2, std::nullopt, {}});
  waiter.join();
  EXPECT_TRUE(stopped.load());
  EXPECT_EQ(link_.notes().back(), "release:kiosk-7:2") << "claimed after its session ended";
}

}  // namespace
}  // namespace signaling::matching
