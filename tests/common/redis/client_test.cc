// redis::Client against a real redis-server: answers on its thread, every
// request answered by its deadline whatever the server does (gone, hung,
// back empty), on-connect commands and the connect listener on each new
// connection, the bounded queue, and Stop.
#include "common/redis/client.h"

#include <atomic>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "tests/common/redis/redis_server.h"
#include "tests/integration/wait.h"

namespace signaling::redis {
namespace {

using testing::RedisServer;
using testing::WaitFor;

absl::Time In(absl::Duration d) { return absl::Now() + d; }

std::unique_ptr<Client> MustCreate(ClientOptions options) {
  options.reconnect_backoff = absl::Milliseconds(50);
  auto client = Client::Create(std::move(options));
  EXPECT_TRUE(client.ok()) << client.status();
  return client.ok() ? *std::move(client) : nullptr;
}

// Submits and waits for the answer (the test's own bound is generous: the
// assertions are on what came back and when).
absl::StatusOr<Replies> Call(Client& client, std::vector<Command> commands,
                             absl::Duration deadline = absl::Seconds(2)) {
  absl::Notification done;
  absl::StatusOr<Replies> result = absl::UnknownError("no answer");
  client.Submit(std::move(commands), In(deadline), [&](absl::StatusOr<Replies> replies) {
    result = std::move(replies);
    done.Notify();
  });
  EXPECT_TRUE(done.WaitForNotificationWithTimeout(deadline + absl::Seconds(5)))
      << "a request was not answered";
  return result;
}

// One real server per test, and options that point at it.
class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(server.up()) << testing::ReadFile(server.log_path()); }
  ClientOptions Options() const {
    ClientOptions options;
    options.address = server.address();
    return options;
  }
  RedisServer server;
};

