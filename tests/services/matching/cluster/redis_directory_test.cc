// The directory's rules (functions.lua through RedisDirectory) against a
// real redis-server: claim, replace, ID_TAKEN, release and renew guarded by
// the fence, holders freed when their replica's membership lapses or a new
// start of it takes its name, re-assertion after data loss (the highest
// fence wins), the generation check and its barrier, the list of live
// members (its index pruned as leases end), and Redis gone.
#include "services/matching/cluster/redis_directory.h"

#include <memory>

#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/common/redis/redis_server.h"
#include "tests/integration/wait.h"

namespace signaling::matching {
namespace {

using testing::RedisServer;
using testing::WaitFor;
using Kind = ClaimResult::Kind;
using Generation = RedisDirectory::Generation;

constexpr absl::Duration kLease = absl::Seconds(30);

absl::Time Soon() { return absl::Now() + absl::Seconds(2); }

// Runs one asynchronous call and waits for its answer.
template <typename T, typename Start>
absl::StatusOr<T> Await(Start start) {
  absl::Notification done;
  absl::StatusOr<T> result = absl::UnknownError("no answer");
  start([&](absl::StatusOr<T> answer) {
    result = std::move(answer);
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(absl::Seconds(10))) << "never answered";
  return result;
}

// One replica's view: its directory on its own client, its epoch, and its
// membership kept alive by the test.
struct Replica {
  Replica(const RedisServer& server, const std::string& name) {
    redis::ClientOptions options;
    options.address = server.address();
    options.on_connect = {RedisDirectory::FunctionsLoad()};
    options.reconnect_backoff = absl::Milliseconds(50);
    client = *redis::Client::Create(options);
    directory = std::make_unique<RedisDirectory>(RedisDirectoryOptions{"t:", name}, client.get());
    epoch = *Await<uint64_t>([&](auto done) { directory->NewEpoch(Soon(), done); });
    EXPECT_TRUE(Heartbeat(kLease));
  }
  bool Heartbeat(absl::Duration lease, std::optional<uint64_t> as_epoch = std::nullopt) {
    auto ok = Await<bool>([&](auto done) {
      directory->Heartbeat(as_epoch.value_or(epoch), "SERVING", lease, Soon(), done);
    });
    EXPECT_TRUE(ok.ok()) << ok.status();
    return ok.ok() && *ok;
  }
  absl::StatusOr<ClaimResult> Claim(const std::string& id, const std::string& subject,
                                    const std::string& session) {
    return Await<ClaimResult>(
        [&](auto done) { directory->Claim(id, subject, session, epoch, kLease, Soon(), done); });
  }
  std::optional<Holder> Lookup(const std::string& id,
                               absl::Time wait_until = absl::InfinitePast()) {
    auto holder = Await<std::optional<Holder>>(
        [&](auto done) { directory->Lookup(id, wait_until, Soon(), done); });
    EXPECT_TRUE(holder.ok()) << holder.status();
    return holder.ok() ? *holder : std::nullopt;
  }
  bool Release(const std::string& id, uint64_t fence) {
    return *Await<bool>([&](auto done) { directory->Release(id, fence, Soon(), done); });
  }
  bool Renew(const std::string& id, uint64_t fence) {
    return *Await<bool>([&](auto done) { directory->Renew(id, fence, kLease, Soon(), done); });
  }
  ReassertResult Reassert(const std::string& id, const Holder& ours) {
    auto result = Await<ReassertResult>(
        [&](auto done) { directory->Reassert(id, ours, epoch, kLease, Soon(), done); });
    EXPECT_TRUE(result.ok()) << result.status();
    return result.ok() ? *result : ReassertResult{};
  }
  absl::StatusOr<std::pair<Generation, std::string>> CheckGeneration(const std::string& known,
                                                                     absl::Duration barrier) {
    return Await<std::pair<Generation, std::string>>(
        [&](auto done) { directory->CheckGeneration(known, barrier, Soon(), done); });
  }

  std::vector<Member> Members() {
    auto members = Await<std::vector<Member>>([&](auto done) { directory->Members(Soon(), done); });
    EXPECT_TRUE(members.ok()) << members.status();
    return members.ok() ? *members : std::vector<Member>{};
  }

  std::unique_ptr<redis::Client> client;
  std::unique_ptr<RedisDirectory> directory;
  uint64_t epoch = 0;
};

class RedisDirectoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(server_.up());
    // As if a replica had checked the data's generation (claims wait for it).
    ASSERT_EQ(server_.Cli({"SET", "t:gen", "test"}), "OK");
    a_ = std::make_unique<Replica>(server_, "10.0.0.1:7001");
    b_ = std::make_unique<Replica>(server_, "10.0.0.2:7001");
  }
  RedisServer server_;
  std::unique_ptr<Replica> a_, b_;
};

TEST_F(RedisDirectoryTest, AFreeIdIsClaimedAndFoundWhereItIsHeld) {
  EXPECT_FALSE(b_->Lookup("kiosk-7").has_value());
  auto claim = a_->Claim("kiosk-7", "alice", "s1");
  ASSERT_TRUE(claim.ok()) << claim.status();
  EXPECT_EQ(claim->kind, Kind::kClaimed);
  EXPECT_GT(claim->fence, 0u);
  auto holder = b_->Lookup("kiosk-7");
  ASSERT_TRUE(holder.has_value());
  EXPECT_EQ(holder->replica, "10.0.0.1:7001");
  EXPECT_EQ(holder->session, "s1");
  EXPECT_EQ(holder->fence, claim->fence);
  EXPECT_EQ(holder->subject, "alice");
}

TEST_F(RedisDirectoryTest, AnotherSubjectGetsTakenTheSameSubjectReplaces) {
  auto first = a_->Claim("kiosk-7", "alice", "s1");
  ASSERT_TRUE(first.ok());
  auto other = b_->Claim("kiosk-7", "mallory", "s2");
  ASSERT_TRUE(other.ok());
  EXPECT_EQ(other->kind, Kind::kTaken);
  ASSERT_TRUE(other->previous.has_value());
  EXPECT_EQ(other->previous->replica, "10.0.0.1:7001");
  EXPECT_EQ(b_->Lookup("kiosk-7")->session, "s1") << "a refused claim changes nothing";

  auto same = b_->Claim("kiosk-7", "alice", "s3");
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->kind, Kind::kReplaced);
  EXPECT_GT(same->fence, first->fence);
  ASSERT_TRUE(same->previous.has_value());
  EXPECT_EQ(same->previous->replica, "10.0.0.1:7001");
  EXPECT_EQ(same->previous->session, "s1");
  EXPECT_EQ(same->previous->fence, first->fence);

