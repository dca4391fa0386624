// The Session stream's reactor; see session_reactor.h.
#include "services/matching/session_reactor.h"

#include <cstring>
#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "common/protocol/close_code.h"
#include "services/matching/stream_writer.h"

namespace signaling::matching {
namespace {

// How many times one session may be moved between replicas (as the
// gateway's ReplicaRoute allows): a directory changing under it must not
// bounce it for ever.
constexpr int kMaxHops = 3;

class SessionReactor final : public grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>,
                             public SessionSink,
                             public ForwardSink {
 public:
  SessionReactor(grpc::CallbackServerContext* context, SessionRouter* router,
                 MatchingMetrics* metrics, size_t max_queue_bytes, SessionForwarder* forwarder)
      : context_(context),
        router_(router),
        metrics_(metrics),
        forwarder_(forwarder),
        // Batch size 0: every ServerMessage is its own write.
        writer_(
            0, max_queue_bytes, [this](const v1::ServerMessage* message) { StartWrite(message); },
            [this] { context_->TryCancel(); }) {
    metrics_->StreamOpened("session");
    ConnectionMeta meta;
    meta.client_ip = PeerIp(context->peer());
    auto auth = context->client_metadata().find("authorization");
    if (auth != context->client_metadata().end()) {
      std::string value(auth->second.data(), auth->second.size());
      if (absl::StartsWith(value, "Bearer ")) meta.bearer_token = value.substr(7);
    }
    if (forwarder_ != nullptr) {
      origin_.set_client_ip(meta.client_ip);
      origin_.set_bearer_token(meta.bearer_token);
      origin_.set_transport("proto");
    }
    key_ = router_->Open(this, 0, std::move(meta));
    absl::MutexLock lock(&mu_);
    if (!closed_) StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      {
        absl::MutexLock lock(&mu_);
        if (forward_ != nullptr) {
          forward_->Close();  // the session there ends; OnForwardDone follows
          return;
        }
        if (closed_) {
          MaybeFinishLocked();
          return;
        }
      }
      router_->OnTransportClosed(key_);
      absl::MutexLock lock(&mu_);
      closed_ = true;
      MaybeFinishLocked();
      return;
    }
    {
      absl::MutexLock lock(&mu_);
      if (forward_ != nullptr) {
        forward_->Send(std::move(in_));
        in_.Clear();
        StartRead(&in_);
        return;
      }
      // Kept for a move to another replica, which needs the join again.
      if (forwarder_ != nullptr && in_.has_join()) join_ = in_;
    }
    router_->OnMessage(key_, std::move(in_));
    in_.Clear();
    StartRead(&in_);
  }

  void Deliver(uint64_t, v1::ServerMessage message) override {
    const size_t bytes = message.ByteSizeLong();
    absl::MutexLock lock(&mu_);
    writer_.Push(bytes, [&](v1::ServerMessage& slot) { slot = std::move(message); });
  }

  void CloseConn(uint64_t, uint32_t code, const std::string&) override {
    absl::MutexLock lock(&mu_);
    closed_ = true;
    close_code_ = code;
    MaybeFinishLocked();
  }

  // The session was released here: it is carried on at `replica`.
  void Redirect(uint64_t, const std::string& replica,
                const std::string& announced_session_id) override {
    absl::MutexLock lock(&mu_);
    MoveLocked(replica, announced_session_id);
  }

  void OnForwarded(v1::ServerMessage message) override { Deliver(0, std::move(message)); }

  void OnForwardClosed(uint32_t code, const std::string& reason) override {
    CloseConn(0, code, reason);
  }

  void OnForwardRedirect(const std::string& replica,
                         const std::string& announced_session_id) override {
    absl::MutexLock lock(&mu_);
    MoveLocked(replica, announced_session_id);
  }

  void OnForwardDone(ForwardStream* stream, bool ended) override {
    bool last;
    {
      absl::MutexLock lock(&mu_);
      if (forward_ == stream) {
        forward_ = nullptr;
        // Lost before the session ended there (that replica died): the
        // client hears what a gateway's client hears when its stream drops.
        if (!ended && !closed_) FailLocked("the matching replica holding the session is gone");
        if (!closed_) closed_ = true;  // the client's side ended first
        MaybeFinishLocked();
      }
      last = --holds_ == 0;
    }
    if (last) delete this;
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writer_.OnWriteDone(ok);
    MaybeFinishLocked();
  }