TEST(ClientCreateTest, NeedsExactlyOneOfAddressAndSentinels) {
  EXPECT_FALSE(Client::Create({}).ok());
  ClientOptions both;
  both.address = "127.0.0.1:1";
  both.sentinels = {"127.0.0.1:2"};
  EXPECT_FALSE(Client::Create(both).ok());
  ClientOptions bad;
  bad.address = "nowhere";
  EXPECT_EQ(Client::Create(bad).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST_F(ClientTest, AnswersAPipelineAndRunsOnConnectFirst) {
  ClientOptions options = Options();
  options.on_connect = {{"SET", "greeted", "yes"}};
  auto client = MustCreate(options);
  std::atomic<int> connects{0};
  client->SetConnectListener([&](const Endpoint&) { ++connects; });
  auto replies = Call(*client, {{"GET", "greeted"}, {"INCR", "n"}});
  ASSERT_TRUE(replies.ok()) << replies.status();
  EXPECT_EQ((*replies)[0].text, "yes");
  EXPECT_EQ((*replies)[1].integer, 1);
  EXPECT_EQ(connects.load(), 1);
  EXPECT_TRUE(client->connected());
}

TEST_F(ClientTest, EveryRequestIsAnsweredByItsDeadlineWhileTheServerHangs) {
  ClientOptions options = Options();
  auto client = MustCreate(options);
  ASSERT_TRUE(Call(*client, {{"PING"}}).ok());
  server.Pause();
  constexpr int kRequests = 20;
  std::atomic<int> answered{0}, failed{0};
  std::atomic<int64_t> worst_ms{0};
  for (int i = 0; i < kRequests; ++i) {
    const absl::Time deadline = In(absl::Milliseconds(300));
    client->Submit({{"PING"}}, deadline, [&, deadline](absl::StatusOr<Replies> replies) {
      const int64_t late = absl::ToInt64Milliseconds(absl::Now() - deadline);
      int64_t seen = worst_ms.load();
      while (late > seen && !worst_ms.compare_exchange_weak(seen, late)) {
      }
      if (!replies.ok()) ++failed;
      ++answered;
    });
  }
  ASSERT_TRUE(WaitFor([&] { return answered.load() == kRequests; }, absl::Seconds(10)));
  server.Resume();
  EXPECT_EQ(failed.load(), kRequests);
  EXPECT_LT(worst_ms.load(), 500) << "answered this long after its deadline";
  EXPECT_FALSE(client->connected());
  // The server back: the client reconnects by itself.
  ASSERT_TRUE(WaitFor([&] { return Call(*client, {{"PING"}}).ok(); }, absl::Seconds(5)));
}

TEST_F(ClientTest, ReconnectsToARestartedEmptyServerAndTellsTheListener) {
  ClientOptions options = Options();
  options.on_connect = {{"INCR", "connects"}};
  auto client = MustCreate(options);
  std::atomic<int> connects{0};
  client->SetConnectListener([&](const Endpoint&) { ++connects; });
  ASSERT_TRUE(Call(*client, {{"SET", "k", "v"}}).ok());
  server.Kill();
  auto down = Call(*client, {{"GET", "k"}});
  EXPECT_EQ(down.status().code(), absl::StatusCode::kUnavailable) << down.status();
  ASSERT_TRUE(server.Restart());
  absl::StatusOr<Replies> back = absl::UnknownError("not tried");
  ASSERT_TRUE(WaitFor(
      [&] {
        back = Call(*client, {{"GET", "k"}, {"GET", "connects"}});
        return back.ok();
      },
      absl::Seconds(5)));
  EXPECT_TRUE((*back)[0].is_nil()) << "the restarted server is empty";
  EXPECT_EQ((*back)[1].text, "1") << "on_connect ran on the new connection";
  EXPECT_EQ(connects.load(), 2);
}

TEST_F(ClientTest, ARequestWhoseDeadlinePassedInTheQueueIsNotSent) {
  ClientOptions options = Options();
  auto client = MustCreate(options);
  auto late = Call(*client, {{"SET", "late", "1"}}, absl::ZeroDuration());
  EXPECT_EQ(late.status().code(), absl::StatusCode::kDeadlineExceeded);
  EXPECT_EQ(server.Cli({"EXISTS", "late"}), "0");
}

TEST_F(ClientTest, TheQueueIsBoundedAndStopCancelsWhatIsQueued) {
  ClientOptions options = Options();
  options.max_queued = 2;
  auto client = MustCreate(options);
  ASSERT_TRUE(Call(*client, {{"PING"}}).ok());
  server.Pause();  // the first request below holds the thread
  std::atomic<int> exhausted{0}, cancelled{0}, other{0};
  auto count = [&](absl::StatusOr<Replies> r) {
    if (r.status().code() == absl::StatusCode::kResourceExhausted) {
      ++exhausted;
    } else if (r.status().code() == absl::StatusCode::kCancelled) {
      ++cancelled;
    } else {
      ++other;
    }
  };
  client->Submit({{"PING"}}, In(absl::Milliseconds(500)), count);
  ASSERT_TRUE(WaitFor([&] { return client->queued() == 0; }, absl::Seconds(2)));
  for (int i = 0; i < 5; ++i) client->Submit({{"PING"}}, In(absl::Seconds(30)), count);
  EXPECT_EQ(exhausted.load(), 3) << "two fit in the queue, three did not";
  client->Stop();
  server.Resume();
  EXPECT_EQ(cancelled.load(), 2);
  EXPECT_EQ(other.load(), 1) << "the request in flight was answered (timed out)";
  client->Submit({{"PING"}}, In(absl::Seconds(1)), count);
  EXPECT_EQ(exhausted.load(), 4) << "a stopped client refuses at once";
}

TEST(ClientSentinelTest, FollowsThePrimaryThroughAFailover) {
  RedisServer primary;
  ASSERT_TRUE(primary.up());
  RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(primary.port())});
  ASSERT_TRUE(replica.up());
  ASSERT_TRUE(WaitFor(
      [&] {
        return replica.Cli({"INFO", "replication"}).find("master_link_status:up") !=
               std::string::npos;
      },
      absl::Seconds(10)));
  auto sentinel = RedisServer::Sentinel(primary.port());
  ASSERT_TRUE(sentinel->up()) << testing::ReadFile(sentinel->log_path());
  ASSERT_TRUE(WaitFor(
      [&] {
        return sentinel->Cli({"SENTINEL", "replicas", "signaling"})
                   .find(std::to_string(replica.port())) != std::string::npos;
      },
      absl::Seconds(15)))
      << testing::ReadFile(sentinel->log_path());

  ClientOptions options;
  options.sentinels = {"127.0.0.1:1", sentinel->address()};  // the first is down
  auto client = MustCreate(options);
  absl::Mutex mu;
  std::vector<int> ports;
  client->SetConnectListener([&](const Endpoint& endpoint) {
    absl::MutexLock lock(&mu);
    ports.push_back(endpoint.port);
  });
  ASSERT_TRUE(Call(*client, {{"SET", "before", "1"}}).ok());
  {
    absl::MutexLock lock(&mu);
    ASSERT_EQ(ports, std::vector<int>{primary.port()});
  }
  // Once the sentinel has the replica's own INFO, it can promote it.
  ASSERT_TRUE(WaitFor(
      [&] {
        return sentinel->Cli({"SENTINEL", "FAILOVER", "signaling"}) == "OK";
      },
      absl::Seconds(15), absl::Milliseconds(200)));
  // The sentinels name the promoted replica at once, and the client asks
  // them every second: it moves within a check or two, not only once the
  // old primary is demoted (which Sentinel does seconds later; until then
  // the old one takes writes that its resync then throws away).
  const absl::Time failover = absl::Now();
  ASSERT_TRUE(WaitFor(
      [&] {
        auto replies = Call(*client, {{"SET", "after", "1"}});
        absl::MutexLock lock(&mu);
        return replies.ok() && !(*replies)[0].is_error() && ports.back() == replica.port();
      },
      absl::Seconds(20), absl::Milliseconds(100)));
  EXPECT_LE(absl::Now() - failover, absl::Seconds(3));
  absl::MutexLock lock(&mu);
  EXPECT_EQ(ports.front(), primary.port());
  EXPECT_EQ(replica.Cli({"GET", "after"}), "1");
  EXPECT_EQ(replica.Cli({"GET", "before"}), "1") << "replicated before the failover";
}

}  // namespace
}  // namespace signaling::redis
