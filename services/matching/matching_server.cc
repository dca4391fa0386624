// gRPC adapter of the matching service; see matching_server.h.
#include "services/matching/matching_server.h"

#include <atomic>
#include <deque>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/log/log.h"
#include "common/net/batch_queue.h"
#include "common/net/grpc_server.h"
#include "google/protobuf/util/time_util.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "services/matching/matching_metrics.h"
#include "signaling/v1/auth.grpc.pb.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {
namespace {

constexpr uint32_t kCloseGoingAway = 1001;
constexpr uint32_t kCloseInternal = 1011;
// reconnectAfterMs of the goAway sent when the service shuts down.
constexpr uint32_t kShutdownReconnectMs = 1000;

// Where the engine's output for one session goes: a stream and a
// connection id on it. Called with the engine lock held; never blocks.
class Sink {
 public:
  virtual ~Sink() = default;
  virtual void Deliver(uint64_t conn, v1::ServerMessage message) = 0;
  virtual void CloseConn(uint64_t conn, uint32_t code, const std::string& reason) = 0;
};

struct Route {
  Sink* sink;
  uint64_t conn;
};

// "ipv4:127.0.0.1:5000" -> "127.0.0.1".
std::string PeerIp(const std::string& peer) {
  std::string address = peer;
  for (const char* prefix : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(address, prefix)) address = address.substr(strlen(prefix));
  }
  const size_t colon = address.rfind(':');
  if (colon != std::string::npos) address = address.substr(0, colon);
  if (address.size() > 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
  return address;
}

}  // namespace

