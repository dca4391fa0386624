// Registry, families and the text exposition format.
#include "common/metrics/metrics.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace signaling::metrics {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// The sample value of the line starting with `series ` in `text`, NaN if none.
double SampleValue(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(series + " ", 0) == 0) {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return std::nan("");
}

TEST(Serialize, CounterWithLabelsAndEscaping) {
  Registry r;
  auto f = r.AddCounter("signaling_ws_closes_total", "WebSocket closes by close code.",
                        {"reason", "code"});
  ASSERT_TRUE(f.ok()) << f.status();
  Counter& c = (*f)->With({{"code", "1000"}, {"reason", "a\"b\\c\nd"}});
  c.Inc();
  c.Inc(2);
  (*f)->With({{"code", "1001"}, {"reason", "away"}}).Inc(0.5);
  EXPECT_EQ(r.Serialize(),
            "# HELP signaling_ws_closes_total WebSocket closes by close code.\n"
            "# TYPE signaling_ws_closes_total counter\n"
            "signaling_ws_closes_total{code=\"1000\",reason=\"a\\\"b\\\\c\\nd\"}"
            " 3\n"
            "signaling_ws_closes_total{code=\"1001\",reason=\"away\"} 0.5\n");
}

TEST(Serialize, WithReturnsTheSameChildForTheSameLabels) {
  Registry r;
  auto f = r.AddCounter("x_total", "x", {"k"});
  ASSERT_TRUE(f.ok());
  Counter& a = (*f)->With({{"k", "v"}});
  Counter& b = (*f)->With({{"k", "v"}});
  EXPECT_EQ(&a, &b);
  EXPECT_NE(&a, &(*f)->With({{"k", "w"}}));
}

TEST(Serialize, CounterIgnoresNegativeAndNaN) {
  Registry r;
  auto f = r.AddCounter("x_total", "x");
  ASSERT_TRUE(f.ok());
  Counter& c = (*f)->With({});
  c.Inc(2);
  c.Inc(-1);
  c.Inc(std::nan(""));
  c.RaiseTo(1);  // lower: no effect
  EXPECT_EQ(c.Value(), 2);
  c.RaiseTo(7.5);
  EXPECT_EQ(c.Value(), 7.5);
}

TEST(Serialize, UnlabelledFamiliesAppearAtZero) {
  Registry r;
  ASSERT_TRUE(r.AddCounter("b_requests_total", "Requests.").ok());
  ASSERT_TRUE(r.AddGauge("a_connections", "Open connections.").ok());
  // Labelled families without children are left out.
  ASSERT_TRUE(r.AddGauge("c_rooms", "Rooms.", {"kind"}).ok());
  EXPECT_EQ(r.Serialize(),
            "# HELP a_connections Open connections.\n"
            "# TYPE a_connections gauge\n"
            "a_connections 0\n"
            "# HELP b_requests_total Requests.\n"
            "# TYPE b_requests_total counter\n"
            "b_requests_total 0\n");
}

TEST(Serialize, GaugeSetIncDec) {
  Registry r;
  auto f = r.AddGauge("signaling_sessions", "Sessions by state.", {"state"});
  ASSERT_TRUE(f.ok());
  Gauge& g = (*f)->With({{"state", "open"}});
  g.Set(10);
  g.Inc();
  g.Dec(3.5);
  Gauge& h = (*f)->With({{"state", "closing"}});
  h.Dec(2);
  EXPECT_EQ(g.Value(), 7.5);
  EXPECT_EQ(r.Serialize(),
            "# HELP signaling_sessions Sessions by state.\n"
            "# TYPE signaling_sessions gauge\n"
            "signaling_sessions{state=\"closing\"} -2\n"
            "signaling_sessions{state=\"open\"} 7.5\n");
}

