// gateway/relay_pool.h with a dns: --matching_target, over three fake
// Matching replicas on loopback port-0 gRPC servers and a scripted resolver
// (the real getaddrinfo in one test): resolved replicas are picked, in turn
// and evenly over those serving; a vanished one is no longer picked (found
// while its stream is up, stopped once it is down, the same client back if
// it returns meanwhile); a failed lookup keeps the set and is counted;
// clients added later get generations of their own; the gauges follow.
#include "gateway/relay_pool.h"

#include <array>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "gateway/gateway_metrics.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "tests/gateway/fake_relay_server.h"
#include "tests/integration/wait.h"

namespace signaling::gateway {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);
constexpr absl::Duration kInterval = kMinMatchingResolveInterval;
constexpr int kReplicas = 3;
constexpr char kTarget[] = "dns:///replicas.test:7001";

using Addresses = std::vector<std::string>;

class IgnoringListener final : public RelayListener {
 public:
  void OnRelayDown(v1::RelayDown) override {}
  void OnStreamLost(uint64_t) override {}
};

// The answer the test wants DNS to give, and the questions asked.
class ScriptedResolver {
 public:
  void Answer(absl::StatusOr<Addresses> answer) {
    absl::MutexLock lock(&mu_);
    answer_ = std::move(answer);
  }
  ReplicaResolver Function() {
    return [this](const std::string& host, const std::string& port) {
      absl::MutexLock lock(&mu_);
      questions_.push_back(host + " " + port);
      return answer_;
    };
  }
  Addresses Questions() {
    absl::MutexLock lock(&mu_);
    return questions_;
  }

 private:
  absl::Mutex mu_;
  absl::StatusOr<Addresses> answer_ ABSL_GUARDED_BY(mu_) = Addresses{};
  Addresses questions_ ABSL_GUARDED_BY(mu_);
};

class RelayPoolTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < kReplicas; ++i) {
      servers_[i] = ServeOnLoopback(&fakes_[i], &addresses_[i]);
      ASSERT_NE(servers_[i], nullptr);
    }
    ASSERT_TRUE(metrics_.Register(registry_).ok());
  }

  void TearDown() override {
    if (pool_) pool_->Stop();
    pool_.reset();
    for (int i = 0; i < kReplicas; ++i) StopReplica(i);
  }

  // Ends replica i's server and with it its stream.
  void StopReplica(int i) {
    if (!servers_[i]) return;
    servers_[i]->Shutdown(std::chrono::system_clock::now());
    servers_[i].reset();
  }

  void StartPool(const std::string& target = kTarget, ReplicaResolver resolver = {}) {
    net::GrpcClientTls tls;
    tls.insecure = true;
    RelayPoolOptions options;
    options.resolve_interval = kInterval;
    options.metrics = &metrics_;
    options.resolver = resolver ? std::move(resolver) : resolver_.Function();
    auto pool = RelayPool::Create(target, tls, &listener_, {}, std::move(options));
    ASSERT_TRUE(pool.ok()) << pool.status();
    pool_ = *std::move(pool);
    pool_->Start();
  }

  Addresses Replicas(std::initializer_list<int> indexes) {
    Addresses out;
    for (int i : indexes) out.push_back(addresses_[i]);
    return out;
  }

  // Waits until `known` replicas are known and `serving` of them serve.
  bool WaitCounts(size_t known, size_t serving) {
    return testing::WaitFor(
        [&] {
          const RelayPool::Counts c = pool_->counts();
          return c.known == known && c.serving == serving;
        },
        kTimeout);
  }

  // Waits until `n` more lookups than now have finished.
  bool WaitLookups(uint64_t n) {
    const uint64_t target = pool_->counts().resolutions + n;
    return testing::WaitFor([&] { return pool_->counts().resolutions >= target; }, kTimeout);
  }

  // How many of `n` picks went to each replica (-1: none, or not one of ours).
  std::map<int, int> PickMany(int n) {
    std::map<int, int> out;
    for (int k = 0; k < n; ++k) {
      RelayClient* picked = pool_->Pick();
      int index = -1;
      for (int i = 0; i < kReplicas; ++i) {
        if (picked != nullptr && pool_->Find(addresses_[i]) == picked) index = i;
      }
      ++out[index];
    }
    return out;
  }

  // The value of an unlabelled series in the registry's text, or -1.
  double Metric(const std::string& name) {
    const std::string text = registry_.Serialize();
    const size_t at = text.find("\n" + name + " ");
    if (at == std::string::npos) return -1;
    const size_t start = at + name.size() + 2;
    double value = -1;
    if (!absl::SimpleAtod(text.substr(start, text.find('\n', start) - start), &value)) return -1;
    return value;
  }

  std::array<FakeMatching, kReplicas> fakes_{FakeMatching(kTimeout), FakeMatching(kTimeout),
                                             FakeMatching(kTimeout)};
  std::array<std::unique_ptr<grpc::Server>, kReplicas> servers_;
  std::array<std::string, kReplicas> addresses_;
  metrics::Registry registry_;
  GatewayMetrics metrics_;
  ScriptedResolver resolver_;
  IgnoringListener listener_;
  std::unique_ptr<RelayPool> pool_;
};