  // The old holder's late release and renewal cannot undo the newer claim.
  EXPECT_FALSE(a_->Release("kiosk-7", first->fence));
  EXPECT_FALSE(a_->Renew("kiosk-7", first->fence));
  EXPECT_EQ(a_->Lookup("kiosk-7")->session, "s3");
  EXPECT_TRUE(b_->Renew("kiosk-7", same->fence));
  EXPECT_TRUE(b_->Release("kiosk-7", same->fence));
  EXPECT_FALSE(a_->Lookup("kiosk-7").has_value());
}

TEST_F(RedisDirectoryTest, TheClaimThatEndsAWaitNamesTheWaitingReplicasOnce) {
  Replica c(server_, "10.0.0.3:7001");
  EXPECT_FALSE(b_->Lookup("kiosk-7", absl::Now() + absl::Seconds(30)).has_value());
  EXPECT_FALSE(c.Lookup("kiosk-7", absl::Now() + absl::Seconds(30)).has_value());
  EXPECT_FALSE(c.Lookup("kiosk-7", absl::Now() + absl::Seconds(10)).has_value());
  EXPECT_FALSE(a_->Lookup("kiosk-7").has_value()) << "a look-up without a wait notes nothing";
  // A wait that already ended is not named.
  Replica d(server_, "10.0.0.4:7001");
  EXPECT_FALSE(d.Lookup("kiosk-7", absl::Now() + absl::Milliseconds(50)).has_value());
  absl::SleepFor(absl::Milliseconds(100));  // d's wait ends

  auto claim = a_->Claim("kiosk-7", "alice", "s1");
  ASSERT_TRUE(claim.ok());
  EXPECT_EQ(claim->waiting, (std::vector<std::string>{"10.0.0.2:7001", "10.0.0.3:7001"}));
  ASSERT_TRUE(a_->Release("kiosk-7", claim->fence));
  auto again = a_->Claim("kiosk-7", "alice", "s2");
  EXPECT_TRUE(again->waiting.empty()) << "each wait is told once";
  EXPECT_EQ(server_.Cli({"EXISTS", "t:w:{kiosk-7}"}), "0");
  // A look-up that finds the id held notes no wait.
  EXPECT_TRUE(b_->Lookup("kiosk-7", absl::Now() + absl::Seconds(30)).has_value());
  EXPECT_EQ(server_.Cli({"EXISTS", "t:w:{kiosk-7}"}), "0");
}