TEST(Serialize, HistogramBucketsAreCumulative) {
  Registry r;
  auto f = r.AddHistogram("rpc_duration_seconds", "RPC latency.", {0.25, 0.5, 1}, {"method"});
  ASSERT_TRUE(f.ok()) << f.status();
  Histogram& h = (*f)->With({{"method", "Pair"}});
  for (double v : {0.125, 0.25, 0.5, 0.75, 3.0}) h.Observe(v);
  h.Observe(std::nan(""));  // ignored
  EXPECT_EQ(r.Serialize(),
            "# HELP rpc_duration_seconds RPC latency.\n"
            "# TYPE rpc_duration_seconds histogram\n"
            "rpc_duration_seconds_bucket{method=\"Pair\",le=\"0.25\"} 2\n"
            "rpc_duration_seconds_bucket{method=\"Pair\",le=\"0.5\"} 3\n"
            "rpc_duration_seconds_bucket{method=\"Pair\",le=\"1\"} 4\n"
            "rpc_duration_seconds_bucket{method=\"Pair\",le=\"+Inf\"} 5\n"
            "rpc_duration_seconds_sum{method=\"Pair\"} 4.625\n"
            "rpc_duration_seconds_count{method=\"Pair\"} 5\n");
}

TEST(Serialize, UnlabelledHistogram) {
  Registry r;
  auto f = r.AddHistogram("msg_size_bytes", "Sizes.", {100});
  ASSERT_TRUE(f.ok());
  (*f)->With({}).Observe(-5);
  EXPECT_EQ(r.Serialize(),
            "# HELP msg_size_bytes Sizes.\n"
            "# TYPE msg_size_bytes histogram\n"
            "msg_size_bytes_bucket{le=\"100\"} 1\n"
            "msg_size_bytes_bucket{le=\"+Inf\"} 1\n"
            "msg_size_bytes_sum -5\n"
            "msg_size_bytes_count 1\n");
}

TEST(Serialize, HelpIsEscaped) {
  Registry r;
  ASSERT_TRUE(r.AddGauge("g", "back\\slash\nnew \"line\"").ok());
  EXPECT_THAT(r.Serialize(), HasSubstr("# HELP g back\\\\slash\\nnew \"line\"\n"));
}

