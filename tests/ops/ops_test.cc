// Operations, end to end: the three REAL service binaries run as child
// processes on loopback. Their /metrics are checked for exact values after a
// scripted session mix and validated by `promtool check metrics`; a real
// Prometheus scrapes them; /healthz, /readyz and the SIGTERM drain are
// exercised against the running processes.
#include <signal.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/process_stack.h"
#include "tests/integration/wait.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

constexpr char kCandidate[] = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";
constexpr char kPrometheus[] = "/usr/bin/prometheus";
constexpr char kPromtool[] = "/usr/bin/promtool";

// A joined acceptor `id` and a joined offerer, paired.
void JoinPair(ProcessStack& s, const std::string& id, std::unique_ptr<WsClient>& a,
              std::unique_ptr<WsClient>& b) {
  a = s.Connect();
  ASSERT_TRUE(a);
  a->Send(JoinAcceptor(s.Token("owner-" + id, {id}, {}), id));
  ASSERT_EQ(KindOf(a->Read()), "joined");
  b = s.Connect();
  ASSERT_TRUE(b);
  b->Send(JoinOfferer(s.Token("user-" + id, {}, {"kiosk-*"}), id));
  ASSERT_EQ(KindOf(b->Read()), "joined");
  ASSERT_EQ(KindOf(a->Read()), "paired");
  ASSERT_EQ(KindOf(b->Read()), "paired");
}

// Offer, answer and one candidate each way.
void Negotiate(WsClient& a, WsClient& b) {
  b.Send(Offer(kTestOffer));
  ASSERT_EQ(KindOf(a.Read()), "offer");
  a.Send(Answer(kTestAnswer));
  ASSERT_EQ(KindOf(b.Read()), "answer");
  b.Send(Candidate(kCandidate));
  ASSERT_EQ(KindOf(a.Read()), "iceCandidate");
  a.Send(Candidate(kCandidate));
  ASSERT_EQ(KindOf(b.Read()), "iceCandidate");
}

// Runs promtool on a /metrics body: exit code and combined output.
std::pair<int, std::string> Promtool(const std::string& dir, const std::string& name,
                                     const std::string& body) {
  const std::string in = dir + "/" + name + ".prom";
  const std::string out = dir + "/" + name + ".promtool";
  std::ofstream(in, std::ios::binary) << body;
  const int rc =
      std::system(absl::StrCat(kPromtool, " check metrics < ", in, " > ", out, " 2>&1").c_str());
  return {rc == -1 ? -1 : WEXITSTATUS(rc), ReadFile(out)};
}