  void OnCancel() override {
    // A cancelled stream ends like a dropped socket.
    bool notify;
    {
      absl::MutexLock lock(&mu_);
      if (forward_ != nullptr) forward_->Close();
      notify = !closed_ && !moved_;
      closed_ = true;
    }
    if (notify) router_->OnTransportClosed(key_);
  }

  void OnDone() override {
    metrics_->StreamClosed("session");
    bool last;
    {
      absl::MutexLock lock(&mu_);
      last = --holds_ == 0;
    }
    if (last) delete this;
  }

 private:
  void MoveLocked(const std::string& replica, const std::string& announced_session_id)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (closed_) return;
    if (forwarder_ == nullptr || hops_ >= kMaxHops || !join_.has_join()) {
      FailLocked("the target is held by another matching replica");
      return;
    }
    ++hops_;
    moved_ = true;
    v1::ConnectionInfo info = origin_;
    info.set_announced_session_id(announced_session_id);
    ++holds_;  // until the forward's OnForwardDone
    forward_ = forwarder_->Start(replica, std::move(info), join_, this);
  }

  // UNAVAILABLE and 1013, as a gateway's client gets when matching is gone.
  void FailLocked(const std::string& why) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    v1::ServerMessage error;
    error.mutable_error()->set_code(v1::Error::UNAVAILABLE);
    error.mutable_error()->set_message(why);
    writer_.Push(error.ByteSizeLong(), [&](v1::ServerMessage& slot) { slot = std::move(error); });
    closed_ = true;
    close_code_ = protocol::kCloseTryAgain;
    MaybeFinishLocked();
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!closed_ || finished_ || !writer_.Drained()) return;
    finished_ = true;
    if (close_code_ != 0) {
      context_->AddTrailingMetadata("signaling-close-code", absl::StrCat(close_code_));
    }
    Finish(grpc::Status::OK);
  }

  grpc::CallbackServerContext* const context_;
  SessionRouter* const router_;
  MatchingMetrics* const metrics_;
  SessionForwarder* const forwarder_;  // nullptr: matching runs alone
  SessionKey key_ = 0;
  v1::ClientMessage in_;  // touched only by the read side
  absl::Mutex mu_;
  StreamWriter<v1::ServerMessage> writer_ ABSL_GUARDED_BY(mu_);
  // The session is over: closed by the router, or its transport ended.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t close_code_ ABSL_GUARDED_BY(mu_) = 0;
  // Cluster mode: the client's address and token, and its last join, for a
  // move; the forward carrying the session on at another replica.
  v1::ConnectionInfo origin_;
  v1::ClientMessage join_ ABSL_GUARDED_BY(mu_);
  ForwardStream* forward_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool moved_ ABSL_GUARDED_BY(mu_) = false;  // released here: the router no longer has it
  int hops_ ABSL_GUARDED_BY(mu_) = 0;
  // The call, and each forward until its OnForwardDone: the last one deletes.
  int holds_ ABSL_GUARDED_BY(mu_) = 1;
};

}  // namespace

grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>* NewSessionReactor(
    grpc::CallbackServerContext* context, SessionRouter* router, MatchingMetrics* metrics,
    size_t max_queue_bytes, SessionForwarder* forwarder) {
  return new SessionReactor(context, router, metrics, max_queue_bytes, forwarder);
}

std::string PeerIp(const std::string& grpc_peer) {
  std::string address = grpc_peer;
  for (const char* prefix : {"ipv4:", "ipv6:"}) {
    if (absl::StartsWith(address, prefix)) address = address.substr(strlen(prefix));
  }
  const size_t colon = address.rfind(':');
  if (colon != std::string::npos) address = address.substr(0, colon);
  if (address.size() > 2 && address.front() == '[') address = address.substr(1, address.size() - 2);
  return address;
}

}  // namespace signaling::matching