TEST(Serialize, InvalidUtf8InLabelValuesIsReplaced) {
  Registry r;
  auto f = r.AddGauge("g", "g", {"k"});
  ASSERT_TRUE(f.ok());
  (*f)->With({{"k",
               "a\xff"
               "b\xe2\x82"}})
      .Set(1);
  (*f)->With({{"k", "\xe2\x82\xac\xed\xa0\x80"}}).Set(2);  // "€", surrogate
  const std::string text = r.Serialize();
  EXPECT_THAT(text, HasSubstr("g{k=\"a\xef\xbf\xbd"
                              "b\xef\xbf\xbd\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("g{k=\"\xe2\x82\xac\xef\xbf\xbd\xef\xbf\xbd"));
}

TEST(Serialize, MismatchedLabelsGetADetachedChild) {
  Registry r;
  auto f = r.AddCounter("x_total", "x", {"code"});
  ASSERT_TRUE(f.ok());
  (*f)->With({{"cod", "1"}}).Inc();
  (*f)->With({{"code", "1"}, {"extra", "2"}}).Inc();
  (*f)->With({}).Inc();
  EXPECT_EQ(r.Serialize(), "");
}

TEST(FormatValue, ShortestRoundTrip) {
  EXPECT_EQ(FormatValue(0), "0");
  EXPECT_EQ(FormatValue(1), "1");
  EXPECT_EQ(FormatValue(-2.5), "-2.5");
  EXPECT_EQ(FormatValue(0.1), "0.1");
  EXPECT_EQ(FormatValue(1234567), "1234567");
  EXPECT_EQ(FormatValue(1e21), "1e+21");
  EXPECT_EQ(FormatValue(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(FormatValue(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(FormatValue(std::nan("")), "NaN");
}

TEST(Buckets, ExponentialAndLinear) {
  EXPECT_EQ(ExponentialBuckets(1, 2, 4), (std::vector<double>{1, 2, 4, 8}));
  EXPECT_EQ(ExponentialBuckets(0.005, 10, 3),
            (std::vector<double>{0.005, 0.005 * 10, 0.005 * 10 * 10}));
  EXPECT_TRUE(ExponentialBuckets(0, 2, 4).empty());
  EXPECT_TRUE(ExponentialBuckets(1, 1, 4).empty());
  EXPECT_TRUE(ExponentialBuckets(1, 2, 0).empty());
  EXPECT_TRUE(ExponentialBuckets(1, 1e300, 3).empty());
  EXPECT_EQ(LinearBuckets(1, 0.5, 3), (std::vector<double>{1, 1.5, 2}));
  EXPECT_TRUE(LinearBuckets(1, 0, 3).empty());
  EXPECT_TRUE(LinearBuckets(1, 1, 0).empty());
  Registry r;
  EXPECT_EQ(r.AddHistogram("h", "h", ExponentialBuckets(0, 2, 4)).status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST(Registration, RejectsInvalidNames) {
  Registry r;
  for (const char* name : {"", "1abc", "a-b", "a b", "é", "x_total\n"}) {
    EXPECT_EQ(r.AddGauge(name, "h").status().code(), absl::StatusCode::kInvalidArgument) << name;
  }
  EXPECT_TRUE(r.AddGauge("ns:sub_metric9", "h").ok());
  EXPECT_TRUE(r.AddGauge("_private", "h").ok());
}

TEST(Registration, CountersMustEndInTotal) {
  Registry r;
  EXPECT_EQ(r.AddCounter("requests", "h").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddCounter("_total", "h").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(r.AddCounter("bad-name_total", "h").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.AddCounter("requests_total", "h").ok());
}

TEST(Registration, RejectsInvalidLabelNames) {
  Registry r;
  const std::vector<std::vector<std::string>> bad = {{""},    {"1a"},         {"a-b"},
                                                     {"a:b"}, {"__reserved"}, {"a", "a"}};
  for (const auto& labels : bad) {
    EXPECT_EQ(r.AddGauge("g", "h", labels).status().code(), absl::StatusCode::kInvalidArgument)
        << labels[0];
  }
  EXPECT_EQ(r.AddHistogram("h", "h", {1}, {"le"}).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_TRUE(r.AddGauge("g_le", "h", {"le", "_x", "a1"}).ok());
}

TEST(Registration, RejectsBadBounds) {
  Registry r;
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<std::vector<double>> bad = {{}, {1, 1}, {2, 1}, {1, inf}, {std::nan("")}};
  for (const auto& bounds : bad) {
    EXPECT_EQ(r.AddHistogram("h", "h", bounds).status().code(), absl::StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(r.AddHistogram("h", "h", {-1, 0, 1}).ok());
}

TEST(Registration, RejectsClashingNames) {
  Registry r;
  ASSERT_TRUE(r.AddGauge("g", "h").ok());
  EXPECT_EQ(r.AddGauge("g", "h").status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(r.AddCounter("c_total", "h").ok());
  EXPECT_EQ(r.AddGauge("c_total", "h").status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(r.AddHistogram("lat_seconds", "h", {1}).ok());
  EXPECT_EQ(r.AddGauge("lat_seconds_count", "h").status().code(), absl::StatusCode::kAlreadyExists);
  ASSERT_TRUE(r.AddGauge("size_bytes_bucket", "h").ok());
  EXPECT_EQ(r.AddHistogram("size_bytes", "h", {1}).status().code(),
            absl::StatusCode::kAlreadyExists);
  // A failed registration claims nothing.
  EXPECT_TRUE(r.AddGauge("size_bytes", "h").ok());
}

TEST(Concurrency, IncrementsFromManyThreadsAreExact) {
  Registry r;
  auto counters = r.AddCounter("ops_total", "h", {"worker"});
  auto gauge = r.AddGauge("in_flight", "h");
  auto hist = r.AddHistogram("op_seconds", "h", {0.5, 1.5});
  ASSERT_TRUE(counters.ok() && gauge.ok() && hist.ok());
  constexpr int kThreads = 8;
  constexpr int kIterations = 100000;
  std::vector<std::thread> threads;
  std::atomic<bool> done{false};
  // A concurrent scraper must neither crash nor see non-cumulative buckets.
  std::thread scraper([&] {
    while (!done.load()) {
      const std::string text = r.Serialize();
      const double inf = SampleValue(text, "op_seconds_bucket{le=\"+Inf\"}");
      const double first = SampleValue(text, "op_seconds_bucket{le=\"0.5\"}");
      EXPECT_LE(first, inf);
      EXPECT_EQ(inf, SampleValue(text, "op_seconds_count"));
    }
  });
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      // Every thread looks up the shared child itself, concurrently.
      Counter& shared = (*counters)->With({{"worker", "all"}});
      Counter& own = (*counters)->With({{"worker", std::to_string(t)}});
      Gauge& g = (*gauge)->With({});
      Histogram& h = (*hist)->With({});
      for (int i = 0; i < kIterations; ++i) {
        shared.Inc();
        own.Inc();
        g.Inc();
        h.Observe(i % 2);  // 0 → le 0.5, 1 → le 1.5
        g.Dec();
      }
    });
  }
  for (auto& t : threads) t.join();
  done = true;
  scraper.join();
  const std::string text = r.Serialize();
  EXPECT_EQ(SampleValue(text, "ops_total{worker=\"all\"}"), kThreads * kIterations);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_EQ(SampleValue(text, "ops_total{worker=\"" + std::to_string(t) + "\"}"), kIterations);
  }
  EXPECT_EQ(SampleValue(text, "in_flight"), 0);
  EXPECT_EQ(SampleValue(text, "op_seconds_bucket{le=\"0.5\"}"), kThreads * kIterations / 2);
  EXPECT_EQ(SampleValue(text, "op_seconds_bucket{le=\"1.5\"}"), kThreads * kIterations);
  EXPECT_EQ(SampleValue(text, "op_seconds_count"), kThreads * kIterations);
  EXPECT_EQ(SampleValue(text, "op_seconds_sum"), kThreads * kIterations / 2);
}

TEST(Collectors, RunBeforeEverySerialize) {
  Registry r;
  auto f = r.AddGauge("scrapes", "Scrapes so far.");
  ASSERT_TRUE(f.ok());
  Gauge& g = (*f)->With({});
  r.AddCollector([&g] { g.Inc(); });
  // A collector may register and look up metrics itself.
  r.AddCollector([&r] {
    auto lazy = r.AddGauge("lazy", "Registered by a collector.");
    if (lazy.ok()) (*lazy)->With({}).Set(42);
  });
  EXPECT_EQ(SampleValue(r.Serialize(), "scrapes"), 1);
  const std::string text = r.Serialize();
  EXPECT_EQ(SampleValue(text, "scrapes"), 2);
  EXPECT_EQ(SampleValue(text, "lazy"), 42);
}

TEST(DefaultRegistry, IsOneInstance) { EXPECT_EQ(&DefaultRegistry(), &DefaultRegistry()); }

TEST(ProcessMetrics, SampledFromProc) {
  Registry r;
  ASSERT_TRUE(AddProcessMetrics(r).ok());
  EXPECT_EQ(AddProcessMetrics(r).code(), absl::StatusCode::kAlreadyExists);

  const std::string before = r.Serialize();
  EXPECT_GT(SampleValue(before, "process_resident_memory_bytes"), 1 << 20);
  EXPECT_GT(SampleValue(before, "process_virtual_memory_bytes"),
            SampleValue(before, "process_resident_memory_bytes"));
  EXPECT_GE(SampleValue(before, "process_cpu_seconds_total"), 0);
  EXPECT_GE(SampleValue(before, "process_max_fds"), SampleValue(before, "process_open_fds"));
  const double start = SampleValue(before, "process_start_time_seconds");
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_LE(start, now + 1);
  EXPECT_GT(start, now - 3600);

  // Three more descriptors show up at the next scrape.
  int fds[3];
  for (int& fd : fds) fd = open("/dev/null", O_RDONLY);
  const std::string after = r.Serialize();
  for (int fd : fds) close(fd);
  EXPECT_EQ(SampleValue(after, "process_open_fds"), SampleValue(before, "process_open_fds") + 3);

  // Burn some CPU: the counter follows.
  volatile double x = 0;
  const std::clock_t until = std::clock() + CLOCKS_PER_SEC / 20;
  while (std::clock() < until) x = x + 1;
  EXPECT_GT(SampleValue(r.Serialize(), "process_cpu_seconds_total"),
            SampleValue(before, "process_cpu_seconds_total"));
}

// Runs `promtool check metrics` on `text`; returns its exit status and sets
// `output` to what it printed.
int Promtool(const std::string& text, std::string* output) {
  char out_path[] = "/tmp/promtool_outXXXXXX";
  const int out_fd = mkstemp(out_path);
  if (out_fd < 0) return -1;
  close(out_fd);
  const std::string cmd = std::string(PROMTOOL_PATH) + " check metrics >" + out_path + " 2>&1";
  FILE* pipe = popen(cmd.c_str(), "w");
  if (pipe == nullptr) return -1;
  fwrite(text.data(), 1, text.size(), pipe);
  const int status = pclose(pipe);
  std::ifstream in(out_path);
  std::ostringstream ss;
  ss << in.rdbuf();
  *output = ss.str();
  unlink(out_path);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(Promtool, AcceptsARealisticRegistry) {
  ASSERT_FALSE(std::string(PROMTOOL_PATH).empty())
      << "promtool not found at configure time (scripts/install-deps.sh installs prometheus)";
  Registry r;
  ASSERT_TRUE(AddProcessMetrics(r).ok());
  auto connections = r.AddGauge("signaling_gateway_connections", "Open WebSocket connections.");
  auto messages = r.AddCounter("signaling_gateway_messages_total",
                               "Signaling messages received, by type.", {"type"});
  auto closes = r.AddCounter("signaling_gateway_ws_closes_total",
                             "WebSocket closes, by close code and reason.", {"code", "reason"});
  auto pair_latency = r.AddHistogram("signaling_matching_pair_duration_seconds",
                                     "Time from join to pairing in seconds.",
                                     ExponentialBuckets(0.005, 2, 12), {"outcome"});
  auto sizes = r.AddHistogram("signaling_gateway_message_size_bytes",
                              "Size of signaling messages in bytes.", ExponentialBuckets(64, 4, 6));
  ASSERT_TRUE(connections.ok() && messages.ok() && closes.ok() && pair_latency.ok() && sizes.ok());
  (*connections)->With({}).Set(17);
  (*messages)->With({{"type", "offer"}}).Inc(12);
  (*messages)->With({{"type", "ice_candidate"}}).Inc(140);
  (*closes)->With({{"code", "1000"}, {"reason", "normal"}}).Inc(3);
  (*closes)->With({{"code", "4000"}, {"reason", "bad \"sdp\"\\\nline 2"}}).Inc();
  for (double v : {0.001, 0.02, 0.3, 4.0, 100.0}) {
    (*pair_latency)->With({{"outcome", "paired"}}).Observe(v);
  }
  (*pair_latency)->With({{"outcome", "timeout"}}).Observe(30);
  (*sizes)->With({}).Observe(700);

  const std::string text = r.Serialize();
  std::string output;
  EXPECT_EQ(Promtool(text, &output), 0) << output << "\n---\n" << text;
  EXPECT_EQ(output, "") << text;
}

TEST(Promtool, HarnessCatchesLintProblems) {
  ASSERT_FALSE(std::string(PROMTOOL_PATH).empty())
      << "promtool not found at configure time (scripts/install-deps.sh installs prometheus)";
  std::string output;
  EXPECT_NE(Promtool("# HELP requests Requests.\n"
                     "# TYPE requests counter\nrequests 1\n",
                     &output),
            0);
  EXPECT_THAT(output, HasSubstr("_total"));
}

}  // namespace
}  // namespace signaling::metrics
