// The session router without gRPC: a fake sink for the transports, a fake
// verifier and a fake clock. Delivery order, routes removed on close,
// verification answers dispatched, timers at the injected time (by hand and
// by the timer loop), the internal-error path, shutdown and the metrics
// snapshot.
#include "services/matching/session_router.h"

#include <atomic>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/services/matching/fake_clock.h"
#include "tests/services/matching/fake_session_sink.h"
#include "tests/services/matching/fake_token_verifier.h"
#include "tests/services/matching/test_sdp.h"

namespace signaling::matching {
namespace {

using ::testing::DoubleNear;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

using testing_sdp::kAnswer;
using testing_sdp::kOffer;

// A directory that throws on chosen calls, as a failing store would.
class ThrowingDirectory final : public AcceptorDirectory {
 public:
  ThrowingDirectory(std::string throw_on_put, std::string throw_once_on_remove)
      : throw_on_put_(std::move(throw_on_put)),
        throw_once_on_remove_(std::move(throw_once_on_remove)) {}
  std::optional<SessionKey> Find(const std::string& id) const override { return ids_.Find(id); }
  void Put(const std::string& id, SessionKey key) override {
    if (id == throw_on_put_) throw std::runtime_error("store down");
    ids_.Put(id, key);
  }
  void Remove(const std::string& id, SessionKey key) override {
    if (id == throw_once_on_remove_) {
      throw_once_on_remove_.clear();
      throw std::runtime_error("store down");
    }
    ids_.Remove(id, key);
  }
  size_t size() const override { return ids_.size(); }

 private:
  InMemoryAcceptorDirectory ids_;
  std::string throw_on_put_;
  std::string throw_once_on_remove_;
};

class SessionRouterTest : public ::testing::Test {
 protected:
  static constexpr absl::Duration kVerifyDeadline = absl::Seconds(2);

  SessionRouterTest() { Start(EngineLimits{}); }

  ~SessionRouterTest() override {
    router_->Shutdown();
    // Calls still held by the fake end like a verifier that went away.
    while (verifier_.pending() > 0) verifier_.Answer(absl::UnavailableError("test over"));
    router_->WaitStopped();
  }

  void Start(EngineLimits limits, std::unique_ptr<AcceptorDirectory> directory = nullptr) {
    if (router_ != nullptr) {
      router_->Shutdown();
      router_->WaitStopped();
    }
    router_ = std::make_unique<SessionRouter>(
        SessionRouterOptions{std::move(limits), kVerifyDeadline, 1000}, &clock_, &verifier_,
        std::move(directory));
  }

  Principal Grant(const std::string& subject, std::vector<std::string> accept,
                  std::vector<std::string> offer) {
    return Principal{subject, std::move(accept), std::move(offer), clock_.Now() + absl::Hours(1)};
  }

  static v1::ClientMessage Join(v1::Role role, const std::string& id) {
    v1::ClientMessage m;
    m.mutable_join()->set_session_token("token-" + id);
    m.mutable_join()->set_role(role);
    if (role == v1::ACCEPTOR) m.mutable_join()->set_peer_id(id);
    if (role == v1::OFFERER) m.mutable_join()->set_target_id(id);
    return m;
  }
  static v1::ClientMessage Description(bool offer) {
    v1::ClientMessage m;
    (offer ? m.mutable_offer() : m.mutable_answer())->set_sdp(offer ? kOffer : kAnswer);
    return m;
  }
  static v1::ClientMessage Simple(bool leave) {
    v1::ClientMessage m;
    if (leave) {
      m.mutable_leave();
    } else {
      m.mutable_ping();
    }
    return m;
  }

  SessionKey Open(uint64_t conn) { return router_->Open(&sink_, conn, {"192.0.2.1", ""}); }

  // A joined acceptor of `id` on `conn`.
  SessionKey Acceptor(uint64_t conn, const std::string& id) {
    const SessionKey key = Open(conn);
    router_->OnMessage(key, Join(v1::ACCEPTOR, id));
    verifier_.Answer(Grant("alice", {id}, {}));
    return key;
  }
  SessionKey Offerer(uint64_t conn, const std::string& target) {
    const SessionKey key = Open(conn);
    router_->OnMessage(key, Join(v1::OFFERER, target));
    verifier_.Answer(Grant("bob", {}, {target}));
    return key;
  }