TEST(OpsTest, MetricsAfterScriptedSessionMix) {
  ProcessStack s;
  ASSERT_TRUE(s.Start());
  int joins = 0;  // joins carrying a valid token: each is one verification

  // Pairing 1: full negotiation, then the offerer leaves.
  std::unique_ptr<WsClient> a1, b1, a2, b2;
  JoinPair(s, "kiosk-1", a1, b1);
  joins += 2;
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  Negotiate(*a1, *b1);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  b1->Send(Leave());
  EXPECT_EQ(KindOf(a1->Read()), "peerLeft:LEFT");
  EXPECT_EQ(b1->WaitClose(), 1000);

  // Pairing 2: full negotiation, stays live.
  JoinPair(s, "kiosk-2", a2, b2);
  joins += 2;
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  Negotiate(*a2, *b2);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  // An offerer targeting an id its token does not grant.
  auto denied = s.Connect();
  ASSERT_TRUE(denied);
  denied->Send(JoinOfferer(s.Token("user-x", {}, {"kiosk-*"}), "vault-1"));
  ++joins;
  EXPECT_EQ(KindOf(denied->Read()), "error:PERMISSION_DENIED");
  EXPECT_EQ(denied->WaitClose(), 4003);

  // Malformed JSON.
  auto malformed = s.Connect();
  ASSERT_TRUE(malformed);
  malformed->SendRaw("{\"join\": {", true);
  EXPECT_EQ(KindOf(malformed->Read()), "error:INVALID_MESSAGE");
  EXPECT_EQ(malformed->WaitClose(), 1007);

  const int open_clients = 3;  // a1, a2, b2
  const std::vector<std::pair<std::string, double>> gateway_expect = {
      {"signaling_gateway_connections", open_clients},
      {"signaling_gateway_connections_opened_total", 6},
      {"signaling_gateway_connections_closed_total{code=\"1000\"}", 1},
      {"signaling_gateway_connections_closed_total{code=\"4003\"}", 1},
      {"signaling_gateway_connections_closed_total{code=\"1007\"}", 1},
      {"signaling_gateway_invalid_messages_total", 1},
      {"signaling_gateway_matching_connected", 1},
  };
  const std::vector<std::pair<std::string, double>> matching_expect = {
      {"signaling_matching_pairings_started_total", 2},
      {"signaling_matching_pairings_completed_total", 2},
      {"signaling_matching_messages_relayed_total{kind=\"offer\"}", 2},
      {"signaling_matching_messages_relayed_total{kind=\"answer\"}", 2},
      {"signaling_matching_messages_relayed_total{kind=\"iceCandidate\"}", 4},
      {"signaling_matching_pairings_ended_total{reason=\"LEFT\"}", 1},
      {"signaling_matching_pairings_ended_total{reason=\"DISCONNECTED\"}", 0},
      {"signaling_matching_pairings_ended_total{reason=\"TIMEOUT\"}", 0},
      {"signaling_matching_pairings_ended_total{reason=\"REPLACED\"}", 0},
      {"signaling_matching_refused_total{code=\"PERMISSION_DENIED\"}", 1},
      {"signaling_matching_offer_to_answer_seconds_count", 2},
      {"signaling_matching_join_to_paired_seconds_count", 2},
      {"signaling_matching_verify_calls_total{result=\"ok\"}", joins},
      {"signaling_matching_verify_calls_total{result=\"unauthenticated\"}", 0},
      {"signaling_matching_pairings", 1},
      {"signaling_matching_ids", 2},
      {"signaling_matching_waiting_offerers", 0},
      {"signaling_matching_sessions{role=\"ACCEPTOR\"}", 2},
      {"signaling_matching_sessions{role=\"OFFERER\"}", 1},
  };
  const std::vector<std::pair<std::string, double>> auth_expect = {
      {"signaling_auth_verifications_total{result=\"ok\"}", joins},
      {"signaling_auth_verifications_total{result=\"refused\"}", 0},
  };
  struct Target {
    const char* name;
    uint16_t port;
    const std::vector<std::pair<std::string, double>>* expect;
    std::string body;
  };
  std::vector<Target> targets = {{"gateway", s.gateway_admin, &gateway_expect, ""},
                                 {"matching", s.matching_admin, &matching_expect, ""},
                                 {"auth", s.auth_admin, &auth_expect, ""}};

  // Close accounting is asynchronous: poll (bounded) until the values settle,
  // then assert on the last scrape.
  WaitFor(
      [&] {
        bool all = true;
        for (Target& t : targets) {
          HttpResult r = HttpGet(t.port, "/metrics");
          t.body = r.status == 200 ? r.body : "";
          const auto m = ParseMetrics(t.body);
          for (const auto& [key, value] : *t.expect) {
            auto it = m.find(key);
            if (it == m.end() || it->second != value) all = false;
          }
        }
        return all;
      },
      absl::Seconds(5), absl::Milliseconds(50));
  for (const Target& t : targets) {
    SCOPED_TRACE(t.name);
    ASSERT_FALSE(t.body.empty()) << "no /metrics from " << t.name;
    const auto m = ParseMetrics(t.body);
    for (const auto& [key, value] : *t.expect) {
      auto it = m.find(key);
      if (it == m.end()) {
        ADD_FAILURE() << t.name << ": missing " << key;
      } else {
        EXPECT_EQ(it->second, value) << t.name << ": " << key;
      }
    }
    for (const char* key :
         {"process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"}) {
      auto it = m.find(key);
      ASSERT_NE(it, m.end()) << t.name << ": missing " << key;
      EXPECT_GT(it->second, 0) << t.name << ": " << key;
    }
    EXPECT_NE(m.find("process_cpu_seconds_total"), m.end()) << t.name;
    const auto [rc, out] = Promtool(s.dir(), t.name, t.body);
    EXPECT_EQ(rc, 0) << t.name << ": promtool: " << out;
    EXPECT_EQ(out, "") << t.name << ": promtool output";
  }
}

