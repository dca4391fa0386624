// The load generator's pair and single-session state machines; see
// sessions.h.
#include "bench/loadgen/sessions.h"

#include <utility>

namespace signaling::loadgen {

// ------------------------------------------------------------------- Pair

void Pair::Start(int64_t sched) {
  sched_ns_ = sched;
  acc_id_ = w_->NewId("a");
  off_id_ = w_->NewId("o");
  ++w_->inflight;
  acc_ = Connect(true, acc_id_);
}

void Pair::StartOfferer() { off_ = Connect(false, off_id_); }

std::shared_ptr<WsClient> Pair::Connect(bool is_acc, const std::string& id) {
  auto c = std::make_shared<WsClient>(w_->ioc, w_->run->client);
  std::weak_ptr<Pair> weak = shared_from_this();
  c->on_open = [weak, is_acc] {
    auto p = weak.lock();
    if (!p) return;
    if (!is_acc) p->off_open_ns_ = NowNs();
    const Wire& wire = p->w_->run->wire;
    // Both join the acceptor's id: one registers it, the other targets it.
    if (!wire.peerjs()) (is_acc ? p->acc_ : p->off_)->Send(wire.Join(is_acc, p->acc_id_));
  };
  c->on_message = [weak, is_acc](std::string_view d, bool) {
    auto p = weak.lock();
    if (!p) return;
    const Msg m = p->w_->run->wire.Parse(d);
    is_acc ? p->OnAcc(m) : p->OnOff(m);
  };
  c->on_close = [weak, is_acc](const std::string& why) {
    if (auto p = weak.lock()) p->OnClose(is_acc, why);
  };
  c->Start(w_->run->wire.Path(id), !is_acc);
  return c;
}

std::string Pair::Cand(bool from_acc, int i, bool pad) {
  return w_->run->wire.Candidate(from_acc ? off_id_ : acc_id_, CandidateString(i, NowNs(), pad));
}

void Pair::SendOffer() {
  off_->Send(w_->run->wire.Sdp(true, acc_id_));
  for (int i = 0; i < kCands; ++i) off_->Send(Cand(false, i, false));
  w_->stats.sent += 1 + kCands;
}

void Pair::OnAcc(const Msg& m) {
  if (finished_) return;
  switch (m.kind) {
    case Msg::kOpen:
    case Msg::kJoined: StartOfferer(); break;
    case Msg::kOffer:
      acc_->Send(w_->run->wire.Sdp(false, off_id_));
      for (int i = 0; i < kCands; ++i) acc_->Send(Cand(true, i, false));
      w_->stats.sent += 1 + kCands;
      break;
    case Msg::kCandidate:
      ++acc_cands_;
      OnCandidate(m);
      break;
    case Msg::kPeerLeft:
      acc_done_ = true;
      acc_->Close();
      break;
    case Msg::kError: return Fail("acceptor:" + m.error);
    default: break;
  }
}

void Pair::OnOff(const Msg& m) {
  if (finished_) return;
  switch (m.kind) {
    case Msg::kOpen:
    case Msg::kPaired: SendOffer(); break;
    case Msg::kAnswer:
      if (!answered_) {
        answered_ = true;
        const int64_t now = NowNs();
        if (!relay_) {
          w_->stats.tta.Record(now - off_open_ns_);
          w_->stats.e2e.Record(now - sched_ns_);
        }
      }
      MaybeDone();
      break;
    case Msg::kCandidate:
      ++off_cands_;
      OnCandidate(m);
      MaybeDone();
      break;
    case Msg::kError: return Fail("offerer:" + m.error);
    default: break;
  }
}

void Pair::OnCandidate(const Msg& m) {
  ++w_->stats.received;
  if (relay_ && ready_ && m.ts > 0 && w_->run->running) {
    w_->stats.latency.Record(NowNs() - m.ts);
  }
  if (relay_ && !ready_ && answered_ && acc_cands_ >= kCands && off_cands_ >= kCands) MarkReady();
}

void Pair::MarkReady() {
  ready_ = true;
  ++w_->run->ready;
}

void Pair::MaybeDone() {
  if (relay_) {
    if (!ready_ && answered_ && acc_cands_ >= kCands && off_cands_ >= kCands) MarkReady();
    return;
  }
  if (answered_ && off_cands_ >= kCands && !leave_sent_) {
    leave_sent_ = true;
    off_->Send(w_->run->wire.Leave(acc_id_));
    // The signaling server closes the offerer with 1000; PeerJS does not.
    if (w_->run->wire.peerjs()) off_->Close();
  }
}

void Pair::SendRelay(bool from_acc) {
  if (!ready_ || finished_) return;
  auto& c = from_acc ? acc_ : off_;
  if (!c->is_open()) return;
  c->Send(Cand(from_acc, 0, true));
  ++w_->stats.sent;
}

void Pair::OnClose(bool is_acc, const std::string& why) {
  if (finished_) return;
  if (!why.empty()) return Fail(std::string(is_acc ? "acceptor:" : "offerer:") + why);
  if (is_acc) {
    if (!acc_done_) return Fail("acceptor:unexpected_close");
  } else {
    if (!leave_sent_) return Fail("offerer:unexpected_close");
    off_done_ = true;
  }
  if (acc_done_ && off_done_) {
    if (acc_cands_ < kCands || off_cands_ < kCands) return Fail("missing_candidates");
    End();
    ++w_->stats.completed;
  }
}

void Pair::Fail(const std::string& why) {
  if (finished_) return;
  w_->stats.Error(why);
  if (relay_ && !ready_) ++w_->run->setup_failed;
  if (acc_) acc_->Abort();
  if (off_) off_->Abort();
  End();
}

void Pair::End() {
  if (finished_) return;
  finished_ = true;
  if (ready_) --w_->run->ready;
  --w_->inflight;
  w_->Remove(key_);
}

void Pair::Shutdown() {
  finished_ = true;
  if (acc_) acc_->Abort();
  if (off_) off_->Abort();
}

// ----------------------------------------------------------------- Single

void Single::Start() {
  start_ns_ = NowNs();
  const std::string id = w_->NewId("s");
  c_ = std::make_shared<WsClient>(w_->ioc, w_->run->client);
  std::weak_ptr<Single> weak = shared_from_this();
  c_->on_open = [weak, id] {
    auto s = weak.lock();
    if (s && !s->w_->run->wire.peerjs()) s->c_->Send(s->w_->run->wire.Join(true, id));
  };
  c_->on_message = [weak](std::string_view d, bool) {
    auto s = weak.lock();
    if (!s) return;
    const Msg m = s->w_->run->wire.Parse(d);
    if (m.kind == Msg::kJoined || m.kind == Msg::kOpen) s->OnJoined();
    if (m.kind == Msg::kError) s->Fail(m.error);
  };
  c_->on_close = [weak](const std::string& why) {
    if (auto s = weak.lock()) s->OnClosed(why);
  };
  c_->Start(w_->run->wire.Path(id));
}

void Single::OnClosed(const std::string& why) {
  if (!w_->run->running) return;
  if (churn_ && joined_) {
    if (!why.empty()) {
      w_->stats.Error("close_after_join:" + why);
    } else {
      ++w_->stats.completed;
    }
    Next();
  } else {
    Fail(why.empty() ? "closed_before_join" : why);
  }
}

void Single::OnJoined() {
  if (joined_) return;
  joined_ = true;
  ++w_->stats.joined_count;
  w_->stats.joined.Record(NowNs() - start_ns_);
  if (churn_) {
    c_->Close();
  } else if (next_) {
    std::exchange(next_, nullptr)();
  }
}

void Single::Fail(const std::string& why) {
  w_->stats.Error(why);
  if (joined_ && !churn_) --w_->stats.joined_count;  // dropped while idle
  c_->Abort();
  Next();
}

void Single::Next() {
  w_->Remove(key_);
  auto n = std::exchange(next_, nullptr);
  if (n && (!churn_ || w_->run->running)) n();
}

void Single::Shutdown() {
  next_ = nullptr;
  c_->Abort();
}

void StartSingle(Worker* w, bool churn, std::shared_ptr<std::atomic<int64_t>> budget) {
  if (!w->run->running) return;
  if (budget && budget->fetch_sub(1) <= 0) return;
  const uint64_t key = w->next_id++;
  auto s = std::make_shared<Single>(w, key, churn);
  w->live[key] = s;
  s->set_next([w, churn, budget] { StartSingle(w, churn, budget); });
  ++w->stats.started;
  s->Start();
}

}  // namespace signaling::loadgen
