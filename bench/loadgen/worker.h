// The load generator's threads: each Worker runs one io_context holding
// many connections, and counts what they measure in its own Stats (merged
// once the workers have stopped). A Run holds what every worker shares.
#ifndef BENCH_LOADGEN_WORKER_H_
#define BENCH_LOADGEN_WORKER_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "bench/loadgen/histogram.h"
#include "bench/loadgen/wire.h"
#include "bench/loadgen/ws_client.h"
#include "boost/asio.hpp"

namespace signaling::loadgen {

// CLOCK_MONOTONIC in nanoseconds.
int64_t NowNs();

// What one worker measured. Written on its thread only.
struct Stats {
  Histogram tta;      // pairing: offerer open -> answer
  Histogram e2e;      // pairing: scheduled start -> answer
  Histogram latency;  // relay: one-way candidate latency
  Histogram joined;   // idle/churn: start -> joined
  uint64_t started = 0, completed = 0, dropped = 0, sent = 0, received = 0, joined_count = 0;
  std::map<std::string, uint64_t> errors;  // by kind

  void Error(const std::string& kind) { ++errors[kind]; }
  void Merge(const Stats& other);
  uint64_t error_count() const;
};

// Something a worker keeps alive until it is finished (a pair, a session).
struct Task {
  virtual ~Task() = default;
  // Drops its connections at the end of the run.
  virtual void Shutdown() = 0;
};

struct Run;

struct Worker {
  Worker(Run* run, int index) : run(run), index(index) {}

  // A peer id unique in the run: <run_id><tag><worker>x<n>.
  std::string NewId(const char* tag);
  // Forgets task `key` (posted: the task may be on the stack).
  void Remove(uint64_t key);

  Run* const run;
  const int index;
  boost::asio::io_context ioc{1};
  boost::asio::steady_timer timer{ioc};
  Stats stats;
  uint64_t next_id = 0;
  std::unordered_map<uint64_t, std::shared_ptr<Task>> live;
  std::thread thread;
  std::atomic<int64_t> inflight{0};
};

// Shared by every worker of a run; lives until the workers are joined.
struct Run {
  Run(const Wire& wire, ClientOptions& client, std::string run_id)
      : wire(wire), client(client), run_id(std::move(run_id)) {}

  // Starts `n` workers, each on its own thread.
  void StartWorkers(int n);
  // Shuts every live task down, then stops and joins the workers.
  void StopWorkers();
  // The sum of every worker's stats (after StopWorkers).
  Stats Total() const;
  // Racy sums for watching progress from the main thread.
  int64_t Inflight() const;
  int64_t JoinedCount() const;

  const Wire& wire;
  ClientOptions& client;
  const std::string run_id;
  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<bool> running{true};
  std::atomic<int64_t> ready{0};         // relay: pairs set up
  std::atomic<int64_t> setup_failed{0};  // relay: pairs that failed to set up

 private:
  std::vector<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> guards_;
};

// Open-loop ticker: calls fn(scheduled_ns) at `rate` per second on the
// worker's thread, catching up when late, until run->running goes false.
void Tick(Worker* w, double rate, std::function<void(int64_t sched)> fn);

// Sleeps the calling (main) thread.
void SleepS(double s);

}  // namespace signaling::loadgen

#endif  // BENCH_LOADGEN_WORKER_H_