TEST(OpsTest, PrometheusScrapesAllThree) {
  ProcessStack s;
  ASSERT_TRUE(s.Start());
  const uint16_t prom_port = FreePort();
  const std::string config = s.dir() + "/prometheus.yml";
  std::ofstream(config) << "global:\n"
                           "  scrape_interval: 1s\n"
                           "  scrape_timeout: 1s\n"
                           "scrape_configs:\n"
                           "  - job_name: signaling\n"
                           "    static_configs:\n"
                           "      - targets: ['127.0.0.1:"
                        << s.gateway_admin << "', '127.0.0.1:" << s.matching_admin
                        << "', '127.0.0.1:" << s.auth_admin << "']\n";
  Child prometheus;
  ASSERT_TRUE(prometheus.Spawn(
      {kPrometheus, "--config.file=" + config, "--storage.tsdb.path=" + s.dir() + "/tsdb",
       "--web.listen-address=127.0.0.1:" + std::to_string(prom_port)},
      s.dir() + "/prometheus.log"));
  std::map<std::string, std::string> up;  // instance -> value
  std::string last;
  // Until all three are up, or Prometheus has exited (the log says why).
  WaitFor(
      [&] {
        HttpResult r = HttpGet(prom_port, "/api/v1/query?query=up", absl::Seconds(1));
        if (r.status == 200) {
          last = r.body;
          auto j = nlohmann::json::parse(r.body, nullptr, false);
          up.clear();
          if (!j.is_discarded() && j.value("status", "") == "success") {
            for (const auto& sample : j["data"]["result"]) {
              up[sample["metric"].value("instance", "")] = sample["value"][1].get<std::string>();
            }
          }
          bool all = up.size() == 3;
          for (const auto& [instance, value] : up) all = all && value == "1";
          if (all) return true;
        }
        return !prometheus.running() || prometheus.WaitExitStatus(absl::ZeroDuration());
      },
      absl::Seconds(30), absl::Milliseconds(250));
  std::map<std::string, std::string> expected;
  for (uint16_t p : {s.gateway_admin, s.matching_admin, s.auth_admin}) {
    expected[absl::StrCat("127.0.0.1:", p)] = "1";
  }
  EXPECT_EQ(up, expected) << "last answer: " << last << "\nprometheus log:\n"
                          << ReadFile(s.dir() + "/prometheus.log").substr(0, 4000);
  prometheus.Kill();
}

