// gateway/relay_client.h against a fake Matching service on a loopback
// port-0 gRPC server: opening (only once the stream is up), the order of
// every event, batching while a write is in flight, the bounded queue,
// RelayDown delivery, stream loss reported per generation (the gateway then
// tells its sessions UNAVAILABLE, see tests/faults) and its log line,
// reconnection, Stop.
#include "gateway/relay_client.h"

#include <cstdint>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log/log.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "signaling/v1/matching.grpc.pb.h"
#include "spdlog/sinks/ostream_sink.h"
#include "tests/gateway/fake_relay_server.h"
#include "tests/integration/wait.h"

namespace signaling::gateway {
namespace {

constexpr absl::Duration kTimeout = absl::Seconds(10);

// Records what the client reports.
class RecordingListener final : public RelayListener {
 public:
  void OnRelayDown(v1::RelayDown batch) override {
    absl::MutexLock lock(&mu_);
    downs_.push_back(std::move(batch));
  }
  void OnStreamLost(uint64_t generation) override {
    absl::MutexLock lock(&mu_);
    lost_.push_back(generation);
  }

  bool WaitDowns(size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return downs_.size() >= n; };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), kTimeout);
  }
  bool WaitLost(uint64_t generation) {
    absl::MutexLock lock(&mu_);
    auto reported = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      for (uint64_t g : lost_) {
        if (g == generation) return true;
      }
      return false;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&reported), kTimeout);
  }
  std::vector<v1::RelayDown> downs() {
    absl::MutexLock lock(&mu_);
    return downs_;
  }
  std::vector<uint64_t> lost() {
    absl::MutexLock lock(&mu_);
    return lost_;
  }

 private:
  absl::Mutex mu_;
  std::vector<v1::RelayDown> downs_ ABSL_GUARDED_BY(mu_);
  std::vector<uint64_t> lost_ ABSL_GUARDED_BY(mu_);
};

v1::ConnectionInfo Info(const std::string& ip, std::string token = "token") {
  v1::ConnectionInfo info;
  info.set_client_ip(ip);
  info.set_bearer_token(std::move(token));
  info.set_transport("json");
  return info;
}

v1::ClientMessage Ping(const std::string& nonce) {
  v1::ClientMessage m;
  m.mutable_ping()->set_nonce(nonce);
  return m;
}

class RelayClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
    builder.RegisterService(&fake_);
    // A fixed 64 KiB stream window: a larger message held unread stalls
    // the client's write instead of vanishing into a grown window.
    builder.AddChannelArgument(GRPC_ARG_HTTP2_BDP_PROBE, 0);
    builder.SetMaxReceiveMessageSize(4 * 1024 * 1024);
    server_ = builder.BuildAndStart();
    ASSERT_NE(server_, nullptr);
    ASSERT_GT(port_, 0);
  }

  void TearDown() override {
    if (client_) client_->Stop();
    client_.reset();
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  }

  // Starts a client and waits for its stream to be up.
  void Connect(RelayLimits limits = {}) {
    client_ = std::make_unique<RelayClient>(
        grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                            grpc::InsecureChannelCredentials()),
        &listener_, limits);
    client_->Start();
    ASSERT_TRUE(testing::WaitFor([&] { return client_->connected(); }, kTimeout));
  }

  FakeMatching fake_{kTimeout};
  RecordingListener listener_;
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  std::unique_ptr<RelayClient> client_;
};

TEST_F(RelayClientTest, OpenIsRefusedUntilTheStreamIsUp) {
  RelayClient idle(grpc::CreateChannel("127.0.0.1:" + std::to_string(port_),
                                       grpc::InsecureChannelCredentials()),
                   &listener_);
  // Not started: no stream, so no session can be bound to one.
  EXPECT_FALSE(idle.connected());
  EXPECT_EQ(idle.Open(1, Info("192.0.2.1")), 0u);
  idle.Stop();
  EXPECT_TRUE(listener_.lost().empty());
}

