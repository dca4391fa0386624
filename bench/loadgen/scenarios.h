// The load generator's scenarios, driven from the main thread over a Run's
// workers:
//   idle     ramp up `sessions` joined acceptors and hold them;
//   pairing  open-loop pair arrivals at `rate`/s, each negotiating fully;
//   relay    `pairs` paired sessions relaying ~1 KB candidates at `rate`/s;
//   churn    `concurrency` loops of connect, join, close.
// Each scenario reports its figures as fields of one JSON object.
#ifndef BENCH_LOADGEN_SCENARIOS_H_
#define BENCH_LOADGEN_SCENARIOS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/loadgen/server_sample.h"
#include "bench/loadgen/worker.h"
#include "nlohmann/json.hpp"

namespace signaling::loadgen {

enum class Scenario { kIdle, kPairing, kRelay, kChurn };

// nullopt for an unknown name.
std::optional<Scenario> ParseScenario(std::string_view name);

// The settings of a run (the flags of the same names).
struct Params {
  double duration_s = 5;
  double rate = 20;
  int sessions = 10000;
  int pairs = 50;
  int concurrency = 32;
  double drain_s = 5;
  double setup_timeout_s = 120;
  int setup_inflight = 64;  // relay: pairs negotiating at a time during the set-up
  std::string hold_until_file;
  int64_t max_inflight = 20000;
  std::vector<std::string> server_pids;
};

// What was measured around the scenario's measured window.
struct Window {
  double seconds = 0;
  ServerSample begin, end;
  nlohmann::json hold_rss;  // idle: RSS at the start and end of the hold
};

// Runs `scenario` on the started workers of `run` until its measured
// window (and drain) is over; run.running is false on return. Adds the
// set-up figures to *out.
Window Drive(Scenario scenario, const Params& params, Run& run, nlohmann::json* out);

// Adds the scenario's results, from the merged stats of the stopped
// workers, to *out.
void Report(Scenario scenario, const Params& params, const Stats& total, const Window& window,
            nlohmann::json* out);

}  // namespace signaling::loadgen

#endif  // BENCH_LOADGEN_SCENARIOS_H_
