// The matching service's core wiring, without gRPC: one PairingEngine behind
// one mutex, the route of every session (SessionKey -> the sink and
// connection id its output goes to), the dispatch of the engine's actions,
// the token verifications they ask for and the timer loop that fires the
// engine's deadlines. The transports (the Relay and Session reactors) only
// turn streams into Open / OnMessage / OnTransportClosed calls and carry
// what their sink is given. Every timestamp comes from the injected Clock.
//
// Internal errors: an exception escaping the engine while it reacts to one
// session (a message or a verification answer) ends that session alone with
// error INTERNAL and close 1011 and releases it in the engine; other
// sessions go on (docs/protocol.md section 9, "Internal errors").
//
// Thread-safety: every method may be called from any thread. Sinks are
// called with the router's lock held and must neither block nor call back
// into the router; they may be called from any of the router's callers.
#ifndef SERVICES_MATCHING_SESSION_ROUTER_H_
#define SERVICES_MATCHING_SESSION_ROUTER_H_

#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/functional/function_ref.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/log/log.h"
#include "services/matching/acceptor_directory.h"
#include "services/matching/admin_wire.h"
#include "services/matching/clock.h"
#include "services/matching/cluster_link.h"
#include "services/matching/matching_metrics.h"
#include "services/matching/pairing_engine.h"
#include "services/matching/token_verifier_client.h"

namespace signaling::matching {

// Where the engine's output for the sessions of one transport goes; `conn`
// tells the sessions of a multiplexed stream apart. Called with the
// router's lock held: never blocks, never calls the router.
class SessionSink {
 public:
  virtual ~SessionSink() = default;
  virtual void Deliver(uint64_t conn, v1::ServerMessage message) = 0;
  // The session is closed and released; nothing more is delivered for it.
  virtual void CloseConn(uint64_t conn, uint32_t code, const std::string& reason) = 0;
  // Cluster mode: the session is released here and its connection is to go
  // on at `replica` (announced as `announced_session_id` when not empty);
  // nothing more is delivered for it here.
  virtual void Redirect(uint64_t conn, const std::string& replica,
                        const std::string& announced_session_id) = 0;
  // For a transport registered with AddStream: the service is shutting
  // down, its peer should open no new sessions on it.
  virtual void Draining() {}
};

struct SessionRouterOptions {
  EngineLimits limits;
  absl::Duration verify_deadline = absl::Seconds(2);
  // reconnectAfterMs of the goAway every session gets on shutdown.
  uint32_t shutdown_reconnect_ms = 1000;
};

class SessionRouter {
 public:
  // `clock` and `verifier` must outlive the router; `directory` nullptr:
  // the engine's in-memory one. With `cluster` (which must outlive the
  // router too) the engine runs in cluster mode under its replica name.
  SessionRouter(SessionRouterOptions options, Clock* clock, TokenVerifierClient* verifier,
                std::unique_ptr<AcceptorDirectory> directory = nullptr,
                ClusterLink* cluster = nullptr);
  // Shutdown() and WaitStopped() if the owner did not: the sinks of open
  // sessions must still be valid then.
  ~SessionRouter();

  SessionRouter(const SessionRouter&) = delete;
  SessionRouter& operator=(const SessionRouter&) = delete;

  // A transport opened a session whose output goes to (`sink`, `conn`);
  // `sink` must stay valid until the session is closed (CloseConn) or the
  // transport reported OnTransportClosed. Returns the session's key. Once
  // shutting down, the session is sent goAway and closed at once.
  SessionKey Open(SessionSink* sink, uint64_t conn, ConnectionMeta meta);
  // A multiplexed transport (a gateway's Relay stream) that is to be told
  // when the service starts shutting down (SessionSink::Draining), at once
  // if it already has; removed before it goes.
  void AddStream(SessionSink* sink);
  void RemoveStream(SessionSink* sink);
  // A client message of `key` (ignored once the session is closed).
  void OnMessage(SessionKey key, v1::ClientMessage message);
  // The transport of `key` ended (client close, drop, stream end); its
  // route is removed, nothing more is delivered to it.
  void OnTransportClosed(SessionKey key);