TEST_F(RelayPoolTest, ResolvedReplicasArePickedInTurnAndFoundByAddress) {
  resolver_.Answer(Replicas({2, 0, 1}));  // DNS order does not matter
  StartPool();
  ASSERT_TRUE(WaitCounts(3, 3));
  EXPECT_EQ(resolver_.Questions().at(0), "replicas.test 7001");
  std::array<RelayClient*, kReplicas> clients{};
  for (int i = 0; i < kReplicas; ++i) {
    clients[i] = pool_->Find(addresses_[i]);
    ASSERT_NE(clients[i], nullptr) << addresses_[i];
    for (int j = 0; j < i; ++j) EXPECT_NE(clients[i], clients[j]);
  }
  EXPECT_EQ(PickMany(300), (std::map<int, int>{{0, 100}, {1, 100}, {2, 100}}));
  EXPECT_EQ(pool_->Find("127.0.0.1:1"), nullptr);
  EXPECT_TRUE(pool_->connected());
  EXPECT_TRUE(testing::WaitFor(
      [&] {
        return Metric("signaling_gateway_matching_replicas_known") == 3 &&
               Metric("signaling_gateway_matching_replicas_serving") == 3;
      },
      kTimeout));
}

TEST_F(RelayPoolTest, TheSpreadStaysEvenOverTheReplicasServing) {
  resolver_.Answer(Replicas({0, 1, 2}));
  StartPool();
  ASSERT_TRUE(WaitCounts(3, 3));
  v1::RelayDown draining;
  draining.set_draining(true);
  fakes_[1].Send(draining);
  ASSERT_TRUE(WaitCounts(3, 2));
  // Skipping the draining one to its neighbour would give that one double.
  EXPECT_EQ(PickMany(100), (std::map<int, int>{{0, 50}, {2, 50}}));
  EXPECT_TRUE(testing::WaitFor(
      [&] { return Metric("signaling_gateway_matching_replicas_serving") == 2; }, kTimeout));

  StopReplica(2);  // its stream is down: only replica 0 serves
  ASSERT_TRUE(WaitCounts(3, 1));
  EXPECT_EQ(PickMany(20), (std::map<int, int>{{0, 20}}));
  StopReplica(0);
  ASSERT_TRUE(WaitCounts(3, 0));
  EXPECT_EQ(pool_->Pick(), nullptr);
}

