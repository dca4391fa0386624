// Routes, dispatch, verifications and timers of the matching service; see
// session_router.h.
#include "services/matching/session_router.h"

#include <exception>
#include <utility>

#include "common/protocol/close_code.h"

namespace signaling::matching {

SessionRouter::SessionRouter(SessionRouterOptions options, Clock* clock,
                             TokenVerifierClient* verifier,
                             std::unique_ptr<AcceptorDirectory> directory)
    : options_(std::move(options)),
      clock_(clock),
      verifier_(verifier),
      engine_(options_.limits, std::move(directory)) {}

SessionRouter::~SessionRouter() {
  Shutdown();
  WaitStopped();
}

SessionKey SessionRouter::Open(SessionSink* sink, uint64_t conn, ConnectionMeta meta) {
  std::vector<VerifyAction> verifies;
  SessionKey key;
  {
    absl::MutexLock lock(&mu_);
    key = next_key_++;
    routes_[key] = Route{sink, conn};
    verifies = DispatchLocked(engine_.Open(key, std::move(meta), clock_->Now()));
    if (shutting_down_) {
      for (VerifyAction& v : DispatchLocked(engine_.CloseAll(protocol::kCloseGoingAway,
                                                             "server shutting down",
                                                             options_.shutdown_reconnect_ms))) {
        verifies.push_back(std::move(v));
      }
    }
  }
  StartVerifications(std::move(verifies));
  return key;
}

void SessionRouter::OnMessage(SessionKey key, v1::ClientMessage message) {
  std::vector<VerifyAction> verifies;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    verifies = DispatchLocked(
        ReactLocked(key, [&] { return engine_.OnMessage(key, std::move(message), now); }));
  }
  StartVerifications(std::move(verifies));
}

void SessionRouter::OnTransportClosed(SessionKey key) {
  std::vector<VerifyAction> verifies;
  {
    absl::MutexLock lock(&mu_);
    routes_.erase(key);
    verifies = DispatchLocked(engine_.OnTransportClosed(key, clock_->Now()));
  }
  StartVerifications(std::move(verifies));
}

bool SessionRouter::Disconnect(const std::string& peer_id) {
  bool found = false;
  std::vector<VerifyAction> verifies;
  {
    absl::MutexLock lock(&mu_);
    verifies = DispatchLocked(engine_.Disconnect(peer_id, clock_->Now(), &found));
  }
  StartVerifications(std::move(verifies));
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

std::vector<VerifyAction> SessionRouter::DispatchLocked(Actions actions) {
  std::vector<VerifyAction> verifies;
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
      verifies.push_back(std::move(*verify));
    }
  }
  // Counted here, in the same critical section: WaitStopped cannot see zero
  // between the engine asking for a call and the call starting.
  verifying_ += static_cast<int>(verifies.size());
  return verifies;
}

void SessionRouter::StartVerifications(std::vector<VerifyAction> verifies) {
  for (VerifyAction& verify : verifies) {
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
  std::vector<VerifyAction> more;
  {
    absl::MutexLock lock(&mu_);
    const absl::Time now = clock_->Now();
    more = DispatchLocked(
        ReactLocked(key, [&] { return engine_.OnVerified(key, request, principal, now); }));
  }
  StartVerifications(std::move(more));
  absl::MutexLock lock(&mu_);
  --verifying_;  // last: WaitStopped may return once it is zero
}

void SessionRouter::FireDueTimers() {
  std::vector<VerifyAction> verifies;
  {
    absl::MutexLock lock(&mu_);
    verifies = DispatchLocked(engine_.Advance(clock_->Now()));
  }
  StartVerifications(std::move(verifies));
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
    std::vector<VerifyAction> verifies = DispatchLocked(engine_.Advance(clock_->Now()));
    if (verifies.empty()) continue;
    mu_.Unlock();
    StartVerifications(std::move(verifies));
    mu_.Lock();
  }
  mu_.Unlock();
}

void SessionRouter::Shutdown() {
  std::vector<VerifyAction> verifies;
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    verifies = DispatchLocked(engine_.CloseAll(protocol::kCloseGoingAway, "server shutting down",
                                               options_.shutdown_reconnect_ms));
  }
  StartVerifications(std::move(verifies));
}

void SessionRouter::WaitStopped() {
  if (timer_thread_.joinable()) timer_thread_.join();
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return verifying_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

}  // namespace signaling::matching
