// A world of three session routers in one process for the interleaving
// test: one InMemoryDirectory with the rules of functions.lua, the
// simulated links, verifiers and memberships of simulated_cluster.h, and
// clients that join a small set of ids as acceptors of 2-3 subjects and as
// offerers, leave, drop, refresh their tokens, and are moved between
// replicas the way the gateway moves them (gateway/replica_route.cc: a new
// session there, announced as it was, and the join sent again). Random
// steps also disconnect ids (admin), pause a replica past its lease, or
// cut one off from the directory. Everything is driven by one seed.
//
// The test says what must hold: after every event and once the cluster
// settled (set_check), of what each client is handed (set_watch).
//
// Not thread-safe: one test thread runs it.
#ifndef TESTS_SERVICES_MATCHING_CLUSTER_WORLD_H_
#define TESTS_SERVICES_MATCHING_CLUSTER_WORLD_H_

#include <algorithm>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/functional/function_ref.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "services/matching/session_router.h"
#include "tests/services/matching/cluster_clients.h"
#include "tests/services/matching/in_memory_directory.h"
#include "tests/services/matching/simulated_cluster.h"

namespace signaling::matching::sim {

inline constexpr int kMaxRedirects = 3;  // gateway/replica_route.h
inline const char* const kIds[] = {"kiosk-1", "kiosk-2", "kiosk-3"};
inline const char* const kSubjects[] = {"alice", "bob", "carol"};

class World {
 public:
  static constexpr int kReplicas = 3;

  // `coverage` adds up what the run did, over runs.
  World(uint64_t seed, const Mode& mode, bool trace, std::map<std::string, int>* coverage)
      : mode_(mode),
        trace_(trace),
        coverage_(coverage),
        sim_(seed, kReplicas),
        directory_(&sim_.clock()) {
    subjects_ = 2 + static_cast<int>(seed % 2);
    if (trace_) sim_.set_trace([this](const std::string& line) { Trace([&] { return line; }); });
    for (int r = 0; r < kReplicas; ++r) names_.push_back(absl::StrCat("10.0.0.", r + 1, ":7001"));
    std::vector<SessionRouter*> peers;
    for (int r = 0; r < kReplicas; ++r) {
      links_.push_back(std::make_unique<SimLink>(&sim_, &directory_, names_, r, r + 1, mode.link,
                                                 &lost_fences_));
      verifiers_.push_back(std::make_unique<SimVerifier>(&sim_, r, mode.verify_unavailable));
      sinks_.push_back(std::make_unique<ClientSink>(this, r));
      routers_.push_back(std::make_unique<SessionRouter>(
          SessionRouterOptions{EngineLimits{}, absl::Seconds(2), 1000}, &sim_.clock(),
          verifiers_[r].get(), nullptr, links_[r].get()));
      peers.push_back(routers_[r].get());
    }
    for (int r = 0; r < kReplicas; ++r) {
      links_[r]->SetPeers(peers);
      memberships_.push_back(std::make_unique<SimMembership>(&sim_, &directory_, links_[r].get(),
                                                             routers_[r].get(), r));
      memberships_[r]->set_on_reassert_loss(
          [this](const std::string& replica, const std::string& id) {
            reassert_losses_.emplace(replica, id);
          });
      memberships_[r]->Start();
    }
    RunFor(absl::Milliseconds(10));  // the first heartbeats
  }

  // Answers every call in flight (their callbacks use the routers) before
  // the routers go.
  ~World() {
    for (auto& link : links_) link->set_cut_off(false);
    sim_.WakeAll();
    for (int i = 0; i < 1000 && Pending() > 0; ++i) RunFor(absl::Milliseconds(100));
    tearing_down_ = true;
    routers_.clear();
    for (const auto& [what, n] : sim_.counts()) (*coverage_)[what] += n;
  }

  void Run(int steps) {
    for (step_ = 1; step_ <= steps && violations_.empty(); ++step_) {
      Step();
      RunFor(sim_.Millis(0, 400));
      if (step_ % 50 == 0) Settle();
    }
  }

  // Everyone leaves or drops, and every delivery drains.
  void LeaveAll() {
    for (size_t i = 0; i < clients_.size(); ++i) {
      if (clients_[i].replica < 0) continue;
      if (sim_.Chance(0.5)) Send(i + 1, [this](Client& c) { OnMessage(c, Leave()); });
      Send(i + 1, [this](Client& c) { Drop(c); });
    }
    while (sim_.AnyPaused()) RunFor(absl::Milliseconds(100));
    RunFor(absl::Seconds(10));  // past every deadline, cut-off and slow call
  }