  // Declared before the router, which calls them until it is destroyed.
  FakeClock clock_;
  FakeTokenVerifier verifier_;
  FakeSink sink_;
  std::unique_ptr<SessionRouter> router_;
};

TEST_F(SessionRouterTest, DeliversEachSessionsOutputInTheEnginesOrder) {
  const SessionKey acceptor = Acceptor(1, "kiosk-7");
  const SessionKey offerer = Offerer(2, "kiosk-7");
  router_->OnMessage(offerer, Description(true));
  router_->OnMessage(acceptor, Description(false));
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined", "paired", "offer"));
  EXPECT_THAT(sink_.Events(2), ElementsAre("joined", "paired", "answer"));
  // Across sessions too: each reaction's output before the next one's.
  const std::vector<std::string> all = sink_.All();
  ASSERT_EQ(all.size(), 6u);
  EXPECT_EQ(all[0], "1:joined");
  EXPECT_EQ(all[4], "1:offer");
  EXPECT_EQ(all[5], "2:answer");
}

TEST_F(SessionRouterTest, ClosedSessionsRouteIsGone) {
  const SessionKey acceptor = Acceptor(1, "kiosk-7");
  const SessionKey offerer = Offerer(2, "kiosk-7");
  router_->OnMessage(offerer, Simple(/*leave=*/true));  // an offerer's leave closes it, 1000
  EXPECT_THAT(sink_.Events(2), ElementsAre("joined", "paired", "close:1000"));
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined", "paired", "peer_left"));
  router_->OnMessage(offerer, Simple(/*leave=*/false));
  EXPECT_THAT(sink_.Events(2), ElementsAre("joined", "paired", "close:1000"));
  // A transport that ended gets nothing more, not even its close.
  router_->OnTransportClosed(acceptor);
  router_->OnMessage(acceptor, Simple(/*leave=*/false));
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined", "paired", "peer_left"));
  EXPECT_EQ(router_->Stats().sessions, 0u);
}

TEST_F(SessionRouterTest, TransportClosedTellsThePeer) {
  const SessionKey acceptor = Acceptor(1, "kiosk-7");
  Offerer(2, "kiosk-7");
  router_->OnTransportClosed(acceptor);
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined", "paired"));
  // An offerer whose acceptor is gone is closed with 1000 after peerLeft.
  EXPECT_THAT(sink_.Events(2), ElementsAre("joined", "paired", "peer_left", "close:1000"));
}

TEST_F(SessionRouterTest, VerificationGetsTheTokenAndADeadlineFromTheClock) {
  const SessionKey key = Open(1);
  router_->OnMessage(key, Join(v1::ACCEPTOR, "kiosk-7"));
  ASSERT_EQ(verifier_.pending(), 1u);
  EXPECT_EQ(verifier_.front_token(), "token-kiosk-7");
  EXPECT_EQ(verifier_.front_deadline(), clock_.Now() + kVerifyDeadline);
  EXPECT_THAT(sink_.Events(1), IsEmpty());
  verifier_.Answer(Grant("alice", {"kiosk-7"}, {}));
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined"));
}

TEST_F(SessionRouterTest, RefusedAndUnavailableVerificationsAreDispatched) {
  router_->OnMessage(Open(1), Join(v1::ACCEPTOR, "kiosk-7"));
  router_->OnMessage(Open(2), Join(v1::ACCEPTOR, "kiosk-8"));
  verifier_.Answer(absl::UnauthenticatedError("refused"));
  verifier_.Answer(absl::UnavailableError("down"));
  EXPECT_THAT(sink_.Events(1), ElementsAre("error:UNAUTHENTICATED", "close:4001"));
  EXPECT_THAT(sink_.Events(2), ElementsAre("error:UNAVAILABLE", "close:1013"));
}

TEST_F(SessionRouterTest, TimersFireAtTheInjectedTime) {
  Open(1);  // no join: the join deadline (5 s) closes it
  clock_.Advance(EngineLimits{}.join_deadline - absl::Nanoseconds(1));
  router_->FireDueTimers();
  EXPECT_THAT(sink_.Events(1), IsEmpty());
  clock_.Advance(absl::Nanoseconds(1));
  router_->FireDueTimers();
  EXPECT_THAT(sink_.Events(1), ElementsAre("error:UNAUTHENTICATED", "close:4001"));
}

TEST_F(SessionRouterTest, TimerLoopWakesForANewDeadlineAndFiresAtTheInjectedTime) {
  router_->StartTimers();  // asleep: no deadline yet
  Open(1);                 // an earlier deadline wakes it
  EXPECT_THAT(sink_.Events(1), IsEmpty());
  clock_.Advance(EngineLimits{}.join_deadline);
  ASSERT_TRUE(sink_.AwaitClose(1, absl::Seconds(10)));
  EXPECT_THAT(sink_.Events(1), ElementsAre("error:UNAUTHENTICATED", "close:4001"));
}

// Today's engine never throws; a failing directory (a future shared store)
// or a bug may. The session it happened to ends alone with INTERNAL + 1011.
TEST_F(SessionRouterTest, ExceptionWhileVerifyingEndsOnlyThatSessionWith1011) {
  Start(EngineLimits{}, std::make_unique<ThrowingDirectory>("boom", ""));
  Acceptor(1, "boom");  // throws while registering the verified acceptor
  EXPECT_THAT(sink_.Events(1), ElementsAre("error:INTERNAL", "close:1011"));
  EXPECT_EQ(router_->Stats().sessions, 0u);
  const SessionKey acceptor = Acceptor(2, "kiosk-7");
  Offerer(3, "kiosk-7");
  router_->OnMessage(acceptor, Simple(/*leave=*/false));
  EXPECT_THAT(sink_.Events(2), ElementsAre("joined", "paired", "pong"));
}

TEST_F(SessionRouterTest, ExceptionWhileHandlingAMessageEndsOnlyThatSessionWith1011) {
  EngineLimits limits;
  limits.rate_burst = 1;  // the join takes the only token
  limits.rate_per_second = 0.001;
  limits.rate_abuse_threshold = 1;  // the next message closes the session...
  // ...and releasing the registered acceptor throws once.
  Start(limits, std::make_unique<ThrowingDirectory>("", "flaky"));
  const SessionKey flaky = Acceptor(1, "flaky");
  const SessionKey other = Acceptor(2, "kiosk-7");
  router_->OnMessage(flaky, Simple(/*leave=*/false));
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined", "error:INTERNAL", "close:1011"));
  EXPECT_EQ(router_->Stats().sessions, 1u);
  EXPECT_EQ(router_->Stats().ids, 1u);  // "flaky" released, "kiosk-7" kept
  router_->OnTransportClosed(other);
  EXPECT_EQ(router_->Stats().sessions, 0u);
}

TEST_F(SessionRouterTest, DisconnectClosesTheAcceptorOfAnId) {
  Acceptor(1, "kiosk-7");
  EXPECT_FALSE(router_->Disconnect("kiosk-8"));
  EXPECT_TRUE(router_->Disconnect("kiosk-7"));
  ASSERT_EQ(sink_.Events(1).size(), 2u);
  EXPECT_EQ(sink_.Events(1)[1].rfind("close:", 0), 0u);
  EXPECT_EQ(router_->Stats().sessions, 0u);
}

TEST_F(SessionRouterTest, ShutdownSendsGoAwayThen1001ToEverySessionAndEveryNewOne) {
  Acceptor(1, "kiosk-7");
  Open(2);
  router_->Shutdown();
  EXPECT_THAT(sink_.Events(1), ElementsAre("joined", "go_away", "close:1001"));
  EXPECT_THAT(sink_.Events(2), ElementsAre("go_away", "close:1001"));
  Open(3);
  EXPECT_THAT(sink_.Events(3), ElementsAre("go_away", "close:1001"));
}

TEST_F(SessionRouterTest, WaitStoppedWaitsForAVerificationInFlight) {
  router_->StartTimers();
  router_->OnMessage(Open(1), Join(v1::ACCEPTOR, "kiosk-7"));
  router_->Shutdown();
  std::atomic<bool> stopped{false};
  std::thread waiter([&] {
    router_->WaitStopped();
    stopped = true;
  });
  // The call is still held: WaitStopped cannot have returned.
  EXPECT_FALSE(stopped.load());
  verifier_.Answer(Grant("alice", {"kiosk-7"}, {}));
  waiter.join();
  EXPECT_TRUE(stopped.load());
  EXPECT_THAT(sink_.Events(1), ElementsAre("go_away", "close:1001"));
}

TEST_F(SessionRouterTest, MetricsSnapshotCopiesCountersAndTakesTheSamplesOnce) {
  const SessionKey acceptor = Acceptor(1, "kiosk-7");
  const SessionKey offerer = Offerer(2, "kiosk-7");
  router_->OnMessage(offerer, Description(true));
  clock_.Advance(absl::Milliseconds(40));
  router_->OnMessage(acceptor, Description(false));
  const EngineSnapshot first = router_->TakeMetricsSnapshot();
  EXPECT_EQ(first.counters.joins, 2u);
  EXPECT_EQ(first.counters.pairings_started, 1u);
  EXPECT_EQ(first.stats.pairings, 1u);
  EXPECT_EQ(first.sessions_by_role[v1::ACCEPTOR], 1u);
  EXPECT_EQ(first.sessions_by_role[v1::OFFERER], 1u);
  EXPECT_THAT(first.counters.offer_to_answer_seconds, ElementsAre(DoubleNear(0.04, 1e-9)));
  EXPECT_EQ(first.counters.join_to_paired_seconds.size(), 1u);
  const EngineSnapshot second = router_->TakeMetricsSnapshot();
  EXPECT_EQ(second.counters.joins, 2u);
  EXPECT_THAT(second.counters.offer_to_answer_seconds, IsEmpty());
  EXPECT_THAT(second.counters.join_to_paired_seconds, IsEmpty());
}

TEST_F(SessionRouterTest, StreamsAreToldWhenTheServiceStartsDraining) {
  FakeSink other;
  router_->AddStream(&sink_);
  router_->AddStream(&other);
  router_->RemoveStream(&other);
  EXPECT_THAT(sink_.Events(0), IsEmpty());
  router_->Shutdown();
  EXPECT_THAT(sink_.Events(0), ElementsAre("draining"));
  EXPECT_THAT(other.Events(0), IsEmpty()) << "removed: not told";
  FakeSink late;
  router_->AddStream(&late);
  EXPECT_THAT(late.Events(0), ElementsAre("draining")) << "told at once when already draining";
  router_->RemoveStream(&late);
  router_->RemoveStream(&sink_);
}

}  // namespace
}  // namespace signaling::matching
