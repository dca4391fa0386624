// Resource abuse against the real stack: connection caps (global 503,
// per-IP 429), slowloris upgrades, a client that never joins, message and
// candidate floods (RATE_LIMITED, then 4029), a slow reader (1013) and idle
// connections (1001). Each case asserts the exact status, error and close
// code of protocol-v1 section 6, then that the stack is healthy.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_fixture.h"

namespace signaling::testing {
namespace {

TEST(HostileAbuse, PerIpCapIs429AndFreesOnClose) {
  Stack stack(
      StackOptions{.gateway = [](gateway::GatewayOptions& g) { g.max_connections_per_ip = 5; }});
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 5; ++i) {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << i << ": " << c.status();
    clients.push_back(std::move(*c));
  }
  {
    Raw raw(stack.gateway_port());
    raw.Write(Request(DefaultHeaders()));
    EXPECT_EQ(raw.ReadHttpStatus(), 429) << raw.head();
  }
  clients.front()->Close();
  clients.erase(clients.begin());
  std::unique_ptr<WsClient> again;
  // The close is accounted asynchronously: retry, bounded.
  WaitFor(
      [&] {
        auto c = WsClient::Connect(stack.gateway_port());
        if (c.ok()) again = std::move(*c);
        return again != nullptr;
      },
      absl::Seconds(5), absl::Milliseconds(20));
  EXPECT_TRUE(again) << "a slot freed by a close was not given back";
  again.reset();
  for (auto& c : clients) c->Close();
  clients.clear();
  ExpectHealthy(stack);
}

TEST(HostileAbuse, GlobalCapIs503) {
  Stack stack(StackOptions{.gateway = [](gateway::GatewayOptions& g) { g.max_connections = 3; }});
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 3; ++i) {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << i << ": " << c.status();
    clients.push_back(std::move(*c));
  }
  {
    Raw raw(stack.gateway_port());
    raw.Write(Request(DefaultHeaders()));
    EXPECT_EQ(raw.ReadHttpStatus(), 503) << raw.head();
  }
  for (auto& c : clients) c->Close();
  clients.clear();
  ASSERT_TRUE(stack.WaitForZero()) << stack.DescribeState();
  ExpectHealthy(stack);
}