  // What must hold after every event (`settled` false) and after the
  // cluster settled, no client acting for a while (true). It reports with
  // Violation().
  void set_check(std::function<void(bool settled)> check) { check_ = std::move(check); }
  // The first few, with the state at the first.
  void Violation(std::string what) {
    if (violations_.size() >= 5) return;
    dump_needed_ |= violations_.empty();
    violations_.push_back(absl::StrCat("step ", step_, ", t+",
                                       absl::FormatDuration(sim_.Now() - kStart), ": ", what));
  }
  // After a check from outside the events (they call DumpIfNeeded).
  void DumpIfNeeded() {
    if (!dump_needed_) return;
    dump_needed_ = false;
    if (describe_) absl::StrAppend(&violations_[0], "\n", describe_());
  }

  SessionRouter& router(int r) { return *routers_[r]; }
  const std::string& name(int r) const { return names_[r]; }
  InMemoryDirectory& directory() { return directory_; }
  // Whether a message about the claim `fence` was lost (it may stay behind).
  bool lost(uint64_t fence) const { return lost_fences_.count(fence) != 0; }
  // Claims, look-ups and verifications unanswered.
  int Pending() {
    int pending = 0;
    for (int r = 0; r < kReplicas; ++r) pending += links_[r]->pending() + verifiers_[r]->pending();
    return pending;
  }

  const Mode& mode() const { return mode_; }
  absl::Time now() { return sim_.Now(); }
  // What the membership last told router `r`: fenced from then on.
  absl::Time lease_until(int r) const { return memberships_[r]->lease_until(); }
  const std::vector<Client>& clients() const { return clients_; }
  bool paused(int r) const { return sim_.Paused(r); }
  bool cut_off(int r) const { return links_[r]->cut_off(); }
  // Whether a re-assertion closed (or evicted) a holder of `id` on
  // `replica` that no client has been told of yet; that one is told now.
  bool TakeReassertLoss(const std::string& replica, const std::string& id) {
    auto it = reassert_losses_.find({replica, id});
    if (it == reassert_losses_.end()) return false;
    reassert_losses_.erase(it);
    return true;
  }

  // Called with what a router hands a client's transport, before the
  // client takes it in; under that router's lock: it must not call the
  // routers (report with Violation()).
  void set_watch(std::function<void(const Handed&)> watch) { watch_ = std::move(watch); }
  // Describes the state for the first violation (after the event, outside
  // the routers' locks).
  void set_describe(std::function<std::string()> describe) { describe_ = std::move(describe); }

  const std::vector<std::string>& violations() const { return violations_; }
  const std::vector<std::string>& trace() const { return trace_lines_; }

  // From the sinks, with the router's lock held: they only note and schedule.
  void Delivered(int r, uint64_t conn, const v1::ServerMessage& m) {
    if (tearing_down_) return;
    Client& c = clients_[conn - 1];
    const std::string kind(m.GetDescriptor()->FindFieldByNumber(m.kind_case())->name());
    Trace([&] {
      return absl::StrCat(names_[r], " -> c", conn, " ", kind,
                          m.has_error() ? ":" + v1::Error::Code_Name(m.error().code()) : "");
    });
    ++(*coverage_)[m.has_error() ? "error:" + v1::Error::Code_Name(m.error().code()) : kind];
    if (watch_) watch_(Handed{r, conn, &m, 0, nullptr});
    if (m.has_joined()) c.joined = true;
  }
  void Closed(int r, uint64_t conn, uint32_t code) {
    if (tearing_down_) return;
    Client& c = clients_[conn - 1];
    Trace([&] { return absl::StrCat(names_[r], " -> c", conn, " close:", code); });
    ++(*coverage_)[absl::StrCat("close:", code)];
    if (watch_) watch_(Handed{r, conn, nullptr, code, nullptr});
    c.replica = -1;
    c.ended = sim_.Now();
  }
  void Redirected(int r, uint64_t conn, const std::string& to, const std::string& announced) {
    if (tearing_down_) return;
    Client& c = clients_[conn - 1];
    Trace([&] { return absl::StrCat(names_[r], " -> c", conn, " redirect:", to, " ", announced); });
    ++(*coverage_)[announced.empty() ? "redirect" : "redirect:announced"];
    if (watch_) watch_(Handed{r, conn, nullptr, 0, &to});
    c.replica = -1;
    for (int t = 0; t < kReplicas; ++t) {
      if (names_[t] != to || ++c.redirects > kMaxRedirects) continue;
      // The gateway opens it there, announced as it was, and sends the join again.
      c.replica = t;
      c.key = 0;
      Send(conn, [this, t, announced](Client& c) {
        c.key = routers_[t]->Open(sinks_[t].get(), &c - clients_.data() + 1,
                                  {"192.0.2.1", "", announced});
        OnMessage(c, c.join);
      });
    }
    if (c.replica < 0) c.ended = sim_.Now();
  }