TEST_F(RelayClientTest, OpenMessagesAndClosedArriveInOrder) {
  Connect();
  const uint64_t gen = client_->Open(7, Info("192.0.2.7", "tok-7"));
  ASSERT_NE(gen, 0u);
  const uint64_t gen8 = client_->Open(8, Info("192.0.2.8"));
  EXPECT_EQ(gen8, gen);  // one stream, one generation
  client_->Send(8, gen, Ping("8a"));
  client_->Send(7, gen, Ping("7a"));
  client_->Send(7, gen, Ping("7b"));
  client_->Closed(7, gen);
  client_->Send(8, gen, Ping("8b"));
  ASSERT_TRUE(fake_.WaitEvents(0, 7));
  const auto events = fake_.Events(0);
  ASSERT_EQ(events.size(), 7u);
  EXPECT_EQ(events[0].conn(), 7u);
  ASSERT_TRUE(events[0].has_open());
  EXPECT_EQ(events[0].open().client_ip(), "192.0.2.7");
  EXPECT_EQ(events[0].open().bearer_token(), "tok-7");
  EXPECT_EQ(events[0].open().transport(), "json");
  EXPECT_EQ(events[1].conn(), 8u);
  EXPECT_TRUE(events[1].has_open());
  const std::vector<std::pair<uint64_t, std::string>> pings = {
      {8, "8a"}, {7, "7a"}, {7, "7b"}};
  for (size_t i = 0; i < pings.size(); ++i) {
    const auto& e = events[2 + i];
    EXPECT_EQ(e.conn(), pings[i].first) << i;
    ASSERT_TRUE(e.has_message()) << i;
    EXPECT_EQ(e.message().ping().nonce(), pings[i].second) << i;
  }
  EXPECT_EQ(events[5].conn(), 7u);
  EXPECT_TRUE(events[5].has_closed());
  EXPECT_EQ(events[6].conn(), 8u);
  EXPECT_EQ(events[6].message().ping().nonce(), "8b");
}

TEST_F(RelayClientTest, EventsQueuedBehindAWriteTravelInBatchesBelowTheLimit) {
  fake_.HoldReads();
  RelayLimits limits;
  limits.batch_bytes = 1024;
  Connect(limits);
  // 1 MiB cannot pass a 64 KiB window the fake does not read: the write of
  // this first batch stays in flight while the next events are queued.
  const uint64_t gen = client_->Open(1, Info("192.0.2.1", std::string(1 << 20, 't')));
  ASSERT_NE(gen, 0u);
  constexpr int kPings = 60;
  for (int i = 0; i < kPings; ++i) client_->Send(1, gen, Ping("n" + std::to_string(i)));
  fake_.ReleaseReads();
  ASSERT_TRUE(fake_.WaitEvents(0, 1 + kPings));

  const auto batches = fake_.Batches(0);
  ASSERT_GE(batches.size(), 2u);
  // The large event travelled alone, over the limit.
  EXPECT_EQ(batches[0].events_size(), 1);
  EXPECT_TRUE(batches[0].events(0).has_open());
  size_t multi = 0;
  int next = 0;
  for (size_t b = 1; b < batches.size(); ++b) {
    size_t estimate = 0;
    for (const auto& e : batches[b].events()) {
      estimate += e.ByteSizeLong() + 8;
      EXPECT_EQ(e.message().ping().nonce(), "n" + std::to_string(next++));
    }
    EXPECT_LE(estimate, limits.batch_bytes) << "batch " << b;
    if (batches[b].events_size() > 1) ++multi;
  }
  EXPECT_EQ(next, kPings);
  // Batched, not one message per event (each ping is ~12 bytes).
  EXPECT_GT(multi, 0u);
  EXPECT_LT(batches.size(), 1u + kPings / 4);
}

TEST_F(RelayClientTest, BacklogOverTheQueueLimitGivesTheStreamUp) {
  fake_.HoldReads();
  RelayLimits limits;
  limits.batch_bytes = 1024;
  limits.max_queue_bytes = 128 * 1024;
  Connect(limits);
  // 96 KiB: within the queue limit, beyond the window, so it stays in flight.
  const uint64_t gen = client_->Open(1, Info("192.0.2.1", std::string(96 * 1024, 't')));
  ASSERT_NE(gen, 0u);
  EXPECT_TRUE(listener_.lost().empty());
  // ~110 bytes each: the queue overflows after about 1,200 of them.
  for (int i = 0; i < 2000; ++i) client_->Send(1, gen, Ping(std::string(100, 'p')));
  ASSERT_TRUE(listener_.WaitLost(gen));
  ASSERT_TRUE(fake_.WaitDone(0));
  fake_.ReleaseReads();
  // The client comes back on a new stream, with a new generation.
  ASSERT_TRUE(fake_.WaitStreams(2));
  ASSERT_TRUE(testing::WaitFor([&] { return client_->connected(); }, kTimeout));
  const uint64_t next = client_->Open(2, Info("192.0.2.2"));
  EXPECT_GT(next, gen);
}

