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

class SessionReactor final : public grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>,
                             public SessionSink {
 public:
  SessionReactor(grpc::CallbackServerContext* context, SessionRouter* router,
                 MatchingMetrics* metrics, size_t max_queue_bytes)
      : context_(context),
        router_(router),
        metrics_(metrics),
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
    key_ = router_->Open(this, 0, std::move(meta));
    absl::MutexLock lock(&mu_);
    if (!closed_) StartRead(&in_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      {
        absl::MutexLock lock(&mu_);
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

  // A Session stream cannot move to another replica: its offerer, whose
  // target is held elsewhere, is refused as if the directory were down
  // (docs/scaling.md: internal clients reach other replicas' ids through a
  // gateway for now).
  void Redirect(uint64_t conn, const std::string&, const std::string&) override {
    v1::ServerMessage error;
    error.mutable_error()->set_code(v1::Error::UNAVAILABLE);
    error.mutable_error()->set_message("the target is held by another matching replica");
    Deliver(conn, std::move(error));
    CloseConn(conn, protocol::kCloseTryAgain, "target on another replica");
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
      notify = !closed_;
      closed_ = true;
    }
    if (notify) router_->OnTransportClosed(key_);
  }

  void OnDone() override {
    metrics_->StreamClosed("session");
    delete this;
  }

 private:
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
  SessionKey key_ = 0;
  v1::ClientMessage in_;  // touched only by the read side
  absl::Mutex mu_;
  StreamWriter<v1::ServerMessage> writer_ ABSL_GUARDED_BY(mu_);
  // The session is over: closed by the router, or its transport ended.
  bool closed_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
  uint32_t close_code_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace

grpc::ServerBidiReactor<v1::ClientMessage, v1::ServerMessage>* NewSessionReactor(
    grpc::CallbackServerContext* context, SessionRouter* router, MatchingMetrics* metrics,
    size_t max_queue_bytes) {
  return new SessionReactor(context, router, metrics, max_queue_bytes);
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
