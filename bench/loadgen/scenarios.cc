// The load generator's scenario drivers; see scenarios.h.
#include "bench/loadgen/scenarios.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "bench/loadgen/sessions.h"
#include "boost/asio.hpp"

namespace signaling::loadgen {
namespace {

namespace asio = boost::asio;
using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

// Seconds since a (resettable) start.
class Stopwatch {
 public:
  void Reset() { begin_ = Clock::now(); }
  double Elapsed() const { return std::chrono::duration<double>(Clock::now() - begin_).count(); }

 private:
  Clock::time_point begin_ = Clock::now();
};

Window DrivePairing(const Params& params, Run& run, json* out) {
  Stopwatch clock;
  Window window;
  window.begin = SampleServers(params.server_pids);
  const double per_worker_rate = params.rate / run.workers.size();
  const int64_t per_worker_inflight =
      params.max_inflight / static_cast<int64_t>(run.workers.size());
  for (auto& wp : run.workers) {
    Worker* w = wp.get();
    asio::post(w->ioc, [w, per_worker_rate, per_worker_inflight] {
      Tick(w, per_worker_rate, [w, per_worker_inflight](int64_t sched) {
        ++w->stats.started;
        if (w->inflight >= per_worker_inflight) {
          ++w->stats.dropped;
          return;
        }
        const uint64_t key = w->next_id++;
        auto p = std::make_shared<Pair>(w, key, false);
        w->live[key] = p;
        p->Start(sched);
      });
    });
  }
  SleepS(params.duration_s);
  run.running = false;
  window.seconds = clock.Elapsed();
  window.end = SampleServers(params.server_pids);
  // Drain: let in-flight pairs finish.
  const auto drain_until = Clock::now() + std::chrono::duration<double>(params.drain_s);
  while (Clock::now() < drain_until && run.Inflight() != 0) SleepS(0.05);
  (*out)["incomplete"] = run.Inflight();
  (*out)["offered_rate"] = params.rate;
  return window;
}

Window DriveRelay(const Params& params, Run& run, json* out) {
  Stopwatch clock;
  Window window;
  const int threads = static_cast<int>(run.workers.size());
  // Set up `pairs` paired sessions, at most `setup_inflight` negotiating at
  // a time (1: one after the other, in order).
  const int inflight = std::max(1, params.setup_inflight);
  for (int i = 0; i < params.pairs; ++i) {
    Worker* w = run.workers[i % threads].get();
    asio::post(w->ioc, [w] {
      const uint64_t key = w->next_id++;
      auto p = std::make_shared<Pair>(w, key, true);
      w->live[key] = p;
      p->Start(NowNs());
    });
    while (i + 1 - run.ready - run.setup_failed >= inflight &&
           clock.Elapsed() < params.setup_timeout_s)
      SleepS(0.002);
  }
  while (run.ready + run.setup_failed < params.pairs && clock.Elapsed() < params.setup_timeout_s)
    SleepS(0.01);
  (*out)["pairs_ready"] = run.ready.load();
  (*out)["setup_s"] = clock.Elapsed();
  for (auto& w : run.workers) {  // the setup traffic is not measured
    asio::post(w->ioc, [w = w.get()] { w->stats.sent = w->stats.received = 0; });
  }
  SleepS(0.2);
  clock.Reset();
  window.begin = SampleServers(params.server_pids);
  const double per_worker_rate = params.rate / threads;
  for (auto& wp : run.workers) {
    Worker* w = wp.get();
    asio::post(w->ioc, [w, per_worker_rate] {
      auto order = std::make_shared<std::vector<std::weak_ptr<Pair>>>();
      for (auto& [k, t] : w->live) {
        if (auto p = std::dynamic_pointer_cast<Pair>(t)) order->push_back(p);
      }
      if (order->empty()) return;
      auto idx = std::make_shared<size_t>(0);
      Tick(w, per_worker_rate, [order, idx](int64_t) {
        const size_t i = (*idx)++;
        if (auto p = (*order)[(i / 2) % order->size()].lock()) p->SendRelay(i % 2 == 1);
      });
    });
  }
  SleepS(params.duration_s);
  run.running = false;
  window.seconds = clock.Elapsed();
  window.end = SampleServers(params.server_pids);
  SleepS(std::min(1.0, params.drain_s));  // late deliveries still count
  (*out)["offered_rate"] = params.rate;
  (*out)["pairs"] = params.pairs;
  return window;
}

Window DriveChurn(const Params& params, Run& run, json* out) {
  Stopwatch clock;
  Window window;
  window.begin = SampleServers(params.server_pids);
  const int threads = static_cast<int>(run.workers.size());
  for (int i = 0; i < params.concurrency; ++i) {
    Worker* w = run.workers[i % threads].get();
    asio::post(w->ioc, [w] { StartSingle(w, true, nullptr); });
  }
  SleepS(params.duration_s);
  run.running = false;
  window.seconds = clock.Elapsed();
  window.end = SampleServers(params.server_pids);
  SleepS(1);
  (*out)["concurrency"] = params.concurrency;
  return window;
}

Window DriveIdle(const Params& params, Run& run, json* out) {
  Stopwatch clock;
  Window window;
  const int n = params.sessions;
  const int c = std::max(1, params.concurrency);
  const int threads = static_cast<int>(run.workers.size());
  auto budget = std::make_shared<std::atomic<int64_t>>(n);
  for (int i = 0; i < std::min(c, n); ++i) {
    Worker* w = run.workers[i % threads].get();
    asio::post(w->ioc, [w, budget] { StartSingle(w, false, budget); });
  }
  int64_t last = -1;
  double last_change = 0;
  while (run.JoinedCount() < n && clock.Elapsed() < params.setup_timeout_s) {
    const int64_t j = run.JoinedCount();
    if (j != last) {
      last = j;
      last_change = clock.Elapsed();
    } else if (clock.Elapsed() - last_change > 10) {
      break;  // stalled
    }
    SleepS(0.05);
  }
  (*out)["ramp_s"] = clock.Elapsed();
  (*out)["target_sessions"] = n;
  (*out)["joined_at_hold_start"] = run.JoinedCount();
  std::fprintf(stderr, "HOLDING %lld\n", static_cast<long long>(run.JoinedCount()));
  std::fflush(stderr);
  window.begin = SampleServers(params.server_pids);
  const std::string& until = params.hold_until_file;
  const double hold_end = clock.Elapsed() + params.duration_s;
  while (clock.Elapsed() < hold_end && (until.empty() || !std::filesystem::exists(until))) {
    SleepS(0.05);
  }
  window.end = SampleServers(params.server_pids);
  window.hold_rss = {{"at_hold_start", window.begin.rss_kib},
                     {"at_hold_end", window.end.rss_kib}};
  (*out)["joined_at_hold_end"] = run.JoinedCount();
  window.seconds = params.duration_s;
  run.running = false;
  return window;
}

}  // namespace

std::optional<Scenario> ParseScenario(std::string_view name) {
  if (name == "idle") return Scenario::kIdle;
  if (name == "pairing") return Scenario::kPairing;
  if (name == "relay") return Scenario::kRelay;
  if (name == "churn") return Scenario::kChurn;
  return std::nullopt;
}

Window Drive(Scenario scenario, const Params& params, Run& run, json* out) {
  switch (scenario) {
    case Scenario::kIdle: return DriveIdle(params, run, out);
    case Scenario::kPairing: return DrivePairing(params, run, out);
    case Scenario::kRelay: return DriveRelay(params, run, out);
    case Scenario::kChurn: return DriveChurn(params, run, out);
  }
  return {};
}

void Report(Scenario scenario, const Params& params, const Stats& total, const Window& window,
            json* out) {
  constexpr double kUs = 1000.0;
  json& o = *out;
  o["duration_s"] = window.seconds;
  o["started"] = total.started;
  o["errors"] = total.error_count();
  o["error_kinds"] = total.errors;
  const bool sampled = !params.server_pids.empty();
  if (sampled) {
    o["server"] = {{"cpu_s", window.end.cpu_s - window.begin.cpu_s},
                   {"rss_kib", window.end.rss_kib}};
    if (!window.hold_rss.is_null()) o["server"]["hold_rss_kib"] = window.hold_rss;
  }
  switch (scenario) {
    case Scenario::kPairing:
      o["completed_pairs"] = total.completed;
      o["dropped_starts"] = total.dropped;
      o["achieved_rate"] = total.completed / window.seconds;
      o["time_to_answer_us"] = total.tta.Summary(kUs);
      o["start_to_answer_us"] = total.e2e.Summary(kUs);
      break;
    case Scenario::kRelay:
      o["sent"] = total.sent;
      o["received"] = total.received;
      o["achieved_rate"] = total.received / window.seconds;
      if (sampled && window.end.cpu_s > window.begin.cpu_s) {
        o["received_per_server_cpu_s"] = total.received / (window.end.cpu_s - window.begin.cpu_s);
      }
      o["one_way_latency_us"] = total.latency.Summary(kUs);
      break;
    case Scenario::kChurn:
      o["completed_sessions"] = total.completed;
      o["sessions_per_s"] = total.completed / window.seconds;
      o["time_to_joined_us"] = total.joined.Summary(kUs);
      break;
    case Scenario::kIdle:
      o["joined_at_end"] = total.joined_count;
      o["time_to_joined_us"] = total.joined.Summary(kUs);
      break;
  }
}

}  // namespace signaling::loadgen
