// The load generator's worker threads; see worker.h.
#include "bench/loadgen/worker.h"

#include <time.h>

#include <chrono>

#include "absl/strings/str_cat.h"

namespace signaling::loadgen {

namespace asio = boost::asio;

int64_t NowNs() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void SleepS(double s) { std::this_thread::sleep_for(std::chrono::duration<double>(s)); }

void Stats::Merge(const Stats& o) {
  tta.Merge(o.tta);
  e2e.Merge(o.e2e);
  latency.Merge(o.latency);
  joined.Merge(o.joined);
  started += o.started;
  completed += o.completed;
  dropped += o.dropped;
  sent += o.sent;
  received += o.received;
  joined_count += o.joined_count;
  for (const auto& [k, n] : o.errors) errors[k] += n;
}

uint64_t Stats::error_count() const {
  uint64_t n = 0;
  for (const auto& [k, v] : errors) n += v;
  return n;
}

std::string Worker::NewId(const char* tag) {
  return absl::StrCat(run->run_id, tag, index, "x", next_id++);
}

void Worker::Remove(uint64_t key) {
  asio::post(ioc, [this, key] { live.erase(key); });
}

void Run::StartWorkers(int n) {
  for (int i = 0; i < n; ++i) workers.push_back(std::make_unique<Worker>(this, i));
  for (auto& w : workers) {
    guards_.push_back(asio::make_work_guard(w->ioc));
    w->thread = std::thread([w = w.get()] { w->ioc.run(); });
  }
}

void Run::StopWorkers() {
  // Abort everything still open, then stop the loops.
  for (auto& wp : workers) {
    Worker* w = wp.get();
    asio::post(w->ioc, [w] {
      w->timer.cancel();
      auto live = std::move(w->live);
      for (auto& [k, t] : live) t->Shutdown();
      w->live.clear();
    });
  }
  SleepS(0.2);
  guards_.clear();
  for (auto& w : workers) {
    w->ioc.stop();
    w->thread.join();
  }
}

Stats Run::Total() const {
  Stats total;
  for (const auto& w : workers) total.Merge(w->stats);
  return total;
}

int64_t Run::Inflight() const {
  int64_t n = 0;
  for (const auto& w : workers) n += w->inflight;
  return n;
}

int64_t Run::JoinedCount() const {
  // Each worker's counter is only written on its thread; a racy read is
  // good enough to watch progress.
  int64_t j = 0;
  for (const auto& w : workers)
    j += static_cast<int64_t>(reinterpret_cast<volatile uint64_t&>(w->stats.joined_count));
  return j;
}

namespace {

void TickFrom(Worker* w, double rate, std::function<void(int64_t)> fn,
              std::shared_ptr<int64_t> next_ns) {
  const int64_t period = static_cast<int64_t>(1e9 / rate);
  const int64_t now = NowNs();
  while (*next_ns <= now && w->run->running) {
    fn(*next_ns);
    *next_ns += period;
  }
  if (!w->run->running) return;
  w->timer.expires_after(std::chrono::nanoseconds(*next_ns - now));
  w->timer.async_wait([w, rate, fn, next_ns](boost::system::error_code ec) {
    if (!ec) TickFrom(w, rate, fn, next_ns);
  });
}

}  // namespace

void Tick(Worker* w, double rate, std::function<void(int64_t sched)> fn) {
  TickFrom(w, rate, std::move(fn), std::make_shared<int64_t>(NowNs()));
}

}  // namespace signaling::loadgen