 private:
  void RunFor(absl::Duration d) {
    const absl::Time until = sim_.Now() + d;
    while (sim_.RunNext(until)) AfterEvent();
    sim_.AdvanceTo(until);
    AfterEvent();
  }
  // The timer loops, then the checks.
  void AfterEvent() {
    for (int r = 0; r < kReplicas; ++r) {
      if (!sim_.Paused(r)) routers_[r]->FireDueTimers();
    }
    if (violations_.empty() && check_) check_(false);
    DumpIfNeeded();
  }

  void Step() {
    const uint64_t op = sim_.Uniform(100);
    const int r = static_cast<int>(sim_.Uniform(kReplicas));
    const std::string id = kIds[sim_.Uniform(3)];
    if (op < 22) {
      NewClient(r, v1::ACCEPTOR, id, kSubjects[sim_.Uniform(subjects_)], 0);
    } else if (op < 44) {
      const uint32_t waits[] = {0, 1500, 5000};
      NewClient(r, v1::OFFERER, id, absl::StrCat("user-", clients_.size()), waits[sim_.Uniform(3)]);
    } else if (op < 56) {
      if (Client* c = Pick()) Send(c, [this](Client& c) { OnMessage(c, Leave()); });
    } else if (op < 68) {
      if (Client* c = Pick()) {
        c->leaving = true;
        Send(c, [this](Client& c) { Drop(c); });
      }
    } else if (op < 76) {
      if (Client* c = Pick()) {
        // Mostly the same subject (a renewal); sometimes another (refused).
        const std::string subject = sim_.Chance(0.9) ? c->subject : "mallory";
        v1::ClientMessage refresh;
        refresh.mutable_refresh()->set_session_token(Token(subject));
        Send(c, [this, refresh](Client& c) { OnMessage(c, refresh); });
      }
    } else if (op < 79) {
      Trace([&] { return absl::StrCat("admin disconnects ", id, " on ", names_[r]); });
      sim_.At(sim_.Now(), r, [this, r, id] { routers_[r]->Disconnect(id); });
    } else if (op < 82) {
      if (!sim_.AnyPaused()) {
        const absl::Duration pause = sim_.Millis(2500, 6000);
        Trace([&] {
          return absl::StrCat("pause ", names_[r], " for ", absl::FormatDuration(pause));
        });
        sim_.Pause(r, sim_.Now() + pause);
        sim_.Count("pause");
      }
    } else if (op < 84 && mode_.cut_offs && !links_[r]->cut_off()) {
      Trace([&] { return absl::StrCat("cut ", names_[r], " off the directory"); });
      links_[r]->set_cut_off(true);
      sim_.Count("cut-off");
      sim_.After(sim_.Millis(1000, 5000), Sim::kNobody, [this, r] {
        Trace([&] { return absl::StrCat(names_[r], " reaches the directory again"); });
        links_[r]->set_cut_off(false);
      });
    }
  }

  // No client acts for a while: the cluster settles.
  void Settle() {
    RunFor(absl::Seconds(7));  // past any pause, re-assertion, deadline
    if (violations_.empty() && check_) check_(true);
    DumpIfNeeded();
  }

  std::string Token(const std::string& subject) {
    return SimVerifier::Token(subject, sim_.Now() + sim_.Millis(4000, 40000));
  }
  static v1::ClientMessage Leave() {
    v1::ClientMessage leave;
    leave.mutable_leave();
    return leave;
  }

