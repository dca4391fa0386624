// The Relay stream's reactor; see relay_reactor.h.
#include "services/matching/relay_reactor.h"

#include <utility>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "services/matching/stream_writer.h"

namespace signaling::matching {
namespace {

class RelayReactor final : public grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>,
                           public SessionSink {
 public:
  RelayReactor(grpc::CallbackServerContext* context, SessionRouter* router,
               MatchingMetrics* metrics, size_t batch_bytes, size_t max_queue_bytes)
      : context_(context),
        router_(router),
        metrics_(metrics),
        writer_(
            batch_bytes, max_queue_bytes, [this](const v1::RelayDown* batch) { StartWrite(batch); },
            [this] { context_->TryCancel(); }) {
    metrics_->StreamOpened("relay");
    StartSendInitialMetadata();  // tells the gateway the stream is up
    router_->AddStream(this);
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
      writer_.Cork();
    }
    for (auto& event : *in_.mutable_events()) HandleEvent(event);
    in_.Clear();
    {
      absl::MutexLock lock(&mu_);
      writer_.Uncork();
    }
    StartRead(&in_);
  }

  void Deliver(uint64_t conn, v1::ServerMessage message) override {
    const size_t bytes = message.ByteSizeLong() + 16;  // + conn, tags, lengths
    absl::MutexLock lock(&mu_);
    writer_.Push(bytes, [&](v1::RelayDown& batch) {
      auto* event = batch.add_events();
      event->set_conn(conn);
      *event->mutable_message() = std::move(message);
    });
  }

  void CloseConn(uint64_t conn, uint32_t code, const std::string& reason) override {
    absl::MutexLock lock(&mu_);
    writer_.Push(reason.size() + 24, [&](v1::RelayDown& batch) {
      auto* event = batch.add_events();
      event->set_conn(conn);
      event->mutable_close()->set_code(code);
      event->mutable_close()->set_reason(reason);
    });
  }

  void Redirect(uint64_t conn, const std::string& replica,
                const std::string& announced_session_id) override {
    absl::MutexLock lock(&mu_);
    writer_.Push(replica.size() + announced_session_id.size() + 24, [&](v1::RelayDown& batch) {
      auto* event = batch.add_events();
      event->set_conn(conn);
      event->mutable_redirect()->set_replica(replica);
      event->mutable_redirect()->set_announced_session_id(announced_session_id);
    });
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&mu_);
    writer_.OnWriteDone(ok);
    MaybeFinishLocked();
  }

  void OnDone() override {
    router_->RemoveStream(this);
    metrics_->StreamClosed("relay");
    delete this;
  }

  void Draining() override {
    absl::MutexLock lock(&mu_);
    // A stream that already finished takes no write (OnDone may be pending).
    if (finished_ || read_done_) return;
    writer_.Push(8, [](v1::RelayDown& batch) { batch.set_draining(true); });
  }

 private:
  // One event of a read batch; reads are sequential, so keys_ needs no lock.
  void HandleEvent(v1::RelayUp::Event& event) {
    switch (event.kind_case()) {
      case v1::RelayUp::Event::kOpen: {
        if (keys_.contains(event.conn())) break;
        ConnectionMeta meta{event.open().client_ip(), event.open().bearer_token(),
                            event.open().announced_session_id()};
        keys_[event.conn()] = router_->Open(this, event.conn(), std::move(meta));
        break;
      }
      case v1::RelayUp::Event::kMessage: {
        auto it = keys_.find(event.conn());
        if (it != keys_.end()) router_->OnMessage(it->second, std::move(*event.mutable_message()));
        break;
      }
      case v1::RelayUp::Event::kClosed: {
        auto it = keys_.find(event.conn());
        if (it != keys_.end()) {
          const SessionKey key = it->second;
          keys_.erase(it);
          router_->OnTransportClosed(key);
        }
        break;
      }
      case v1::RelayUp::Event::KIND_NOT_SET: break;
    }
  }

  // Releases every session of this stream in the router.
  void DropAll() {
    for (const auto& [conn, key] : keys_) router_->OnTransportClosed(key);
    keys_.clear();
  }

  void MaybeFinishLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    if (!read_done_ || finished_ || !writer_.Drained()) return;
    finished_ = true;
    Finish(grpc::Status::OK);
  }

  grpc::CallbackServerContext* const context_;
  SessionRouter* const router_;
  MatchingMetrics* const metrics_;
  v1::RelayUp in_;
  // Touched only by the read side (reads are sequential).
  absl::flat_hash_map<uint64_t, SessionKey> keys_;
  absl::Mutex mu_;
  StreamWriter<v1::RelayDown> writer_ ABSL_GUARDED_BY(mu_);
  bool read_done_ ABSL_GUARDED_BY(mu_) = false;
  bool finished_ ABSL_GUARDED_BY(mu_) = false;
};

}  // namespace

grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>* NewRelayReactor(
    grpc::CallbackServerContext* context, SessionRouter* router, MatchingMetrics* metrics,
    size_t batch_bytes, size_t max_queue_bytes) {
  return new RelayReactor(context, router, metrics, batch_bytes, max_queue_bytes);
}

}  // namespace signaling::matching