TEST_F(RelayPoolTest, AVanishedReplicaIsNoLongerPicked) {
  resolver_.Answer(Replicas({0, 1}));
  StartPool();
  ASSERT_TRUE(WaitCounts(2, 2));
  RelayClient* vanishing = pool_->Find(addresses_[1]);
  ASSERT_NE(vanishing, nullptr);

  resolver_.Answer(Replicas({0}));
  ASSERT_TRUE(WaitCounts(1, 1));
  EXPECT_EQ(PickMany(50), (std::map<int, int>{{0, 50}}));
  // Its stream is still up: a redirect to it still finds it.
  EXPECT_EQ(pool_->Find(addresses_[1]), vanishing);
  EXPECT_TRUE(vanishing->connected());

  // Back while its stream runs: the same client, picked again.
  resolver_.Answer(Replicas({0, 1}));
  ASSERT_TRUE(WaitCounts(2, 2));
  EXPECT_EQ(pool_->Find(addresses_[1]), vanishing);
  EXPECT_EQ(PickMany(10), (std::map<int, int>{{0, 5}, {1, 5}}));

  // Gone for good: once its stream is down it is no longer found either.
  resolver_.Answer(Replicas({0}));
  ASSERT_TRUE(WaitCounts(1, 1));
  StopReplica(1);
  EXPECT_TRUE(testing::WaitFor([&] { return pool_->Find(addresses_[1]) == nullptr; }, kTimeout));
  EXPECT_EQ(PickMany(10), (std::map<int, int>{{0, 10}}));
  EXPECT_TRUE(pool_->connected());
}

TEST_F(RelayPoolTest, AFailedLookupKeepsTheReplicasAndIsCounted) {
  resolver_.Answer(Replicas({0, 1}));
  StartPool();
  ASSERT_TRUE(WaitCounts(2, 2));
  EXPECT_EQ(pool_->counts().resolve_failures, 0u);

  resolver_.Answer(absl::UnavailableError("SERVFAIL"));
  ASSERT_TRUE(WaitLookups(2));
  resolver_.Answer(Addresses{});  // no record at all counts as a failure too
  ASSERT_TRUE(WaitLookups(2));
  const RelayPool::Counts counts = pool_->counts();
  EXPECT_EQ(counts.known, 2u);
  EXPECT_EQ(counts.serving, 2u);
  EXPECT_GE(counts.resolve_failures, 4u);
  EXPECT_EQ(counts.resolve_failures, counts.resolutions - 1);  // all but the first
  EXPECT_EQ(PickMany(10), (std::map<int, int>{{0, 5}, {1, 5}}));
  EXPECT_GE(Metric("signaling_gateway_matching_resolve_failures_total"), 4);
  EXPECT_EQ(Metric("signaling_gateway_matching_replicas_known"), 2);
}

TEST_F(RelayPoolTest, NoReplicaIsKnownBeforeAGoodLookup) {
  resolver_.Answer(absl::UnavailableError("NXDOMAIN"));
  StartPool();
  ASSERT_TRUE(WaitLookups(1));
  EXPECT_EQ(pool_->counts().known, 0u);
  EXPECT_EQ(pool_->Pick(), nullptr);
  EXPECT_FALSE(pool_->connected());
  resolver_.Answer(Replicas({0}));
  ASSERT_TRUE(WaitCounts(1, 1));
  EXPECT_EQ(PickMany(3), (std::map<int, int>{{0, 3}}));
}

TEST_F(RelayPoolTest, ReplicasResolvedLaterGetGenerationsOfTheirOwn) {
  resolver_.Answer(Replicas({0}));
  StartPool();
  ASSERT_TRUE(WaitCounts(1, 1));
  resolver_.Answer(Replicas({0, 1}));
  ASSERT_TRUE(WaitCounts(2, 2));
  resolver_.Answer(Replicas({0, 1, 2}));
  ASSERT_TRUE(WaitCounts(3, 3));
  std::array<uint64_t, kReplicas> generations{};
  for (int i = 0; i < kReplicas; ++i) {
    generations[i] = pool_->Find(addresses_[i])->Open(100 + i, v1::ConnectionInfo());
    ASSERT_NE(generations[i], 0u);
  }
  // Each client counts up in its own range (the upper half): a stream lost
  // on one never matches a session bound to another.
  for (int i = 0; i < kReplicas; ++i) {
    for (int j = 0; j < i; ++j) EXPECT_NE(generations[i] >> 32, generations[j] >> 32);
  }
}

