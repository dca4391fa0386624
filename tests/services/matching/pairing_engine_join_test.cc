// Joining the pure engine (protocol v1 section 4): grants and ids, the
// replacement of an acceptor, taken, busy and not-found ids, waiting
// offerers, tokens and their verification, and the throttling of repeated
// authentication failures.
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "tests/services/matching/pairing_engine_fixture.h"

namespace signaling::matching::testing_engine {
namespace {

TEST_F(EngineTest, SameSubjectReplacesTheAcceptor) {
  auto [a, b] = PairUp();
  const SessionKey a2 = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(CloseCode(a), 4009u);
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:REPLACED");
  EXPECT_EQ(CloseCode(b), 1000u);
  EXPECT_EQ(Kinds(a2), "joined");
  EXPECT_EQ(engine_.Stats().ids, 1u);
  EXPECT_EQ(engine_.Stats().sessions, 1u);
}

TEST_F(EngineTest, DifferentSubjectGetsIdTaken) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  AddToken("X", "intruder", {"*"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  const SessionKey x = JoinAcceptor("X", "kiosk-7");
  EXPECT_EQ(Kinds(x), "error:ID_TAKEN");
  EXPECT_EQ(CloseCode(x), 1008u);
  EXPECT_FALSE(CloseCode(a).has_value());
}

TEST_F(EngineTest, PermissionIsCheckedBeforeExistence) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey missing = JoinOfferer("B", "room-1");  // not granted, not present
  EXPECT_EQ(Kinds(missing), "error:PERMISSION_DENIED");
  EXPECT_EQ(CloseCode(missing), 4003u);
  AddToken("A", "owner", {"kiosk-1"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-2");
  EXPECT_EQ(Kinds(a), "error:PERMISSION_DENIED");
  EXPECT_EQ(CloseCode(a), 4003u);
  ExpectEmpty();
}

TEST_F(EngineTest, GrantPatterns) {
  EXPECT_TRUE(GrantMatches({"kiosk-7"}, "kiosk-7"));
  EXPECT_FALSE(GrantMatches({"kiosk-7"}, "kiosk-70"));
  EXPECT_TRUE(GrantMatches({"room-*"}, "room-"));
  EXPECT_TRUE(GrantMatches({"room-*"}, "room-12"));
  EXPECT_FALSE(GrantMatches({"room-*"}, "roo"));
  EXPECT_TRUE(GrantMatches({"*"}, "anything"));
  EXPECT_FALSE(GrantMatches({}, "anything"));
  EXPECT_FALSE(GrantMatches({""}, "x"));
}

TEST_F(EngineTest, PeerNotFoundImmediatelyWithoutWait) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-9");
  EXPECT_EQ(Kinds(b), "joined error:PEER_NOT_FOUND");
  EXPECT_EQ(CloseCode(b), 1008u);
  ExpectEmpty();
}

TEST_F(EngineTest, PeerNotFoundAfterWaitMs) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-9", 1500);
  EXPECT_EQ(Kinds(b), "joined");
  Advance(absl::Milliseconds(1499));
  EXPECT_EQ(Kinds(b), "joined");
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(Kinds(b), "joined error:PEER_NOT_FOUND");
  ExpectEmpty();
}

TEST_F(EngineTest, WaitingOffererIsPairedWhenTheAcceptorArrives) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-7", 10000);
  Advance(absl::Seconds(2));
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(b), "joined paired");
  EXPECT_EQ(Kinds(a), "joined paired");
  Advance(absl::Seconds(20));  // the wait deadline no longer applies
  EXPECT_FALSE(CloseCode(b) == 1008u);
}

TEST_F(EngineTest, WaitIsCappedByTheServer) {
  AddToken("B", "user-42", {}, {"kiosk-*"});
  const SessionKey b = JoinOfferer("B", "kiosk-9", 4'000'000'000u);
  Advance(absl::Seconds(30));
  EXPECT_EQ(Kinds(b), "joined error:PEER_NOT_FOUND");
}

TEST_F(EngineTest, PeerBusy) {
  auto [a, b] = PairUp();
  AddToken("C", "user-43", {}, {"kiosk-*"});
  const SessionKey c = JoinOfferer("C", "kiosk-7");
  EXPECT_EQ(Kinds(c), "joined error:PEER_BUSY");
  EXPECT_EQ(CloseCode(c), 1013u);
}

TEST_F(EngineTest, InvalidTokenAndVerifierDown) {
  const SessionKey s = JoinAcceptor("nope", "kiosk-7");
  EXPECT_EQ(Kinds(s), "error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(s), 4001u);
  verifier_down_ = true;
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey t = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(t), "error:UNAVAILABLE");
  EXPECT_EQ(CloseCode(t), 1013u);
  ExpectEmpty();
}

TEST_F(EngineTest, TokenFromTheTransportHeader) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey s = Open("A");
  Send(s, JoinMsg("", v1::ACCEPTOR, "kiosk-7"));
  EXPECT_EQ(Kinds(s), "joined");
}

