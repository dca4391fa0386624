// The load generator's sessions, each a small state machine on its
// worker's thread: a Pair (acceptor + offerer negotiating, or staying
// paired to relay candidates) and a Single (an idle acceptor, or one turn
// of a churn loop). Failures are counted in the worker's Stats by kind.
#ifndef BENCH_LOADGEN_SESSIONS_H_
#define BENCH_LOADGEN_SESSIONS_H_

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "bench/loadgen/wire.h"
#include "bench/loadgen/worker.h"
#include "bench/loadgen/ws_client.h"

namespace signaling::loadgen {

// One acceptor + offerer pair. `relay` false (pairing): offer, answer and
// kCands candidates each way, then the offerer leaves and both close.
// `relay` true: stays paired once set up (Run::ready counts it) and sends
// timestamped candidates on SendRelay.
class Pair : public Task, public std::enable_shared_from_this<Pair> {
 public:
  static constexpr int kCands = 4;

  Pair(Worker* w, uint64_t key, bool relay) : w_(w), key_(key), relay_(relay) {}

  // Starts the acceptor; `sched` is the scheduled start (ns) it is timed from.
  void Start(int64_t sched);
  // Relay: one timestamped ~1 KB candidate, in either direction.
  void SendRelay(bool from_acc);
  void Shutdown() override;

 private:
  void StartOfferer();
  std::shared_ptr<WsClient> Connect(bool is_acc, const std::string& id);
  std::string Cand(bool from_acc, int i, bool pad);
  void SendOffer();
  void OnAcc(const Msg& m);
  void OnOff(const Msg& m);
  void OnCandidate(const Msg& m);
  void MarkReady();
  void MaybeDone();
  void OnClose(bool is_acc, const std::string& why);
  void Fail(const std::string& why);
  void End();

  Worker* const w_;
  const uint64_t key_;
  const bool relay_;
  std::string acc_id_, off_id_;
  std::shared_ptr<WsClient> acc_, off_;
  int64_t sched_ns_ = 0, off_open_ns_ = 0;
  int acc_cands_ = 0, off_cands_ = 0;
  bool answered_ = false, acc_done_ = false, off_done_ = false, finished_ = false;
  bool ready_ = false, leave_sent_ = false;
};

// An idle acceptor (joins and holds) or one turn of a churn loop (joins,
// closes, starts the next).
class Single : public Task, public std::enable_shared_from_this<Single> {
 public:
  Single(Worker* w, uint64_t key, bool churn) : w_(w), key_(key), churn_(churn) {}

  // Called when this one is done: starts the next (churn, idle ramp).
  void set_next(std::function<void()> next) { next_ = std::move(next); }
  void Start();
  void Shutdown() override;

 private:
  void OnJoined();
  void OnClosed(const std::string& why);
  void Fail(const std::string& why);
  void Next();

  Worker* const w_;
  const uint64_t key_;
  const bool churn_;
  std::shared_ptr<WsClient> c_;
  int64_t start_ns_ = 0;
  bool joined_ = false;
  std::function<void()> next_;
};

// Starts a Single on `w` and, as each ends, the next one, while the run is
// running and `budget` (when set) allows.
void StartSingle(Worker* w, bool churn, std::shared_ptr<std::atomic<int64_t>> budget);

}  // namespace signaling::loadgen

#endif  // BENCH_LOADGEN_SESSIONS_H_