TEST_F(RelayClientTest, RelayDownBatchesReachTheListenerInOrder) {
  Connect();
  constexpr int kBatches = 20;
  for (int b = 0; b < kBatches; ++b) {
    v1::RelayDown down;
    for (int e = 0; e < 3; ++e) {
      auto* event = down.add_events();
      event->set_conn(b * 3 + e);
      event->mutable_message()->mutable_pong()->set_nonce("b" + std::to_string(b));
    }
    fake_.Send(std::move(down));
  }
  ASSERT_TRUE(listener_.WaitDowns(kBatches));
  const auto downs = listener_.downs();
  ASSERT_EQ(downs.size(), static_cast<size_t>(kBatches));
  for (int b = 0; b < kBatches; ++b) {
    ASSERT_EQ(downs[b].events_size(), 3) << b;
    for (int e = 0; e < 3; ++e) {
      EXPECT_EQ(downs[b].events(e).conn(), static_cast<uint64_t>(b * 3 + e));
      EXPECT_EQ(downs[b].events(e).message().pong().nonce(), "b" + std::to_string(b));
    }
  }
}

TEST_F(RelayClientTest, StreamLossIsReportedForItsGenerationAndOldSessionsStayDead) {
  Connect();
  const uint64_t gen = client_->Open(1, Info("192.0.2.1"));
  ASSERT_NE(gen, 0u);
  ASSERT_TRUE(fake_.WaitEvents(0, 1));
  fake_.End(grpc::Status(grpc::StatusCode::UNAVAILABLE, "matching restarting"));
  // Every connection bound to the lost stream learns it through its
  // generation (the gateway then sends them UNAVAILABLE and closes 1013).
  ASSERT_TRUE(listener_.WaitLost(gen));

  ASSERT_TRUE(fake_.WaitStreams(2));
  ASSERT_TRUE(testing::WaitFor([&] { return client_->connected(); }, kTimeout));
  const uint64_t next = client_->Open(2, Info("192.0.2.2"));
  ASSERT_GT(next, gen);
  // Events of the old generation are dropped, not carried onto the new
  // stream where the matching service never saw their open.
  client_->Send(1, gen, Ping("stale"));
  client_->Closed(1, gen);
  client_->Send(2, next, Ping("fresh"));
  ASSERT_TRUE(fake_.WaitEvents(1, 2));
  const auto events = fake_.Events(1);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events[0].conn(), 2u);
  EXPECT_TRUE(events[0].has_open());
  EXPECT_EQ(events[1].conn(), 2u);
  EXPECT_EQ(events[1].message().ping().nonce(), "fresh");
  EXPECT_EQ(listener_.lost(), std::vector<uint64_t>{gen});
}

// gRPC's message reaches the line as sent: the JSON sink escapes it, once.
TEST_F(RelayClientTest, StreamLossLineCarriesTheStatusMessageAsSent) {
  std::ostringstream out;
  auto sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(out);
  sink->set_formatter(std::make_unique<log::JsonFormatter>());
  auto& sinks = log::Get("gateway")->sinks();
  sinks.push_back(sink);  // before any thread of the client logs
  Connect();
  const uint64_t gen = client_->Open(1, Info("192.0.2.1"));
  ASSERT_NE(gen, 0u);
  const std::string message = R"(matching said "bye" \ and left)";
  fake_.End(grpc::Status(grpc::StatusCode::UNAVAILABLE, message));
  ASSERT_TRUE(listener_.WaitLost(gen));  // reported after the line
  client_->Stop();
  std::erase(sinks, sink);

  int found = 0;
  for (absl::string_view line : absl::StrSplit(out.str(), '\n', absl::SkipEmpty())) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << line;
    const std::string msg = j.value("msg", "");
    if (!absl::StartsWith(msg, "lost the matching service stream")) continue;
    ++found;
    EXPECT_EQ(msg, "lost the matching service stream: grpc code 14: " + message) << line;
  }
  EXPECT_EQ(found, 1) << out.str();
}

TEST_F(RelayClientTest, StopEndsTheStreamReportsItAndRefusesOpens) {
  Connect();
  const uint64_t gen = client_->Open(1, Info("192.0.2.1"));
  ASSERT_NE(gen, 0u);
  client_->Stop();
  // Stop returns once the stream is gone, after its loss was reported.
  EXPECT_EQ(listener_.lost(), std::vector<uint64_t>{gen});
  EXPECT_FALSE(client_->connected());
  EXPECT_EQ(client_->Open(2, Info("192.0.2.2")), 0u);
  EXPECT_TRUE(fake_.WaitDone(0));
  client_->Stop();  // a second Stop is harmless
  // Stop joined the reconnecting thread: no stream after the first.
  EXPECT_EQ(fake_.StreamCount(), 1);
}

}  // namespace
}  // namespace signaling::gateway