class MatchingServer::Impl final : public v1::Matching::CallbackService,
                                   public v1::MatchingAdmin::CallbackService {
 public:
  explicit Impl(MatchingServerOptions options)
      : options_(std::move(options)), engine_(options_.limits) {}

  // Declared first: the engine is built from it.
  MatchingServerOptions options_;

  absl::Status Init();
  void Shutdown(absl::Duration grace);

  grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>* Session(
      grpc::CallbackServerContext* context) override;
  grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>* Relay(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* ListSessions(grpc::CallbackServerContext* context,
                                         const v1::ListSessionsRequest*,
                                         v1::ListSessionsResponse* response) override;
  grpc::ServerUnaryReactor* GetStats(grpc::CallbackServerContext* context, const v1::StatsRequest*,
                                     v1::Stats* response) override;
  grpc::ServerUnaryReactor* DisconnectPeer(grpc::CallbackServerContext* context,
                                           const v1::DisconnectPeerRequest* request,
                                           v1::DisconnectPeerResponse* response) override;

  // Registers a new session on `sink`; returns its key.
  SessionKey OpenSession(Sink* sink, uint64_t conn, ConnectionMeta meta);
  void OnMessage(SessionKey key, const v1::ClientMessage& message);
  // The transport of `key` ended (client close, drop, stream end).
  void OnTransportClosed(SessionKey key);

  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  MatchingMetrics metrics_;
  std::atomic<bool> serving_{false};
  std::shared_ptr<spdlog::logger> log_ = log::Get("matching");
  mutable absl::Mutex mu_;
  PairingEngine engine_ ABSL_GUARDED_BY(mu_);

  class RelayReactor;
  class SessionReactor;

 private:
  // Carries out the engine's actions; verification calls are returned to be
  // started once the lock is released.
  std::vector<VerifyAction> Dispatch(Actions actions) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void StartVerifications(std::vector<VerifyAction> verifies);
  void TimerLoop();

  absl::flat_hash_map<SessionKey, Route> routes_ ABSL_GUARDED_BY(mu_);
  SessionKey next_key_ ABSL_GUARDED_BY(mu_) = 1;
  bool shutting_down_ ABSL_GUARDED_BY(mu_) = false;
  int verifying_ ABSL_GUARDED_BY(mu_) = 0;  // Verify calls in flight
  std::unique_ptr<v1::TokenVerifier::Stub> verifier_;
  friend class MatchingServer;
  std::thread timer_thread_;
};

// The gateway's stream: many sessions, events batched both ways.
class MatchingServer::Impl::RelayReactor final
    : public grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>,
      public Sink {
 public:
  RelayReactor(Impl* impl, grpc::CallbackServerContext* context)
      : impl_(impl),
        context_(context),
        pending_(impl->options_.relay_batch_bytes, impl->options_.max_stream_queue_bytes) {
    impl_->metrics_.StreamOpened("relay");
    StartSendInitialMetadata();  // tells the gateway the stream is up
    StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      DropAll();
      absl::MutexLock lock(&mu_);
      read_done_ = true;
      MaybeFinishLocked();
      return;
    }
    {
      // Replies to this batch leave together, in one write, after it.
      absl::MutexLock lock(&mu_);
      corked_ = true;
    }
    for (const auto& event : in_.events()) {
      switch (event.kind_case()) {
        case v1::RelayUp::Event::kOpen: {
          if (keys_.contains(event.conn())) break;
          ConnectionMeta meta{event.open().client_ip(), event.open().bearer_token()};
          keys_[event.conn()] = impl_->OpenSession(this, event.conn(), std::move(meta));
          break;
        }
        case v1::RelayUp::Event::kMessage: {
          auto it = keys_.find(event.conn());
          if (it != keys_.end()) impl_->OnMessage(it->second, event.message());
          break;
        }
        case v1::RelayUp::Event::kClosed: {
          auto it = keys_.find(event.conn());
          if (it != keys_.end()) {
            const SessionKey key = it->second;
            keys_.erase(it);
            impl_->OnTransportClosed(key);
          }
          break;
        }
        case v1::RelayUp::Event::KIND_NOT_SET: break;
      }
    }
    in_.Clear();
    {
      absl::MutexLock lock(&mu_);
      corked_ = false;
      MaybeWriteLocked();
    }
    StartRead(&in_);
  }

  void Deliver(uint64_t conn, v1::ServerMessage message) override {
    const size_t bytes = message.ByteSizeLong() + 16;  // + conn, tags, lengths
    absl::MutexLock lock(&mu_);
    auto* event = AddEventLocked(bytes);
    if (event == nullptr) return;
    event->set_conn(conn);
    *event->mutable_message() = std::move(message);
    MaybeWriteLocked();
  }

  void CloseConn(uint64_t conn, uint32_t code, const std::string& reason) override {
    absl::MutexLock lock(&mu_);
    auto* event = AddEventLocked(reason.size() + 24);
    if (event == nullptr) return;
    event->set_conn(conn);
    event->mutable_close()->set_code(code);
    event->mutable_close()->set_reason(reason);
    MaybeWriteLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
    MaybeWriteLocked();
    MaybeFinishLocked();
  }

  void OnDone() override {
    impl_->metrics_.StreamClosed("relay");
    delete this;
  }

 private:
  // Releases every session of this stream in the engine.
  void DropAll() {
    for (const auto& [conn, key] : keys_) impl_->OnTransportClosed(key);
    keys_.clear();
  }

  // Where the next event of `bytes` goes: the newest batch or a new one;
  // nullptr once the stream is given up. Past the queue bound the gateway is
  // not reading: the stream is cancelled rather than left to grow.
  v1::RelayDown::Event* AddEventLocked(size_t bytes) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (broken_) return nullptr;
    v1::RelayDown* batch = pending_.Add(bytes);
    if (batch == nullptr) {
      broken_ = true;
      pending_.Clear();
      context_->TryCancel();
      return nullptr;
    }
    return batch->add_events();
  }

  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || corked_ || broken_ || pending_.empty()) return;
    pending_.PopInto(&out_);
    writing_ = true;
    StartWrite(&out_);
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!read_done_ || finished_ || writing_) return;
    if (!broken_ && !pending_.empty()) return;
    finished_ = true;
    Finish(grpc::Status::OK);
  }

  Impl* impl_;
  grpc::CallbackServerContext* context_;
  v1::RelayUp in_;
  // Touched only by the read side (reads are sequential).
  absl::flat_hash_map<uint64_t, SessionKey> keys_;
  absl::Mutex mu_;
  net::BatchQueue<v1::RelayDown> pending_ ABSL_GUARDED_BY(mu_);
  v1::RelayDown out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool corked_ ABSL_GUARDED_BY(mu_) = false;  // a read batch is being handled
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

