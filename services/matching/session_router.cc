// Routes, dispatch, verifications and timers of the matching service; see
// session_router.h.
#include "services/matching/session_router.h"

#include <exception>
#include <utility>

#include "common/protocol/close_code.h"

namespace signaling::matching {

SessionRouter::SessionRouter(SessionRouterOptions options, Clock* clock,
                             TokenVerifierClient* verifier,
                             std::unique_ptr<AcceptorDirectory> directory, ClusterLink* cluster)
    : options_(std::move(options)),
      clock_(clock),
      verifier_(verifier),
      cluster_(cluster),
      engine_(options_.limits, std::move(directory),
              cluster != nullptr ? cluster->replica() : std::string()) {}

SessionRouter::~SessionRouter() {
  Shutdown();
  WaitStopped();
}

SessionKey SessionRouter::Open(SessionSink* sink, uint64_t conn, ConnectionMeta meta) {
  Outbound outbound;
  SessionKey key;
  {
    absl::MutexLock lock(&mu_);
    key = next_key_++;
    routes_[key] = Route{sink, conn};
    outbound = DispatchLocked(engine_.Open(key, std::move(meta), clock_->Now()));
    if (shutting_down_) {
      outbound.Append(DispatchLocked(engine_.CloseAll(
          protocol::kCloseGoingAway, "server shutting down", options_.shutdown_reconnect_ms)));
    }
  }
  StartOutbound(std::move(outbound));
  return key;
}

void SessionRouter::AddStream(SessionSink* sink) {
  absl::MutexLock lock(&mu_);
  streams_.insert(sink);
  if (shutting_down_) sink->Draining();
}

void SessionRouter::RemoveStream(SessionSink* sink) {
  absl::MutexLock lock(&mu_);
  streams_.erase(sink);
}

void SessionRouter::OnMessage(SessionKey key, v1::ClientMessage message) {
  Outbound outbound;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    outbound = DispatchLocked(
        ReactLocked(key, [&] { return engine_.OnMessage(key, std::move(message), now); }));
  }
  StartOutbound(std::move(outbound));
}

void SessionRouter::OnTransportClosed(SessionKey key) {
  Outbound outbound;
  {
    absl::MutexLock lock(&mu_);
    routes_.erase(key);
    outbound = DispatchLocked(engine_.OnTransportClosed(key, clock_->Now()));
  }
  StartOutbound(std::move(outbound));
}

bool SessionRouter::Disconnect(const std::string& peer_id) {
  bool found = false;
  Outbound outbound;
  {
    absl::MutexLock lock(&mu_);
    outbound = DispatchLocked(engine_.Disconnect(peer_id, clock_->Now(), &found));
  }
  StartOutbound(std::move(outbound));
  return found;
}

EngineStats SessionRouter::Stats() {
  absl::MutexLock lock(&mu_);
  return engine_.Stats();
}

std::vector<SessionView> SessionRouter::ListSessions() {
  absl::MutexLock lock(&mu_);
  return engine_.ListSessions();
}

EngineSnapshot SessionRouter::TakeMetricsSnapshot() {
  absl::MutexLock lock(&mu_);
  return TakeSnapshot(engine_);
}

Actions SessionRouter::ReactLocked(SessionKey key, absl::FunctionRef<Actions()> reaction) {
  try {
    return reaction();
  } catch (const std::exception& e) {
    // What the engine did before the throw is dropped with its actions;
    // the session is released below, which also tells its peer.
    if (log::ShouldLog("internal")) log_->error("internal error: {}", e.what());
    if (auto it = routes_.find(key); it != routes_.end()) {
      v1::ServerMessage error;
      error.mutable_error()->set_code(v1::Error::INTERNAL);
      error.mutable_error()->set_message("internal error");
      it->second.sink->Deliver(it->second.conn, std::move(error));
      it->second.sink->CloseConn(it->second.conn, protocol::kCloseInternal, "internal error");
      routes_.erase(it);
    }
    return engine_.OnTransportClosed(key, clock_->Now());
  }
}