  // Admin: closes the session holding acceptor id `peer_id`; false if none.
  bool Disconnect(const std::string& peer_id);
  EngineStats Stats();
  std::vector<SessionView> ListSessions();
  // What a metrics scrape mirrors: copied (latency samples moved) under the
  // lock, so that the scrape mirrors it without holding the lock.
  EngineSnapshot TakeMetricsSnapshot();

  // Cluster mode, from the other replicas and the membership: a newer claim
  // elsewhere took `id` with `fence` from its holder here (true if one was
  // closed); `id` is held on `replica` now (the waiting offerers moved there,
  // counted); the lease (PairingEngine::SetLeaseUntil); the ids held here,
  // to re-assert.
  bool OnEvicted(const std::string& id, uint64_t fence);
  int OnAcceptorArrived(const std::string& id, const std::string& replica);
  void SetLeaseUntil(absl::Time until);
  std::vector<HeldId> HeldIds();

  // Fires every engine deadline at or before the clock's now.
  void FireDueTimers();
  // Starts the thread that fires deadlines when the clock reaches them,
  // until Shutdown. At most once.
  void StartTimers();

  // Every session gets goAway and is closed with 1001, and so is every
  // session opened from now on; the timer loop ends. Idempotent.
  void Shutdown();
  // After Shutdown: waits for the timer thread and for every verification
  // in flight (their callbacks use the router). Idempotent.
  void WaitStopped();

 private:
  struct Route {
    SessionSink* sink;
    uint64_t conn;
  };

  // Runs one engine reaction to session `key`; an exception ends that
  // session alone (see the banner). Returns the actions to dispatch.
  Actions ReactLocked(SessionKey key, absl::FunctionRef<Actions()> reaction)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  // The calls the engine asked for, to be started once the lock is released.
  struct Outbound {
    std::vector<VerifyAction> verifies;
    std::vector<Action> cluster;  // directory calls, evictions
    bool empty() const { return verifies.empty() && cluster.empty(); }
    void Append(Outbound more);
  };
  // Carries out `actions` in order; calls to start are counted in flight and
  // returned.
  Outbound DispatchLocked(Actions actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartOutbound(Outbound outbound) ABSL_LOCKS_EXCLUDED(mu_);
  void OnVerified(SessionKey key, uint64_t request, absl::StatusOr<Principal> principal)
      ABSL_LOCKS_EXCLUDED(mu_);
  // session_router_cluster.cc: the directory calls and their answers.
  void StartCluster(std::vector<Action> calls) ABSL_LOCKS_EXCLUDED(mu_);
  void OnClaimed(const ClaimAction& claim, absl::StatusOr<ClaimResult> result)
      ABSL_LOCKS_EXCLUDED(mu_);
  void OnLookedUp(const LookupAction& lookup, absl::StatusOr<std::optional<Holder>> result)
      ABSL_LOCKS_EXCLUDED(mu_);
  // Runs an engine reaction that is not about one session, and what it asks.
  void React(absl::FunctionRef<Actions(absl::Time)> reaction) ABSL_LOCKS_EXCLUDED(mu_);
  void TimerLoop() ABSL_LOCKS_EXCLUDED(mu_);

  const SessionRouterOptions options_;
  Clock* const clock_;
  TokenVerifierClient* const verifier_;
  ClusterLink* const cluster_;
  std::shared_ptr<spdlog::logger> log_ = log::Get("matching");

  absl::Mutex mu_;
  PairingEngine engine_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<SessionKey, Route> routes_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<SessionSink*> streams_ ABSL_GUARDED_BY(mu_);
  SessionKey next_key_ ABSL_GUARDED_BY(mu_) = 1;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  int verifying_ ABSL_GUARDED_BY(mu_) = 0;  // Verify, claim and look-up calls in flight
  std::thread timer_thread_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_SESSION_ROUTER_H_