// An internal client's stream: one session.
class MatchingServer::Impl::SessionReactor final
    : public grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>,
      public Sink {
 public:
  SessionReactor(Impl* impl, grpc::CallbackServerContext* context)
      : impl_(impl), context_(context) {
    impl_->metrics_.StreamOpened("session");
    ConnectionMeta meta;
    meta.client_ip = PeerIp(context->peer());
    auto auth = context->client_metadata().find("authorization");
    if (auth != context->client_metadata().end()) {
      std::string value(auth->second.data(), auth->second.size());
      if (absl::StartsWith(value, "Bearer ")) meta.bearer_token = value.substr(7);
    }
    key_ = impl_->OpenSession(this, 0, std::move(meta));
    absl::MutexLock lock(&mu_);
    if (!closed_) StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      {
        absl::MutexLock lock(&mu_);
        read_done_ = true;
        if (closed_) {
          MaybeFinishLocked();
          return;
        }
      }
      impl_->OnTransportClosed(key_);
      absl::MutexLock lock(&mu_);
      closed_ = true;
      MaybeFinishLocked();
      return;
    }
    impl_->OnMessage(key_, in_);
    StartRead(&in_);
  }

  void Deliver(uint64_t, v1::ServerMessage message) override {
    absl::MutexLock lock(&mu_);
    queued_bytes_ += message.ByteSizeLong();
    queue_.push_back(std::move(message));
    if (queued_bytes_ > 1024 * 1024) {
      broken_ = true;
      context_->TryCancel();
      return;
    }
    MaybeWriteLocked();
  }

  void CloseConn(uint64_t, uint32_t code, const std::string& reason) override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    close_code_ = code;
    MaybeFinishLocked();
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writing_ = false;
    if (!ok) broken_ = true;
    MaybeWriteLocked();
    MaybeFinishLocked();
  }

  void OnCancel() override {
    // A cancelled stream ends like a dropped socket.
    bool notify;
    {
      absl::MutexLock lock(&mu_);
      notify = !closed_;
      closed_ = true;
    }
    if (notify) impl_->OnTransportClosed(key_);
  }

  void OnDone() override {
    impl_->metrics_.StreamClosed("session");
    delete this;
  }

 private:
  void MaybeWriteLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (writing_ || broken_ || queue_.empty()) return;
    out_ = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, out_.ByteSizeLong());
    writing_ = true;
    StartWrite(&out_);
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!closed_ || finished_ || writing_) return;
    if (!broken_ && !queue_.empty()) return;
    finished_ = true;
    if (close_code_ != 0) {
      context_->AddTrailingMetadata("signaling-close-code", absl::StrCat(close_code_));
    }
    Finish(grpc::Status::OK);
  }

  Impl* impl_;
  grpc::CallbackServerContext* context_;
  SessionKey key_ = 0;
  v1::ClientMessage in_;
  absl::Mutex mu_;
  std::deque<v1::ServerMessage> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  v1::ServerMessage out_ ABSL_GUARDED_BY(mu_);
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool broken_ ABSL_GUARDED_BY(mu_) = false;
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t close_code_ ABSL_GUARDED_BY(mu_) = 0;
};

absl::Status MatchingServer::Impl::Init() {
  if (options_.registry != nullptr) {
    if (absl::Status st = metrics_.Register(*options_.registry); !st.ok()) return st;
    options_.registry->AddCollector([this] {
      absl::MutexLock lock(&mu_);
      metrics_.Sample(engine_);
    });
  }
  auto auth_credentials = net::ChannelCredentials(options_.auth_tls);
  if (!auth_credentials.ok()) return auth_credentials.status();
  verifier_ = v1::TokenVerifier::NewStub(grpc::CreateCustomChannel(
      options_.auth_target, *auth_credentials, net::ClientChannelArguments(64 * 1024)));

  auto server_credentials = net::ServerCredentials(options_.server_tls);
  if (!server_credentials.ok()) return server_credentials.status();
  grpc::EnableDefaultHealthCheckService(true);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(options_.listen, *server_credentials, &port_);
  builder.RegisterService(static_cast<v1::Matching::CallbackService*>(this));
  builder.RegisterService(static_cast<v1::MatchingAdmin::CallbackService*>(this));
  // Relay batches carry many sessions' messages: sends may be larger.
  net::ApplyServerLimits(builder,
                         {options_.max_message_bytes, options_.max_message_bytes * 64,
                          options_.max_concurrent_streams, 64},
                         "matching");
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    return absl::UnavailableError(absl::StrCat("cannot listen on ", options_.listen));
  }
  server_->GetHealthCheckService()->SetServingStatus(true);
  serving_ = true;
  timer_thread_ = std::thread([this] { TimerLoop(); });
  return absl::OkStatus();
}