TEST_F(RelayPoolTest, PicksFromManyThreadsWhileTheSetChanges) {
  resolver_.Answer(Replicas({0, 1, 2}));
  StartPool();
  ASSERT_TRUE(WaitCounts(3, 3));
  std::array<RelayClient*, kReplicas> clients{};
  for (int i = 0; i < kReplicas; ++i) clients[i] = pool_->Find(addresses_[i]);
  std::atomic<bool> done{false};
  std::atomic<int> strangers{0};
  std::vector<std::thread> pickers;
  // Joined however the test ends (a failed ASSERT returns early).
  struct Joiner {
    std::atomic<bool>& done;
    std::vector<std::thread>& threads;
    void Join() {
      done = true;
      for (auto& t : threads) {
        if (t.joinable()) t.join();
      }
    }
    ~Joiner() { Join(); }
  } joiner{done, pickers};
  for (int t = 0; t < 4; ++t) {
    pickers.emplace_back([&, t] {
      while (!done.load()) {
        RelayClient* c = pool_->Pick();
        if (c != nullptr && c != clients[0] && c != clients[1] && c != clients[2]) ++strangers;
        pool_->Find(addresses_[t % kReplicas]);
      }
    });
  }
  for (int round = 0; round < 3; ++round) {
    resolver_.Answer(Replicas({0}));
    ASSERT_TRUE(WaitCounts(1, 1));
    resolver_.Answer(Replicas({0, 1, 2}));
    ASSERT_TRUE(WaitCounts(3, 3));
  }
  joiner.Join();
  EXPECT_EQ(strangers.load(), 0);
}

TEST_F(RelayPoolTest, TheSystemResolverFindsLocalhost) {
  const std::string port = addresses_[0].substr(addresses_[0].rfind(':') + 1);
  net::GrpcClientTls tls;
  tls.insecure = true;
  RelayPoolOptions options;  // no resolver: the system's
  options.resolve_interval = kInterval;
  auto pool = RelayPool::Create("dns:///localhost:" + port, tls, &listener_, {}, options);
  ASSERT_TRUE(pool.ok()) << pool.status();
  pool_ = *std::move(pool);
  pool_->Start();
  ASSERT_TRUE(testing::WaitFor([&] { return pool_->Pick() != nullptr; }, kTimeout));
  RelayClient* local = pool_->Find("127.0.0.1:" + port);
  ASSERT_NE(local, nullptr);
  EXPECT_EQ(pool_->Pick(), local);  // ::1, if listed, has no server
  EXPECT_EQ(pool_->counts().resolve_failures, 0u);
}

TEST_F(RelayPoolTest, AFixedListNeedsNoLookup) {
  ScriptedResolver never;
  StartPool(addresses_[0] + "," + addresses_[1], never.Function());
  EXPECT_NE(pool_->Find(addresses_[0]), nullptr);  // at once, before any stream
  ASSERT_TRUE(WaitCounts(2, 2));
  EXPECT_EQ(PickMany(10), (std::map<int, int>{{0, 5}, {1, 5}}));
  EXPECT_TRUE(never.Questions().empty());
}

TEST(RelayPoolCreateTest, RefusesABadIntervalOrTarget) {
  net::GrpcClientTls tls;
  tls.insecure = true;
  IgnoringListener listener;
  RelayPoolOptions too_often;
  too_often.resolve_interval = absl::Milliseconds(10);
  EXPECT_EQ(RelayPool::Create(kTarget, tls, &listener, {}, too_often).status().code(),
            absl::StatusCode::kInvalidArgument);
  RelayPoolOptions too_rare;
  too_rare.resolve_interval = absl::Hours(2);
  EXPECT_EQ(RelayPool::Create(kTarget, tls, &listener, {}, too_rare).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(RelayPool::Create("dns:///no-port", tls, &listener, {}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(RelayPool::Create(kTarget, tls, &listener, {}).ok());
}

}  // namespace
}  // namespace signaling::gateway