SessionRouter::Outbound SessionRouter::DispatchLocked(Actions actions) {
  Outbound outbound;
  for (Action& action : actions) {
    if (auto* send = std::get_if<SendAction>(&action)) {
      auto it = routes_.find(send->to);
      if (it != routes_.end()) it->second.sink->Deliver(it->second.conn, std::move(send->message));
    } else if (auto* close = std::get_if<CloseAction>(&action)) {
      auto it = routes_.find(close->session);
      if (it != routes_.end()) {
        it->second.sink->CloseConn(it->second.conn, close->code, close->reason);
        routes_.erase(it);
      }
    } else if (auto* verify = std::get_if<VerifyAction>(&action)) {
      outbound.verifies.push_back(std::move(*verify));
    } else if (auto* redirect = std::get_if<RedirectAction>(&action)) {
      auto it = routes_.find(redirect->session);
      if (it != routes_.end()) {
        it->second.sink->Redirect(it->second.conn, redirect->replica,
                                  redirect->announced_session_id);
        routes_.erase(it);
      }
    } else {
      outbound.cluster.push_back(std::move(action));  // to the directory or a replica
    }
  }
  // Counted here, in the same critical section: WaitStopped cannot see zero
  // between the engine asking for a call and the call starting.
  verifying_ += static_cast<int>(outbound.verifies.size());
  for (const Action& call : outbound.cluster) {
    if (std::holds_alternative<ClaimAction>(call) || std::holds_alternative<LookupAction>(call)) {
      ++verifying_;
    }
  }
  return outbound;
}

void SessionRouter::Outbound::Append(Outbound more) {
  for (VerifyAction& v : more.verifies) verifies.push_back(std::move(v));
  for (Action& a : more.cluster) cluster.push_back(std::move(a));
}

void SessionRouter::StartOutbound(Outbound outbound) {
  StartCluster(std::move(outbound.cluster));
  for (VerifyAction& verify : outbound.verifies) {
    const SessionKey key = verify.session;
    const uint64_t request = verify.request;
    verifier_->Verify(std::move(verify.token), clock_->Now() + options_.verify_deadline,
                      [this, key, request](absl::StatusOr<Principal> principal) {
                        OnVerified(key, request, std::move(principal));
                      });
  }
}

void SessionRouter::OnVerified(SessionKey key, uint64_t request,
                               absl::StatusOr<Principal> principal) {
  Outbound more;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    more = DispatchLocked(
        ReactLocked(key, [&] { return engine_.OnVerified(key, request, principal, now); }));
  }
  StartOutbound(std::move(more));
  absl::MutexLock lock(&mu_);
  --verifying_;  // last: WaitStopped may return once it is zero
}

void SessionRouter::FireDueTimers() {
  Outbound outbound;
  {
    absl::MutexLock lock(&mu_);
    outbound = DispatchLocked(engine_.Advance(clock_->Now()));
  }
  StartOutbound(std::move(outbound));
}

void SessionRouter::StartTimers() {
  timer_thread_ = std::thread([this] { TimerLoop(); });
}

void SessionRouter::TimerLoop() {
  mu_.Lock();
  while (!shutting_down_) {
    const absl::Time deadline = engine_.NextDeadline();
    auto changed = [this, deadline]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return shutting_down_ || engine_.NextDeadline() < deadline;
    };
    if (clock_->AwaitWithDeadline(mu_, absl::Condition(&changed), deadline)) continue;
    Outbound outbound = DispatchLocked(engine_.Advance(clock_->Now()));
    if (outbound.empty()) continue;
    mu_.Unlock();
    StartOutbound(std::move(outbound));
    mu_.Lock();
  }
  mu_.Unlock();
}

void SessionRouter::Shutdown() {
  Outbound outbound;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    for (SessionSink* stream : streams_) stream->Draining();
    outbound = DispatchLocked(engine_.CloseAll(protocol::kCloseGoingAway, "server shutting down",
                                               options_.shutdown_reconnect_ms));
  }
  StartOutbound(std::move(outbound));
}

void SessionRouter::WaitStopped() {
  if (timer_thread_.joinable()) timer_thread_.join();
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return verifying_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

}  // namespace signaling::matching