void MatchingServer::Impl::Shutdown(absl::Duration grace) {
  {
    absl::MutexLock lock(&mu_);
    if (shutting_down_) return;
    shutting_down_ = true;
    serving_ = false;
    Dispatch(engine_.CloseAll(kCloseGoingAway, "server shutting down", kShutdownReconnectMs));
  }
  if (server_) {
    server_->GetHealthCheckService()->SetServingStatus(false);
    server_->Shutdown(std::chrono::system_clock::now() + absl::ToChronoMilliseconds(grace));
  }
  if (timer_thread_.joinable()) timer_thread_.join();
  // Verifications in flight end within their deadline; their callbacks
  // use this object.
  absl::MutexLock lock(&mu_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return verifying_ == 0; };
  mu_.Await(absl::Condition(&idle));
}

SessionKey MatchingServer::Impl::OpenSession(Sink* sink, uint64_t conn, ConnectionMeta meta) {
  absl::MutexLock lock(&mu_);
  const SessionKey key = next_key_++;
  routes_[key] = Route{sink, conn};
  Dispatch(engine_.Open(key, std::move(meta), absl::Now()));
  if (shutting_down_) {
    Dispatch(engine_.CloseAll(kCloseGoingAway, "server shutting down", kShutdownReconnectMs));
  }
  return key;
}

void MatchingServer::Impl::OnMessage(SessionKey key, const v1::ClientMessage& message) {
  std::vector<VerifyAction> verifies;
  {
    absl::MutexLock lock(&mu_);
    try {
      verifies = Dispatch(engine_.OnMessage(key, message, absl::Now()));
    } catch (const std::exception& e) {
      // An internal failure ends this session only: INTERNAL, then 1011.
      if (log::ShouldLog("internal")) log_->error("internal error: {}", e.what());
      if (auto it = routes_.find(key); it != routes_.end()) {
        v1::ServerMessage error;
        error.mutable_error()->set_code(v1::Error::INTERNAL);
        error.mutable_error()->set_message("internal error");
        it->second.sink->Deliver(it->second.conn, std::move(error));
        it->second.sink->CloseConn(it->second.conn, kCloseInternal, "internal error");
        routes_.erase(it);
      }
      Dispatch(engine_.OnTransportClosed(key, absl::Now()));
    }
  }
  StartVerifications(std::move(verifies));
}

void MatchingServer::Impl::OnTransportClosed(SessionKey key) {
  absl::MutexLock lock(&mu_);
  routes_.erase(key);
  Dispatch(engine_.OnTransportClosed(key, absl::Now()));
}

std::vector<VerifyAction> MatchingServer::Impl::Dispatch(Actions actions) {
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
    } else {
      verifies.push_back(std::move(std::get<VerifyAction>(action)));
    }
  }
  return verifies;
}