// The grace is long enough that what it promises (the pairing still
// served) is checked well inside it, however slow the machine.
TEST(OpsTest, HealthAndDrain) {
  constexpr absl::Duration kGrace = absl::Seconds(5);
  ProcessStackOptions options;
  options.drain_grace_ms = absl::ToInt64Milliseconds(kGrace);
  ProcessStack s(options);
  ASSERT_TRUE(s.Start());
  std::unique_ptr<WsClient> a, b;
  JoinPair(s, "kiosk-7", a, b);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  b->Send(Offer(kTestOffer));
  ASSERT_EQ(KindOf(a->Read()), "offer");
  EXPECT_EQ(HttpGet(s.gateway_admin, "/readyz").status, 200);
  EXPECT_EQ(HttpGet(s.gateway_admin, "/healthz").status, 200);

  const absl::Time term = absl::Now();
  s.gateway.Signal(SIGTERM);

  // Not ready promptly; still alive.
  int ready = 0;
  WaitUntil(
      [&] {
        return (ready = HttpGet(s.gateway_admin, "/readyz", absl::Milliseconds(500)).status) == 503;
      },
      term + absl::Seconds(2));
  EXPECT_EQ(ready, 503) << "readyz did not turn 503 within 2 s of SIGTERM";
  EXPECT_EQ(HttpGet(s.gateway_admin, "/healthz").status, 200) << "healthz while draining";

  // Both sides are told to go away.
  for (WsClient* c : {a.get(), b.get()}) {
    auto m = c->Read(absl::Seconds(2));
    ASSERT_EQ(KindOf(m), "goAway");
    EXPECT_EQ(m->go_away().reconnect_after_ms(), 500u);
  }

  // The pairing is still served during the grace period.
  b->Send(Candidate(kCandidate));
  auto relayed = a->Read(absl::Seconds(2));
  EXPECT_EQ(KindOf(relayed), "iceCandidate");
  if (relayed.ok()) EXPECT_EQ(relayed->ice_candidate().candidate(), kCandidate);
  a->Send(Answer(kTestAnswer));
  EXPECT_EQ(KindOf(b->Read(absl::Seconds(2))), "answer");
  EXPECT_LT(absl::Now() - term, kGrace) << "relay checked after the grace";

  // After the grace: closed with 1001, not before.
  EXPECT_EQ(a->WaitClose(kGrace + absl::Seconds(5)), 1001);
  const absl::Duration closed_after = absl::Now() - term;
  EXPECT_EQ(b->WaitClose(absl::Seconds(5)), 1001);
  EXPECT_GE(closed_after, kGrace - absl::Milliseconds(100))
      << "closed before the drain grace ended";

  const auto gw = s.gateway.WaitExitStatus(absl::Seconds(5));
  ASSERT_TRUE(gw.has_value()) << "gateway did not exit after the drain";
  EXPECT_TRUE(WIFEXITED(*gw) && WEXITSTATUS(*gw) == 0) << "gateway: " << DescribeStatus(gw);

  for (Child* c : {&s.matching, &s.auth}) {
    c->Signal(SIGTERM);
    const auto st = c->WaitExitStatus(absl::Seconds(7));
    EXPECT_TRUE(st && WIFEXITED(*st) && WEXITSTATUS(*st) == 0)
        << c->log() << ": " << DescribeStatus(st);
  }
}

TEST(OpsTest, SecondSigtermExitsAtOnce) {
  ProcessStackOptions options;
  options.drain_grace_ms = 30000;
  ProcessStack s(options);
  ASSERT_TRUE(s.Start());
  std::unique_ptr<WsClient> a, b;
  JoinPair(s, "kiosk-7", a, b);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());

  s.gateway.Signal(SIGTERM);
  int ready = 0;
  WaitFor(
      [&] {
        return (ready = HttpGet(s.gateway_admin, "/readyz", absl::Milliseconds(500)).status) == 503;
      },
      absl::Seconds(1));
  ASSERT_EQ(ready, 503) << "not draining";
  EXPECT_EQ(KindOf(a->Read(absl::Seconds(1))), "goAway");
  ASSERT_FALSE(s.gateway.WaitExitStatus(absl::Milliseconds(300)).has_value())
      << "gateway exited before the grace (30 s) with a live pairing";

  const absl::Time second = absl::Now();
  s.gateway.Signal(SIGTERM);
  const auto st = s.gateway.WaitExitStatus(absl::Seconds(2));
  ASSERT_TRUE(st.has_value()) << "second SIGTERM did not end the gateway within 2 s";
  EXPECT_LT(absl::Now() - second, absl::Seconds(2));
  std::printf("gateway after second SIGTERM: %s\n", DescribeStatus(st).c_str());
}

}  // namespace
}  // namespace signaling::testing