TEST_F(EngineTest, MissingOrOversizedTokenIsUnauthenticated) {
  const SessionKey s = Open();
  Send(s, JoinMsg("", v1::ACCEPTOR, "kiosk-7"));
  EXPECT_EQ(CloseCode(s), 4001u);
  const SessionKey t = Open();
  Send(t, JoinMsg(std::string(8 * 1024 + 1, 'x'), v1::ACCEPTOR, "kiosk-7"));
  EXPECT_EQ(Kinds(t), "error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(t), 4001u);
}

TEST_F(EngineTest, IdSyntaxAndRole) {
  AddToken("A", "kiosk-owner", {"*"}, {"*"});
  for (const std::string& id : {std::string(""), std::string(129, 'a'), std::string("a b"),
                                std::string("a/b"), std::string("é")}) {
    const SessionKey s = JoinAcceptor("A", id);
    EXPECT_EQ(Kinds(s), "error:INVALID_MESSAGE") << id;
    EXPECT_EQ(CloseCode(s), 1007u);
  }
  const SessionKey ok = JoinAcceptor("A", std::string("A-z_0.9~:@") + std::string(118, 'x'));
  EXPECT_EQ(Kinds(ok), "joined");
  const SessionKey none = Open();
  Send(none, JoinMsg("A", v1::ROLE_UNSPECIFIED, "kiosk-1"));
  EXPECT_EQ(Kinds(none), "error:INVALID_MESSAGE");
}

TEST_F(EngineTest, CloseDuringVerificationLeavesNothing) {
  hold_verifications_ = true;
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(engine_.Stats().pending_verifications, 1u);
  Apply(engine_.OnTransportClosed(a, now_));
  hold_verifications_ = false;
  for (const auto& v : held_) Answer(v);  // a late answer finds nothing
  EXPECT_EQ(Kinds(a), "");
  ExpectEmpty();
}

// Request ids start at 1; 0 is "no verification pending". A stray answer
// with request 0 answers no pending verification and acts on no session,
// whatever it carries: before join, while verifying, after join and after a
// refresh.
TEST_F(EngineTest, VerifierAnswerWithRequestZeroIsIgnored) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const absl::StatusOr<Principal> granted = tokens_["A"];
  const absl::StatusOr<Principal> refused = absl::UnauthenticatedError("bad token");
  const auto stray = [&](SessionKey key, const absl::StatusOr<Principal>& principal) {
    Actions actions = engine_.OnVerified(key, 0, principal, now_);
    EXPECT_TRUE(actions.empty()) << "session " << key;
    Apply(std::move(actions));
  };
  const SessionKey fresh = Open();
  stray(fresh, granted);
  stray(fresh, refused);
  EXPECT_EQ(engine_.Stats().pending_verifications, 0u);

  hold_verifications_ = true;
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  ASSERT_EQ(held_.size(), 1u);
  ASSERT_NE(held_[0].request, 0u);
  stray(a, granted);
  stray(a, refused);
  EXPECT_EQ(engine_.Stats().pending_verifications, 1u);
  hold_verifications_ = false;
  Answer(held_[0]);
  EXPECT_EQ(Kinds(a), "joined");
  stray(a, refused);  // joined, nothing pending
  v1::ClientMessage refresh;
  refresh.mutable_refresh()->set_session_token("A");
  Send(a, refresh);
  stray(a, refused);  // refreshed, nothing pending

  EXPECT_EQ(Kinds(fresh), "");
  EXPECT_FALSE(CloseCode(fresh).has_value());
  EXPECT_EQ(Kinds(a), "joined");
  EXPECT_FALSE(CloseCode(a).has_value());
  EXPECT_EQ(engine_.Stats().pending_verifications, 0u);
  Send(fresh, JoinMsg("A", v1::ACCEPTOR, "kiosk-8"));
  EXPECT_EQ(Kinds(fresh), "joined");
  for (SessionKey key : {fresh, a}) Apply(engine_.OnTransportClosed(key, now_));
  ExpectEmpty();
}

TEST_F(EngineTest, RepeatedAuthFailuresAreDelayedThenLockedOut) {
  // Defaults: 5 failures answered at once, then 250 ms, 500 ms, ... (max
  // 4 s); the 30th failure locks the address out for 5 minutes.
  for (int i = 0; i < 5; ++i) {
    const SessionKey s = JoinAcceptor("bad", "kiosk-7");
    EXPECT_EQ(CloseCode(s), 4001u) << i;
  }
  const SessionKey slow = JoinAcceptor("bad", "kiosk-7");
  EXPECT_FALSE(CloseCode(slow).has_value());
  Advance(absl::Milliseconds(249));
  EXPECT_FALSE(CloseCode(slow).has_value());
  Advance(absl::Milliseconds(1));
  EXPECT_EQ(Kinds(slow), "error:UNAUTHENTICATED");
  EXPECT_EQ(CloseCode(slow), 4001u);
  for (int i = 6; i < 30; ++i) {
    const SessionKey s = JoinAcceptor("bad", "kiosk-7");
    Advance(absl::Seconds(4));
    EXPECT_EQ(CloseCode(s), 4001u) << i;
  }
  // Locked out: even a valid token is refused without verification.
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey good = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(good), "error:UNAUTHENTICATED");
  EXPECT_EQ(engine_.counters().auth_throttled, 26u);  // 25 delayed, 1 locked out
  Advance(absl::Minutes(5));
  const SessionKey later = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(later), "joined");
  Apply(engine_.OnTransportClosed(later, now_));
  ExpectEmpty();
}

TEST_F(EngineTest, ThrottleIsPerAddressAndSuccessClearsIt) {
  AuthThrottle throttle;
  for (int i = 0; i < 5; ++i)
    EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::ZeroDuration());
  EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::Milliseconds(250));
  EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::Milliseconds(500));
  EXPECT_EQ(throttle.RecordFailure("198.51.100.2", now_), absl::ZeroDuration());
  throttle.RecordSuccess("198.51.100.1");
  EXPECT_EQ(throttle.RecordFailure("198.51.100.1", now_), absl::ZeroDuration());
  // A quiet address is forgotten.
  for (int i = 0; i < 10; ++i) throttle.RecordFailure("198.51.100.3", now_);
  EXPECT_EQ(throttle.RecordFailure("198.51.100.3", now_ + absl::Minutes(11)), absl::ZeroDuration());
}

}  // namespace
}  // namespace signaling::matching::testing_engine