TEST_F(RedisDirectoryTest, AWaitNoteExpiresWithTheLastWait) {
  EXPECT_FALSE(b_->Lookup("kiosk-7", absl::Now() + absl::Seconds(30)).has_value());
  const int64_t ttl_ms = std::stoll(server_.Cli({"PTTL", "t:w:{kiosk-7}"}));
  EXPECT_GT(ttl_ms, 25'000);
  EXPECT_LE(ttl_ms, 30'000);
}

TEST_F(RedisDirectoryTest, FencesOnlyIncrease) {
  uint64_t last = 0;
  for (int i = 0; i < 20; ++i) {
    auto claim = (i % 2 ? a_ : b_)->Claim(i % 3 ? "kiosk-1" : "kiosk-2", "alice", "s");
    ASSERT_TRUE(claim.ok());
    EXPECT_GT(claim->fence, last);
    last = claim->fence;
  }
}

TEST_F(RedisDirectoryTest, AReplicasIdsAreFreeOnceItsMembershipLapses) {
  ASSERT_EQ(a_->Claim("kiosk-7", "alice", "s1")->kind, Kind::kClaimed);
  ASSERT_TRUE(a_->Heartbeat(absl::Milliseconds(200)));  // and then no more
  ASSERT_TRUE(WaitFor([&] { return !b_->Lookup("kiosk-7").has_value(); }, absl::Seconds(5)));
  auto taken = b_->Claim("kiosk-7", "mallory", "s2");
  ASSERT_TRUE(taken.ok());
  EXPECT_EQ(taken->kind, Kind::kClaimed) << "a dead holder does not keep an id";
}

TEST_F(RedisDirectoryTest, ANewStartOfAReplicaFreesItsOldIdsAndSupersedesIt) {
  ASSERT_EQ(a_->Claim("kiosk-7", "alice", "s1")->kind, Kind::kClaimed);
  Replica restarted(server_, "10.0.0.1:7001");  // same name, new epoch
  EXPECT_GT(restarted.epoch, a_->epoch);
  EXPECT_FALSE(b_->Lookup("kiosk-7").has_value()) << "the old start's holders are dead";
  EXPECT_FALSE(a_->Heartbeat(kLease)) << "the old start is told it was superseded";
  EXPECT_TRUE(restarted.Heartbeat(kLease));
}

TEST_F(RedisDirectoryTest, LeaveDeletesOnlyOurOwnMembership) {
  ASSERT_EQ(a_->Claim("kiosk-7", "alice", "s1")->kind, Kind::kClaimed);
  ASSERT_TRUE(*Await<bool>([&](auto done) { a_->directory->Leave(a_->epoch + 1, Soon(), done); }));
  EXPECT_TRUE(b_->Lookup("kiosk-7").has_value()) << "another epoch's leave is ignored";
  ASSERT_TRUE(*Await<bool>([&](auto done) { a_->directory->Leave(a_->epoch, Soon(), done); }));
  EXPECT_FALSE(b_->Lookup("kiosk-7").has_value());
}

TEST_F(RedisDirectoryTest, MembersAreTheLiveReplicasWithTheirStateAndTheIndexIsPruned) {
  const Member a{"10.0.0.1:7001", "SERVING"}, b{"10.0.0.2:7001", "SERVING"};
  EXPECT_EQ(a_->Members(), (std::vector<Member>{a, b}));
  Replica c(server_, "10.0.0.3:7001");
  ASSERT_TRUE(*Await<bool>(
      [&](auto done) { b_->directory->Heartbeat(b_->epoch, "DRAINING", kLease, Soon(), done); }));
  EXPECT_EQ(a_->Members(),
            (std::vector<Member>{a, {b.replica, "DRAINING"}, {c.directory->replica(), "SERVING"}}));

  // c's lease lapses: gone from the list, and from the index.
  ASSERT_TRUE(c.Heartbeat(absl::Milliseconds(200)));
  ASSERT_TRUE(WaitFor([&] { return a_->Members().size() == 2; }, absl::Seconds(5)));
  EXPECT_EQ(server_.Cli({"ZCARD", "t:members"}), "2");
  // b leaves: at once.
  ASSERT_TRUE(*Await<bool>([&](auto done) { b_->directory->Leave(b_->epoch, Soon(), done); }));
  EXPECT_EQ(a_->Members(), (std::vector<Member>{a}));
  EXPECT_EQ(server_.Cli({"ZCARD", "t:members"}), "1");
  // A membership gone while its index entry stayed (deleted by hand here)
  // is not listed, and the entry goes.
  ASSERT_EQ(server_.Cli({"DEL", "t:m:10.0.0.1:7001"}), "1");
  EXPECT_TRUE(a_->Members().empty());
  EXPECT_EQ(server_.Cli({"ZCARD", "t:members"}), "0");
}

TEST_F(RedisDirectoryTest, MembersComeBackWithTheirHeartbeatsAfterDataLoss) {
  ASSERT_EQ(server_.Cli({"FLUSHALL"}), "OK");
  EXPECT_TRUE(a_->Members().empty());
  ASSERT_TRUE(a_->Heartbeat(kLease));
  ASSERT_TRUE(b_->Heartbeat(kLease));
  EXPECT_EQ(b_->Members(),
            (std::vector<Member>{{"10.0.0.1:7001", "SERVING"}, {"10.0.0.2:7001", "SERVING"}}));
}

TEST_F(RedisDirectoryTest, ReassertionAfterDataLossTheHighestFenceWins) {
  auto old_claim = a_->Claim("kiosk-7", "alice", "s1");
  auto new_claim = b_->Claim("kiosk-7", "alice", "s2");  // replaced a's
  ASSERT_TRUE(old_claim.ok() && new_claim.ok());
  const Holder a_view{"", "s1", old_claim->fence, "alice"};
  const Holder b_view{"", "s2", new_claim->fence, "alice"};
  ASSERT_EQ(server_.Cli({"FLUSHALL"}), "OK");  // Redis lost everything
  ASSERT_TRUE(a_->Heartbeat(kLease));
  ASSERT_TRUE(b_->Heartbeat(kLease));

  // a (who missed its eviction) re-asserts first: written back...
  ReassertResult a_first = a_->Reassert("kiosk-7", a_view);
  EXPECT_TRUE(a_first.kept);
  EXPECT_FALSE(a_first.displaced.has_value());
  // ...then b, with the higher fence, takes it and is told to close a's.
  ReassertResult b_then = b_->Reassert("kiosk-7", b_view);
  EXPECT_TRUE(b_then.kept);
  ASSERT_TRUE(b_then.displaced.has_value());
  EXPECT_EQ(b_then.displaced->replica, "10.0.0.1:7001");
  EXPECT_EQ(b_then.displaced->session, "s1");
  EXPECT_EQ(b_then.displaced->fence, old_claim->fence);
  // a again: it lost, and learns to whom.
  ReassertResult a_again = a_->Reassert("kiosk-7", a_view);
  EXPECT_FALSE(a_again.kept);
  ASSERT_TRUE(a_again.winner.has_value());
  EXPECT_EQ(a_again.winner->session, "s2");
  EXPECT_EQ(a_again.winner->fence, new_claim->fence);
  // b's re-assertion of what it holds is kept; and the fence counter is above
  // every fence in use, so the next claim (once a generation was checked)
  // still outranks them.
  EXPECT_TRUE(b_->Reassert("kiosk-7", b_view).kept);
  ASSERT_EQ(server_.Cli({"SET", "t:gen", "after-the-loss"}), "OK");
  auto next = a_->Claim("kiosk-8", "alice", "s3");
  ASSERT_TRUE(next.ok());
  EXPECT_GT(next->fence, new_claim->fence);
}

TEST_F(RedisDirectoryTest, ClaimsWaitUntilAReplicaCheckedTheGeneration) {
  ASSERT_EQ(server_.Cli({"DEL", "t:gen"}), "1");  // data nobody has checked yet
  EXPECT_EQ(a_->Claim("kiosk-7", "alice", "s1")->kind, Kind::kBarrier);
  EXPECT_EQ(a_->CheckGeneration("", absl::Seconds(1))->first, Generation::kNew);
  EXPECT_EQ(a_->Claim("kiosk-7", "alice", "s1")->kind, Kind::kClaimed);
}

TEST_F(RedisDirectoryTest, GenerationNewAdoptedSameAndLostWithItsBarrier) {
  ASSERT_EQ(server_.Cli({"DEL", "t:gen"}), "1");
  auto first = a_->CheckGeneration("", absl::Seconds(1));
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_EQ(first->first, Generation::kNew);
  EXPECT_EQ(first->second.size(), 32u);
  auto adopted = b_->CheckGeneration("", absl::Seconds(1));
  EXPECT_EQ(adopted->first, Generation::kAdopted);
  EXPECT_EQ(adopted->second, first->second);
  EXPECT_EQ(a_->CheckGeneration(first->second, absl::Seconds(1))->first, Generation::kSame);
  EXPECT_EQ(a_->Claim("kiosk-7", "alice", "s1")->kind, Kind::kClaimed) << "no barrier at a start";

  ASSERT_EQ(server_.Cli({"FLUSHALL"}), "OK");
  ASSERT_TRUE(a_->Heartbeat(kLease));
  auto lost = a_->CheckGeneration(first->second, absl::Milliseconds(500));
  EXPECT_EQ(lost->first, Generation::kLost);
  EXPECT_NE(lost->second, first->second);
  auto b_sees = b_->CheckGeneration(first->second, absl::Milliseconds(500));
  EXPECT_EQ(b_sees->first, Generation::kLost);
  EXPECT_EQ(b_sees->second, lost->second);
  EXPECT_EQ(b_->Claim("kiosk-9", "bob", "s2")->kind, Kind::kBarrier);
  ASSERT_TRUE(WaitFor([&] { return b_->Claim("kiosk-9", "bob", "s2")->kind == Kind::kClaimed; },
                      absl::Seconds(5)));
}

TEST_F(RedisDirectoryTest, RedisGoneIsUnavailableWithinTheDeadline) {
  server_.Kill();
  const absl::Time start = absl::Now();
  auto claim = Await<ClaimResult>([&](auto done) {
    a_->directory->Claim("kiosk-7", "alice", "s1", a_->epoch, kLease,
                         absl::Now() + absl::Milliseconds(300), done);
  });
  EXPECT_EQ(claim.status().code(), absl::StatusCode::kUnavailable) << claim.status();
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  auto members = Await<std::vector<Member>>(
      [&](auto done) { a_->directory->Members(absl::Now() + absl::Milliseconds(300), done); });
  EXPECT_EQ(members.status().code(), absl::StatusCode::kUnavailable) << members.status();
}

}  // namespace
}  // namespace signaling::matching
