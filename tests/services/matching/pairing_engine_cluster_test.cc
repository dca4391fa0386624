// The pairing engine in cluster mode, one replica, with the directory's
// answers given by the test: an acceptor claims before it is joined, an
// offerer looks its target up and is moved to the replica holding it before
// it is joined, waiting offerers move to where their acceptor joined (with
// the session id they were announced with), evictions by newer claims,
// releases and renewals guarded by the fence, fencing, and state back to
// zero.
#include <variant>

#include "common/protocol/close_code.h"
#include "tests/services/matching/pairing_engine_fixture.h"

namespace signaling::matching::testing_engine {
namespace {

constexpr char kSelf[] = "10.0.0.1:7001";
constexpr char kOther[] = "10.0.0.2:7001";

class ClusterEngineTest : public EngineTest {
 protected:
  ClusterEngineTest() : EngineTest(kSelf) {
    engine_.SetLeaseUntil(absl::InfiniteFuture());
    AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
    AddToken("A2", "kiosk-owner", {"kiosk-*"}, {}, absl::Hours(2));
    AddToken("M", "mallory", {"kiosk-*"}, {});
    AddToken("B", "user-42", {}, {"kiosk-*"});
  }

  // Takes the directory actions asked for so far, checking there is one of
  // type T, and returns it.
  template <typename T>
  T Take() {
    EXPECT_EQ(directory_actions_.size(), 1u);
    if (directory_actions_.size() != 1 || !std::holds_alternative<T>(directory_actions_[0])) {
      ADD_FAILURE() << "expected one action of the wanted type";
      directory_actions_.clear();
      return T{};
    }
    T action = std::get<T>(directory_actions_[0]);
    directory_actions_.clear();
    return action;
  }

  void Claimed(const ClaimAction& claim, ClaimResult result) {
    Apply(engine_.OnClaimed(claim.session, claim.request, claim.id, result, now_));
  }
  void LookedUp(const LookupAction& lookup, absl::StatusOr<std::optional<Holder>> result) {
    Apply(engine_.OnLookedUp(lookup.session, lookup.request, result, now_));
  }

  // A registered acceptor of kiosk-7 with fence `fence`.
  SessionKey Registered(uint64_t fence) {
    const SessionKey a = JoinAcceptor("A", "kiosk-7");
    Claimed(Take<ClaimAction>(), {ClaimResult::Kind::kClaimed, fence, std::nullopt});
    EXPECT_EQ(Kinds(a), "joined");
    return a;
  }
};

TEST_F(ClusterEngineTest, AnAcceptorClaimsItsIdBeforeItIsJoinedAndReleasesItAtTheEnd) {
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(a), "") << "not joined before the directory answered";
  const ClaimAction claim = Take<ClaimAction>();
  EXPECT_EQ(claim.id, "kiosk-7");
  EXPECT_EQ(claim.subject, "kiosk-owner");
  EXPECT_EQ(claim.lease_until, now_ + absl::Hours(1)) << "the claim lives as long as the token";
  EXPECT_EQ(engine_.Stats().pending_directory_calls, 1u);
  EXPECT_EQ(engine_.ListSessions()[0].state, "claiming");
  Claimed(claim, {ClaimResult::Kind::kClaimed, 41, std::nullopt});
  EXPECT_EQ(Kinds(a), "joined");
  ASSERT_EQ(engine_.HeldIds().size(), 1u);
  EXPECT_EQ(engine_.HeldIds()[0].fence, 41u);
  EXPECT_EQ(engine_.HeldIds()[0].id, "kiosk-7");