void MatchingServer::Impl::StartVerifications(std::vector<VerifyAction> verifies) {
  struct Call {
    absl::Time started = absl::Now();
    grpc::ClientContext context;
    v1::VerifyRequest request;
    v1::Principal response;
  };
  if (verifies.empty()) return;
  {
    absl::MutexLock lock(&mu_);
    verifying_ += static_cast<int>(verifies.size());
  }
  for (VerifyAction& verify : verifies) {
    auto* call = new Call;
    call->context.set_deadline(std::chrono::system_clock::now() +
                               absl::ToChronoMilliseconds(options_.verify_deadline));
    call->request.set_token(std::move(verify.token));
    const SessionKey key = verify.session;
    const uint64_t request = verify.request;
    verifier_->async()->Verify(
        &call->context, &call->request, &call->response,
        [this, call, key, request](grpc::Status status) {
          absl::StatusOr<Principal> principal;
          metrics_.VerifyDone(status.ok(), status.error_code() != grpc::StatusCode::UNAUTHENTICATED,
                              absl::ToDoubleSeconds(absl::Now() - call->started));
          if (status.ok()) {
            Principal p;
            p.subject = call->response.subject();
            p.accept.assign(call->response.grants().accept().begin(),
                            call->response.grants().accept().end());
            p.offer.assign(call->response.grants().offer().begin(),
                           call->response.grants().offer().end());
            p.expires_at =
                absl::FromUnixNanos(google::protobuf::util::TimeUtil::TimestampToNanoseconds(
                    call->response.expires_at()));
            principal = std::move(p);
          } else if (status.error_code() == grpc::StatusCode::UNAUTHENTICATED) {
            principal = absl::UnauthenticatedError("token refused");
          } else {
            if (log::ShouldLog("verifier-unavailable")) {
              log_->warn("token verifier unavailable: grpc code {}",
                         static_cast<int>(status.error_code()));
            }
            principal = absl::UnavailableError("verifier unavailable");
          }
          // The call's context holds a channel reference; verifier_ holds
          // another until Shutdown has seen this call end (below), so the
          // channel is never destroyed on gRPC's callback thread.
          delete call;
          std::vector<VerifyAction> more;
          {
            absl::MutexLock lock(&mu_);
            more = Dispatch(engine_.OnVerified(key, request, principal, absl::Now()));
          }
          StartVerifications(std::move(more));
          absl::MutexLock lock(&mu_);
          --verifying_;  // last: Shutdown may return once it is zero
        });
  }
}

void MatchingServer::Impl::TimerLoop() {
  absl::MutexLock lock(&mu_);
  while (!shutting_down_) {
    const absl::Time deadline = engine_.NextDeadline();
    auto changed = [this, deadline]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return shutting_down_ || engine_.NextDeadline() < deadline;
    };
    mu_.AwaitWithDeadline(absl::Condition(&changed), deadline);
    if (shutting_down_) break;
    Dispatch(engine_.Advance(absl::Now()));
  }
}

grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>* MatchingServer::Impl::Session(
    grpc::CallbackServerContext* context) {
  return new SessionReactor(this, context);
}

grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>* MatchingServer::Impl::Relay(
    grpc::CallbackServerContext* context) {
  return new RelayReactor(this, context);
}

grpc::ServerUnaryReactor* MatchingServer::Impl::ListSessions(grpc::CallbackServerContext* context,
                                                             const v1::ListSessionsRequest*,
                                                             v1::ListSessionsResponse* response) {
  std::vector<v1::SessionInfo> sessions;
  {
    absl::MutexLock lock(&mu_);
    sessions = engine_.ListSessions();
  }
  for (auto& s : sessions) *response->add_sessions() = std::move(s);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* MatchingServer::Impl::GetStats(grpc::CallbackServerContext* context,
                                                         const v1::StatsRequest*,
                                                         v1::Stats* response) {
  {
    absl::MutexLock lock(&mu_);
    *response = engine_.Stats();
  }
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

grpc::ServerUnaryReactor* MatchingServer::Impl::DisconnectPeer(
    grpc::CallbackServerContext* context, const v1::DisconnectPeerRequest* request,
    v1::DisconnectPeerResponse* response) {
  bool found = false;
  {
    absl::MutexLock lock(&mu_);
    Dispatch(engine_.Disconnect(request->peer_id(), absl::Now(), &found));
  }
  response->set_disconnected(found);
  auto* reactor = context->DefaultReactor();
  reactor->Finish(grpc::Status::OK);
  return reactor;
}

absl::StatusOr<std::unique_ptr<MatchingServer>> MatchingServer::Start(
    MatchingServerOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  if (absl::Status status = impl->Init(); !status.ok()) return status;
  return std::unique_ptr<MatchingServer>(new MatchingServer(std::move(impl)));
}

MatchingServer::MatchingServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
MatchingServer::~MatchingServer() { Shutdown(absl::Seconds(1)); }
int MatchingServer::port() const { return impl_->port_; }
void MatchingServer::Shutdown(absl::Duration grace) { impl_->Shutdown(grace); }
void MatchingServer::SetNotServing() {
  impl_->serving_ = false;
  impl_->server_->GetHealthCheckService()->SetServingStatus(false);
}
bool MatchingServer::Ready() const { return impl_->serving_; }
v1::Stats MatchingServer::Stats() const {
  absl::MutexLock lock(&impl_->mu_);
  return impl_->engine_.Stats();
}

}  // namespace signaling::matching
