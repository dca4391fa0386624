// The event queue of a simulated cluster (simulated_cluster.h): one seeded
// PRNG and one fake clock, so that a run is a function of its seed. An
// event may belong to a replica; while that replica is paused its events
// wait, and run at its wake in their original order, as a stopped process
// would find them.
//
// Not thread-safe: everything runs on the test's thread.
#ifndef TESTS_SERVICES_MATCHING_SIM_EVENTS_H_
#define TESTS_SERVICES_MATCHING_SIM_EVENTS_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/functional/function_ref.h"
#include "absl/time/time.h"
#include "tests/services/matching/fake_clock.h"

namespace signaling::matching::sim {

class Sim {
 public:
  using Fn = absl::AnyInvocable<void()>;
  static constexpr int kNobody = -1;  // an event of no replica (the directory's)

  Sim(uint64_t seed, int replicas)
      : rng_(seed), paused_until_(replicas, absl::InfinitePast()), deferred_(replicas) {}

  FakeClock& clock() { return clock_; }
  // How often each kind of thing happened in the run ("claim:REPLACED",
  // "evict:none", "reassert:lost", ...): what the run covered.
  std::map<std::string, int>& counts() { return counts_; }
  void Count(const std::string& what) { ++counts_[what]; }
  // A failing seed's second run traces what the network did; formatted
  // only then.
  void set_trace(std::function<void(const std::string&)> trace) { trace_ = std::move(trace); }
  void Trace(absl::FunctionRef<std::string()> line) {
    if (trace_) trace_(line());
  }
  absl::Time Now() { return clock_.Now(); }
  uint64_t Uniform(uint64_t n) { return rng_() % n; }  // [0, n); portable, unlike <random>'s
  bool Chance(double p) { return p > 0 && static_cast<double>(rng_() >> 11) * 0x1p-53 < p; }
  absl::Duration Millis(int64_t lo, int64_t hi) {
    return absl::Milliseconds(lo + static_cast<int64_t>(Uniform(hi - lo + 1)));
  }
  // One hop: mostly quick, sometimes slow enough to be overtaken.
  absl::Duration Delay() { return Chance(0.15) ? Millis(40, 400) : Millis(1, 40); }

  // Runs `fn` at `at` (now if earlier) on behalf of `replica`: while it is
  // paused the event waits, and runs at its wake in its original order.
  void At(absl::Time at, int replica, Fn fn) {
    const int64_t ns = absl::ToUnixNanos(std::max(at, Now()));
    events_.emplace(std::make_pair(ns, next_seq_++), Event{replica, std::move(fn)});
  }
  void After(absl::Duration d, int replica, Fn fn) { At(Now() + d, replica, std::move(fn)); }

  // Paused from now until its wake at `until` (or WakeAll).
  void Pause(int replica, absl::Time until) {
    paused_until_[replica] = until;
    At(until, kNobody, [this, replica, until] {
      if (paused_until_[replica] == until) Wake(replica);  // not woken and paused again since
    });
  }
  // Until its wake event ran: an event due at the wake itself still waits
  // behind the ones deferred before it.
  bool Paused(int replica) const { return paused_until_[replica] != absl::InfinitePast(); }
  bool AnyPaused() const {
    for (size_t r = 0; r < paused_until_.size(); ++r) {
      if (Paused(static_cast<int>(r))) return true;
    }
    return false;
  }
  void WakeAll() {
    for (size_t r = 0; r < paused_until_.size(); ++r) Wake(static_cast<int>(r));
  }

  // Runs (or defers) the next event due by `limit`, moving the clock to it;
  // false when there is none.
  bool RunNext(absl::Time limit) {
    if (events_.empty() || events_.begin()->first.first > absl::ToUnixNanos(limit)) return false;
    auto node = events_.extract(events_.begin());
    const absl::Time at = absl::FromUnixNanos(node.key().first);
    if (at > Now()) clock_.Advance(at - Now());
    Event& event = node.mapped();
    if (event.replica != kNobody && Paused(event.replica)) {
      deferred_[event.replica].push_back(std::move(event.fn));
    } else {
      event.fn();
    }
    return true;
  }
  void AdvanceTo(absl::Time t) {
    if (t > Now()) clock_.Advance(t - Now());
  }

 private:
  struct Event {
    int replica;
    Fn fn;
  };
  void Wake(int replica) {
    paused_until_[replica] = absl::InfinitePast();
    std::vector<Fn> waiting = std::move(deferred_[replica]);
    deferred_[replica].clear();
    for (Fn& fn : waiting) At(Now(), replica, std::move(fn));
  }

  FakeClock clock_;
  std::function<void(const std::string&)> trace_;
  std::map<std::string, int> counts_;
  std::mt19937_64 rng_;
  std::map<std::pair<int64_t, uint64_t>, Event> events_;  // by (time, order of scheduling)
  uint64_t next_seq_ = 0;
  std::vector<absl::Time> paused_until_;  // InfinitePast: running
  std::vector<std::vector<Fn>> deferred_;
};

}  // namespace signaling::matching::sim

#endif  // TESTS_SERVICES_MATCHING_SIM_EVENTS_H_