  Apply(engine_.OnTransportClosed(a, now_));
  const ReleaseAction release = Take<ReleaseAction>();
  EXPECT_EQ(release.id, "kiosk-7");
  EXPECT_EQ(release.fence, 41u);
  ExpectEmpty();
}

TEST_F(ClusterEngineTest, TakenElsewhereIsIdTakenAndAnUnreachableDirectoryFailsClosed) {
  const SessionKey taken = JoinAcceptor("M", "kiosk-7");
  Claimed(Take<ClaimAction>(), {ClaimResult::Kind::kTaken, 0, Holder{kOther, "s_other", 0, ""}});
  EXPECT_EQ(Kinds(taken), "error:ID_TAKEN");
  EXPECT_EQ(CloseCode(taken), protocol::kClosePolicy);

  const SessionKey down = JoinAcceptor("A", "kiosk-7");
  const ClaimAction claim = Take<ClaimAction>();
  Apply(engine_.OnClaimed(claim.session, claim.request, claim.id,
                          absl::UnavailableError("redis down"), now_));
  EXPECT_EQ(Kinds(down), "error:UNAVAILABLE");
  EXPECT_EQ(CloseCode(down), protocol::kCloseTryAgain);

  const SessionKey barrier = JoinAcceptor("A", "kiosk-7");
  Claimed(Take<ClaimAction>(), {ClaimResult::Kind::kBarrier, 0, std::nullopt});
  EXPECT_EQ(Kinds(barrier), "error:UNAVAILABLE");
  EXPECT_TRUE(directory_actions_.empty()) << "nothing claimed, nothing to release";
  ExpectEmpty();
}

TEST_F(ClusterEngineTest, ReplacingASessionOnAnotherReplicaEvictsItThere) {
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  Claimed(Take<ClaimAction>(), {ClaimResult::Kind::kReplaced, 12, Holder{kOther, "s_old", 11, ""}});
  const EvictAction evict = Take<EvictAction>();
  EXPECT_EQ(evict.replica, kOther);
  EXPECT_EQ(evict.id, "kiosk-7");
  EXPECT_EQ(evict.fence, 11u);
  EXPECT_EQ(Kinds(a), "joined");
}

TEST_F(ClusterEngineTest, ReplacingASessionHereClosesItHereAndItsReleaseIsStale) {
  const SessionKey old_session = Registered(5);
  const SessionKey b = JoinOfferer("B", "kiosk-7");
  EXPECT_EQ(Kinds(b), "joined paired") << "a local target needs no look-up";
  EXPECT_TRUE(directory_actions_.empty());

  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  Claimed(Take<ClaimAction>(), {ClaimResult::Kind::kReplaced, 6, Holder{kSelf, "s_x", 5, ""}});
  EXPECT_EQ(CloseCode(old_session), protocol::kCloseReplaced);
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:REPLACED");
  // The old session's release names its own fence: the directory ignores it.
  const ReleaseAction release = Take<ReleaseAction>();
  EXPECT_EQ(release.fence, 5u);
  EXPECT_EQ(Kinds(a), "joined");
  EXPECT_EQ(engine_.HeldIds()[0].fence, 6u);
}

TEST_F(ClusterEngineTest, AClaimAnsweredAfterItsSessionEndedIsReleased) {
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  const ClaimAction claim = Take<ClaimAction>();
  Apply(engine_.OnTransportClosed(a, now_));
  EXPECT_TRUE(directory_actions_.empty());
  Claimed(claim, {ClaimResult::Kind::kClaimed, 9, std::nullopt});
  const ReleaseAction release = Take<ReleaseAction>();
  EXPECT_EQ(release.id, "kiosk-7");
  EXPECT_EQ(release.fence, 9u);
  ExpectEmpty();
}

TEST_F(ClusterEngineTest, AnOffererIsMovedToTheReplicaHoldingItsTargetBeforeItIsJoined) {
  const SessionKey b = JoinOfferer("B", "kiosk-7");
  const LookupAction lookup = Take<LookupAction>();
  EXPECT_EQ(lookup.id, "kiosk-7");
  EXPECT_EQ(engine_.ListSessions()[0].state, "looking_up");
  LookedUp(lookup, Holder{kOther, "s_a", 3, "kiosk-owner"});
  const RedirectAction redirect = Take<RedirectAction>();
  EXPECT_EQ(redirect.session, b);
  EXPECT_EQ(redirect.replica, kOther);
  EXPECT_EQ(redirect.announced_session_id, "") << "never told joined here";
  EXPECT_EQ(Kinds(b), "");
  EXPECT_FALSE(CloseCode(b).has_value()) << "moved, not closed";
  EXPECT_EQ(engine_.counters().redirects, 1u);
  ExpectEmpty();
}

TEST_F(ClusterEngineTest, AnOffererWhoseTargetIsFreeWaitsHereOrIsNotFound) {
  const SessionKey now_or_never = JoinOfferer("B", "kiosk-7");
  const LookupAction no_wait = Take<LookupAction>();
  EXPECT_EQ(no_wait.wait_until, absl::InfinitePast()) << "waitMs 0: not noted as waiting";
  LookedUp(no_wait, std::nullopt);
  EXPECT_EQ(Kinds(now_or_never), "joined error:PEER_NOT_FOUND");

  const SessionKey lost = JoinOfferer("B", "kiosk-7");
  LookedUp(Take<LookupAction>(), absl::UnavailableError("redis down"));
  EXPECT_EQ(Kinds(lost), "error:UNAVAILABLE");
  EXPECT_EQ(CloseCode(lost), protocol::kCloseTryAgain);

  const SessionKey waits = JoinOfferer("B", "kiosk-7", 5000);
  const LookupAction lookup = Take<LookupAction>();
  EXPECT_EQ(lookup.wait_until, now_ + absl::Seconds(5)) << "noted as waiting in the same step";
  LookedUp(lookup, std::nullopt);
  EXPECT_EQ(Kinds(waits), "joined");
  EXPECT_TRUE(directory_actions_.empty());
  Advance(absl::Seconds(5));
  EXPECT_EQ(Kinds(waits), "joined error:PEER_NOT_FOUND");
  ExpectEmpty();
}

TEST_F(ClusterEngineTest, WaitingOfferersMoveToWhereTheirAcceptorJoinedAsAnnounced) {
  const SessionKey first = JoinOfferer("B", "kiosk-7", 5000);
  LookedUp(Take<LookupAction>(), std::nullopt);
  const SessionKey second = JoinOfferer("B", "kiosk-7", 5000);
  LookedUp(Take<LookupAction>(), std::nullopt);
  const std::string first_id = outcomes_[first].messages[0].joined().session_id();

  Apply(engine_.OnAcceptorElsewhere("kiosk-7", kOther, now_));
  ASSERT_EQ(directory_actions_.size(), 2u);
  const auto& moved = std::get<RedirectAction>(directory_actions_[0]);
  EXPECT_EQ(moved.session, first) << "in arrival order";
  EXPECT_EQ(moved.replica, kOther);
  EXPECT_EQ(moved.announced_session_id, first_id);
  EXPECT_EQ(std::get<RedirectAction>(directory_actions_[1]).session, second);
  EXPECT_EQ(engine_.counters().redirects, 2u);
  ExpectEmpty();
}

TEST_F(ClusterEngineTest, AMovedSessionKeepsItsAnnouncedIdAndIsNotToldJoinedAgain) {
  Registered(7);
  const SessionKey moved = Open("", "s_0123456789abcdef0123456789abcdef");
  Send(moved, JoinMsg("B", v1::OFFERER, "kiosk-7"));
  EXPECT_EQ(Kinds(moved), "paired");
  bool found = false;
  for (const SessionView& view : engine_.ListSessions()) {
    found = found || view.session_id == "s_0123456789abcdef0123456789abcdef";
  }
  EXPECT_TRUE(found);
  // An id not of the engine's form is not taken over.
  const SessionKey forged = Open("", "s_<script>");
  Send(forged, JoinMsg("B", v1::OFFERER, "kiosk-7"));
  EXPECT_EQ(Kinds(forged), "joined error:PEER_BUSY");
}

TEST_F(ClusterEngineTest, AnEvictionClosesTheHolderWithItsFenceOnly) {
  const auto a = Registered(21);
  const SessionKey b = JoinOfferer("B", "kiosk-7");
  Apply(engine_.OnEvicted("kiosk-7", 20, now_));
  EXPECT_FALSE(CloseCode(a).has_value()) << "another fence: not this holder";
  EXPECT_EQ(engine_.counters().evictions, 0u);
  Apply(engine_.OnEvicted("kiosk-7", 21, now_));
  EXPECT_EQ(engine_.counters().evictions, 1u);
  EXPECT_EQ(CloseCode(a), protocol::kCloseReplaced);
  EXPECT_EQ(Kinds(b), "joined paired peerLeft:REPLACED");
  EXPECT_TRUE(directory_actions_.empty()) << "the newer claim is not released";
  ExpectEmpty();
}

TEST_F(ClusterEngineTest, ARefreshRenewsTheClaimUntilTheNewExpiry) {
  const SessionKey a = Registered(3);
  v1::ClientMessage refresh;
  refresh.mutable_refresh()->set_session_token("A2");
  Send(a, refresh);
  const RenewAction renew = Take<RenewAction>();
  EXPECT_EQ(renew.id, "kiosk-7");
  EXPECT_EQ(renew.fence, 3u);
  EXPECT_EQ(renew.lease_until, now_ + absl::Hours(2));
}

TEST_F(ClusterEngineTest, AReplicaStartsFencedAndAPauseBeyondItsLeaseFencesIt) {
  engine_.SetLeaseUntil(absl::InfinitePast());  // as constructed: no lease yet
  const SessionKey before_lease = JoinAcceptor("A", "kiosk-7");
  EXPECT_EQ(Kinds(before_lease), "error:UNAVAILABLE");
  engine_.SetLeaseUntil(now_ + absl::Seconds(2));
  const SessionKey a = Registered(3);
  // Paused past the lease: the first call after it is already fenced,
  // whatever the membership has not yet noticed.
  now_ += absl::Seconds(5);
  const SessionKey b = JoinOfferer("B", "kiosk-7");
  EXPECT_EQ(Kinds(b), "error:UNAVAILABLE");
  EXPECT_EQ(Kinds(a), "joined") << "no pairing after the lease lapsed";
}

TEST_F(ClusterEngineTest, FencedNothingIsClaimedOrPairedAndPairingsGoOn) {
  const SessionKey a = Registered(4);
  const SessionKey b = JoinOfferer("B", "kiosk-7");
  engine_.SetLeaseUntil(now_);  // lapsed now
  const SessionKey refused_acceptor = JoinAcceptor("A", "kiosk-8");
  EXPECT_EQ(Kinds(refused_acceptor), "error:UNAVAILABLE");
  const SessionKey refused_offerer = JoinOfferer("B", "kiosk-7");
  EXPECT_EQ(Kinds(refused_offerer), "error:UNAVAILABLE");
  EXPECT_EQ(CloseCode(refused_offerer), protocol::kCloseTryAgain);
  EXPECT_EQ(engine_.counters().fenced_refusals, 2u);
  EXPECT_TRUE(directory_actions_.empty());
  Send(b, OfferMsg());
  EXPECT_EQ(Kinds(a), "joined paired offer") << "a pairing made before goes on";
  engine_.SetLeaseUntil(now_ + absl::Seconds(2));
  const SessionKey later = JoinAcceptor("A", "kiosk-8");
  EXPECT_TRUE(std::holds_alternative<ClaimAction>(directory_actions_.at(0)));
  EXPECT_EQ(Kinds(later), "");
}

}  // namespace
}  // namespace signaling::matching::testing_engine