TEST(HostileAbuse, NoJoinIsUnauthenticated4001AfterTheDeadline) {
  Stack stack(StackOptions{.matching = [](matching::MatchingServerOptions& o) {
    o.limits.join_deadline = absl::Milliseconds(300);
  }});
  {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << c.status();
    const absl::Time start = absl::Now();
    EXPECT_EQ(KindOf((*c)->Read(absl::Seconds(3))), "error:UNAUTHENTICATED");
    EXPECT_EQ(CodeText((*c)->WaitClose()), "4001");
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  {
    // Raw, upgraded, silent: the same.
    Raw raw(stack.gateway_port());
    ASSERT_TRUE(raw.Upgrade()) << raw.head();
    auto text = raw.ReadText(absl::Seconds(3));
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(ErrorCodeOf(*text), "error:UNAUTHENTICATED");
    EXPECT_EQ(CodeText(raw.WaitClose()), "4001");
  }
  ExpectHealthy(stack);
}

// The bucket (burst 50) barely refills here (one token in 1,000 s, default
// 20 a second), so that tokens refilled while the burst is read, however
// slowly, cannot break the run of refusals that is the abuse (50 in a row).
void SlowRefill(matching::MatchingServerOptions& o) { o.limits.rate_per_second = 0.001; }

TEST_F(HostileTest, TenThousandCandidatesAreRateLimitedThenClosed4029) {
  Stack slow(StackOptions{.matching = SlowRefill});
  auto acceptor = WsClient::Connect(slow.gateway_port());
  ASSERT_TRUE(acceptor.ok()) << acceptor.status();
  WsClient& a = **acceptor;
  a.Send(JoinAcceptor(slow.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf(a.Read()), "joined");
  Raw b(slow.gateway_port());
  ASSERT_EQ(RawJoin(b, JoinJson(slow.Token("user-42", {}, {"kiosk-*"}), "OFFERER", "kiosk-7")),
            "joined");
  ASSERT_EQ(KindOf(a.Read()), "paired");
  auto paired = b.ReadText();
  ASSERT_TRUE(paired && ErrorCodeOf(*paired) == "paired");
  std::string burst;
  const std::string frame = BuildFrame(0x1, CandidateJson(kCandidate));
  for (int i = 0; i < 10000; ++i) burst += frame;
  const auto code = b.BlastAndWaitClose(burst, absl::Seconds(120));
  int rate_limited = 0, other = 0;
  for (const auto& t : b.texts()) {
    const std::string k = ErrorCodeOf(t);
    if (k == "error:RATE_LIMITED")
      ++rate_limited;
    else if (k != "error:RESOURCE_EXHAUSTED")
      ++other;
  }
  EXPECT_GT(rate_limited, 0);
  EXPECT_EQ(CodeText(code), "4029");
  // The acceptor: relayed candidates, then peerLeft DISCONNECTED.
  std::string last;
  for (int i = 0; i < 2000; ++i) {
    last = KindOf(a.Read());
    if (last != "iceCandidate") break;
  }
  EXPECT_EQ(last, "peerLeft:DISCONNECTED");
  a.Close();
  ExpectHealthy(slow);
}

TEST_F(HostileTest, MessageRateOverTheBucketIsRateLimited) {
  // The default burst (50) refilled at 1 a second (default 20), so that
  // tokens refilled while the 60 pings are read cannot hide the limit
  // unless reading them takes over 10 s.
  Stack slow(StackOptions{
      .matching = [](matching::MatchingServerOptions& o) { o.limits.rate_per_second = 1; }});
  auto client = WsClient::Connect(slow.gateway_port());
  ASSERT_TRUE(client.ok()) << client.status();
  WsClient& a = **client;
  a.Send(JoinAcceptor(slow.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf(a.Read()), "joined");
  for (int i = 0; i < 60; ++i) a.Send(Ping(std::to_string(i)));
  int pongs = 0, limited = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string k = KindOf(a.Read());
    if (k == "pong")
      ++pongs;
    else if (k == "error:RATE_LIMITED")
      ++limited;
    else
      ADD_FAILURE() << "unexpected " << k;
  }
  EXPECT_GT(limited, 0);
  EXPECT_EQ(pongs + limited, 60);
  EXPECT_GE(pongs, 49);  // burst 50, one token taken by the join
  EXPECT_FALSE(a.close_code().has_value()) << "under the abuse threshold: not closed";
  // A token is back within a refill period: a ping every 100 ms is refused
  // (RATE_LIMITED, 10 at most: far from the abuse threshold) until one is
  // answered.
  std::string after;
  WaitFor(
      [&] {
        a.Send(Ping("after"));
        after = KindOf(a.Read());
        if (after != "pong") {
          EXPECT_EQ(after, "error:RATE_LIMITED");
        }
        return after != "error:RATE_LIMITED";
      },
      absl::Seconds(5), absl::Milliseconds(100));
  EXPECT_EQ(after, "pong");
  a.Close();
  ExpectHealthy(slow);
}

TEST(HostileAbuse, SlowReaderIsClosedWith1013) {
  Stack stack(
      StackOptions{.gateway = [](gateway::GatewayOptions& g) { g.max_outbound_bytes = 16 * 1024; },
                   .matching =
                       [](matching::MatchingServerOptions& o) {
                         o.limits.rate_per_second = 1e6;
                         o.limits.rate_burst = 1e6;
                         o.limits.max_candidates_per_session = 1000000;
                       }});
  // The acceptor joins over raw TCP with a tiny receive buffer, then stops
  // reading.
  Raw a(stack.gateway_port(), /*rcvbuf=*/4096);
  ASSERT_EQ(
      RawJoin(a, JoinJson(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "ACCEPTOR", "kiosk-7")),
      "joined");
  auto b = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(b.ok());
  (*b)->Send(JoinOfferer(stack.Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
  ASSERT_EQ(KindOf((*b)->Read()), "joined");
  ASSERT_EQ(KindOf((*b)->Read()), "paired");
  // ~1 KiB candidates (the 32 extensions allowed), 3,000 of them.
  std::string big = kCandidate;
  for (int i = 0; i < 32 && big.size() < 980; ++i) {
    absl::StrAppend(&big, " x", i, " ", std::string(24, 'v'));
  }
  const absl::Time start = absl::Now();
  std::string last;
  for (int i = 0; i < 3000; ++i) (*b)->Send(Candidate(big));
  // The offerer learns its peer was dropped.
  for (int i = 0; i < 3000; ++i) {
    last = KindOf((*b)->Read(absl::Seconds(5)));
    if (last != "error:RATE_LIMITED" && last != "error:RESOURCE_EXHAUSTED") break;
  }
  EXPECT_EQ(last, "peerLeft:DISCONNECTED") << "after " << (absl::Now() - start);
  // The slow reader drains what was buffered and finds the close code.
  EXPECT_EQ(CodeText(a.WaitClose(absl::Seconds(10))), "1013");
  a.Close();
  b->reset();
  ExpectHealthy(stack);
}

TEST(HostileSlowloris, HeaderOneByteAtATimeIsCutOffAfterTheUpgradeTimeout) {
  Stack stack(StackOptions{
      .gateway = [](gateway::GatewayOptions& g) { g.upgrade_timeout = absl::Seconds(1); }});
  Raw raw(stack.gateway_port());
  ASSERT_TRUE(raw.connected());
  const std::string request = Request(DefaultHeaders());
  const absl::Time start = absl::Now();
  bool closed = false;
  for (size_t i = 0; i < request.size() - 2 && absl::Now() - start < absl::Seconds(6); ++i) {
    if (!raw.Write(request.substr(i, 1), absl::Milliseconds(500))) {
      closed = true;
      break;
    }
    raw.ReadMore(absl::Milliseconds(250));  // one byte per 250 ms
    if (raw.eof()) {
      closed = true;
      break;
    }
  }
  if (!closed) closed = raw.WaitEof(absl::Seconds(1));
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(closed) << "the server kept a slowloris connection open for " << took;
  EXPECT_LT(took, absl::Seconds(3)) << "closed only after " << took;
  EXPECT_EQ(raw.ReadHttpStatus(absl::ZeroDuration()) == 101, false);
  raw.Close();
  ExpectHealthy(stack);
}

TEST(HostileSlowloris, SilentConnectionIsClosedAfterTheUpgradeTimeout) {
  Stack stack(StackOptions{
      .gateway = [](gateway::GatewayOptions& g) { g.upgrade_timeout = absl::Seconds(1); }});
  // Before the connect: the server's timer cannot start earlier.
  const absl::Time start = absl::Now();
  Raw raw(stack.gateway_port());
  ASSERT_TRUE(raw.connected());
  EXPECT_TRUE(raw.WaitEof(absl::Seconds(8)))
      << "a connection that never sent a request stayed open";
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  raw.Close();
  ExpectHealthy(stack);
}

TEST(HostileIdle, SilentClientIsClosed1001) {
  // idle 1 s: a joined client that sends nothing and never answers the
  // server's ping is closed with 1001 (section 6, idle).
  Stack stack(StackOptions{
      .gateway = [](gateway::GatewayOptions& g) { g.idle_timeout = absl::Seconds(1); }});
  // Before the join: its last activity, the join, cannot be earlier.
  const absl::Time start = absl::Now();
  Raw silent(stack.gateway_port());
  ASSERT_EQ(
      RawJoin(silent, JoinJson(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "ACCEPTOR", "kiosk-2")),
      "joined");
  EXPECT_EQ(CodeText(silent.WaitClose(absl::Seconds(8))), "1001");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900)) << "closed before the idle timeout";
  silent.Close();
  ExpectHealthy(stack);
}

// A client that answers every server ping but sends nothing else stays,
// over three pings: three half idle periods, more than the idle time. An
// idle time of 4 s leaves the client 2 s to answer each ping.
TEST(HostileIdle, ClientAnsweringPingsStaysOpen) {
  constexpr absl::Duration kIdle = absl::Seconds(4);
  Stack stack(StackOptions{.gateway = [&](gateway::GatewayOptions& g) { g.idle_timeout = kIdle; }});
  Raw answering(stack.gateway_port());
  ASSERT_EQ(RawJoin(answering,
                    JoinJson(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "ACCEPTOR", "kiosk-1")),
            "joined");
  int answered = 0;
  std::optional<uint16_t> closed;
  const absl::Time start = absl::Now();
  while (!closed && answered < 3 && absl::Now() - start < absl::Seconds(60)) {
    auto f = answering.ReadFrame(absl::Milliseconds(100));
    if (!f) {
      if (answering.eof()) closed = 1006;
      continue;
    }
    if (f->opcode == 0x9) {
      answering.Write(BuildFrame(0xA, f->payload));
      ++answered;
    } else if (f->opcode == 0x8) {
      closed = CloseCodeOf(*f);
    }
  }
  EXPECT_FALSE(closed.has_value())
      << "closed with " << CodeText(closed) << " after " << (absl::Now() - start) << ", "
      << answered << " pings answered";
  EXPECT_GE(answered, 3) << "pings every half idle period";
  EXPECT_GT(absl::Now() - start, kIdle) << "not open longer than the idle time";
  answering.Close();
  ExpectHealthy(stack);
}

}  // namespace
}  // namespace signaling::testing