  void NewClient(int r, v1::Role role, const std::string& id, const std::string& subject,
                 uint32_t wait_ms) {
    Client& c = clients_.emplace_back();
    c.created = sim_.Now();
    c.subject = subject;
    c.replica = r;
    auto* join = c.join.mutable_join();
    join->set_role(role);
    join->set_session_token(Token(subject));
    (role == v1::ACCEPTOR ? *join->mutable_peer_id() : *join->mutable_target_id()) = id;
    join->set_wait_ms(wait_ms);
    Trace([&] {
      return absl::StrCat("c", clients_.size(), " ", v1::Role_Name(role), " ", subject, " ", id,
                          " on ", names_[r], " wait ", wait_ms);
    });
    Send(clients_.size(), [this, r](Client& c) {
      c.key = routers_[r]->Open(sinks_[r].get(), &c - clients_.data() + 1, {"192.0.2.1", "", ""});
      OnMessage(c, c.join);
    });
  }
  Client* Pick() {
    std::vector<Client*> live;
    for (Client& c : clients_) {
      if (c.replica >= 0 && !c.leaving) live.push_back(&c);
    }
    return live.empty() ? nullptr : live[sim_.Uniform(live.size())];
  }
  void OnMessage(Client& c, const v1::ClientMessage& m) {
    routers_[c.replica]->OnMessage(c.key, m);
  }
  void Drop(Client& c) {
    Trace([&] { return absl::StrCat("c", &c - clients_.data() + 1, " drops"); });
    routers_[c.replica]->OnTransportClosed(c.key);
    c.replica = -1;
    c.ended = sim_.Now();
  }

  // A client's message, through its gateway to the replica it is on now
  // (waiting while that replica is paused); nothing once its transport ended.
  using ClientFn = std::function<void(Client&)>;
  void Send(Client* c, ClientFn fn) { Send(c - clients_.data() + 1, std::move(fn)); }
  void Send(uint64_t conn, ClientFn fn) {
    Client& c = clients_[conn - 1];
    c.next_send = std::max(c.next_send, sim_.Now() + sim_.Millis(0, 20));
    sim_.At(c.next_send, Sim::kNobody, [this, conn, fn] { Arrive(conn, fn); });
  }
  void Arrive(uint64_t conn, ClientFn fn) {
    Client& c = clients_[conn - 1];
    if (c.replica < 0) return;
    if (sim_.Paused(c.replica)) {
      sim_.At(sim_.Now(), c.replica, [this, conn, fn] { Arrive(conn, fn); });
      return;
    }
    fn(c);
  }

  // Formatted only when tracing (a failing seed's second run).
  void Trace(absl::FunctionRef<std::string()> line) {
    if (!trace_) return;
    trace_lines_.push_back(
        absl::StrCat(absl::FormatDuration(sim_.Now() - kStart), " step ", step_, ": ", line()));
  }

  const absl::Time kStart = absl::FromUnixSeconds(1'700'000'000);  // FakeClock's
  const Mode mode_;
  const bool trace_;
  std::map<std::string, int>* const coverage_;
  std::function<void(bool)> check_;
  std::function<void(const Handed&)> watch_;
  std::function<std::string()> describe_;
  int subjects_;
  int step_ = 0;
  bool tearing_down_ = false;
  bool dump_needed_ = false;
  std::vector<std::string> violations_;
  std::vector<std::string> trace_lines_;
  Sim sim_;
  InMemoryDirectory directory_;
  std::set<uint64_t> lost_fences_;
  std::multiset<std::pair<std::string, std::string>> reassert_losses_;  // (replica, id)
  std::vector<Client> clients_;  // conn = index + 1; never shrinks while a router runs
  std::vector<std::string> names_;
  std::vector<std::unique_ptr<SimLink>> links_;
  std::vector<std::unique_ptr<SimVerifier>> verifiers_;
  std::vector<std::unique_ptr<ClientSink>> sinks_;
  std::vector<std::unique_ptr<SessionRouter>> routers_;  // after what they use: gone first
  std::vector<std::unique_ptr<SimMembership>> memberships_;
};

inline void ClientSink::Deliver(uint64_t conn, v1::ServerMessage message) {
  world_->Delivered(replica_, conn, message);
}
inline void ClientSink::CloseConn(uint64_t conn, uint32_t code, const std::string&) {
  world_->Closed(replica_, conn, code);
}
inline void ClientSink::Redirect(uint64_t conn, const std::string& replica,
                                 const std::string& announced) {
  world_->Redirected(replica_, conn, replica, announced);
}

}  // namespace signaling::matching::sim

#endif  // TESTS_SERVICES_MATCHING_CLUSTER_WORLD_H_
