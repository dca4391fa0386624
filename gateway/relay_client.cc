// The Relay stream client; see relay_client.h.
#include "gateway/relay_client.h"

#include <algorithm>

#include "common/log/log.h"
#include "common/net/batch_queue.h"

namespace signaling::gateway {

// One attempt of the stream. Deletes itself in OnDone.
class RelayClient::Stream final : public grpc::ClientBidiReactor<v1::RelayUp, v1::RelayDown> {
 public:
  Stream(RelayClient* owner, uint64_t generation)
      : owner_(owner),
        generation_(generation),
        pending_(owner->limits_.batch_bytes, owner->limits_.max_queue_bytes) {}

  void Begin(v1::Matching::Stub* stub) {
    stub->async()->Relay(&context_, this);
    StartRead(&in_);
    AddHold();  // released when the write side is done
    StartCall();
  }

  uint64_t generation() const { return generation_; }

  // Called with the owner's lock held. Batches stay below the matching
  // service's receive limit; the queue is bounded.
  void QueueLocked(v1::RelayUp::Event event) {
    if (write_side_done_) return;
    v1::RelayUp* batch = pending_.Add(event.ByteSizeLong() + 8);  // + tag, length
    if (batch == nullptr) {
      if (log::ShouldLog("relay-backlog")) {
        log::Get("gateway")->warn("the matching service is not keeping up; giving the stream up");
      }
      pending_.Clear();
      context_.TryCancel();
      return;
    }
    *batch->add_events() = std::move(event);
    if (!writing_) WriteLocked();
  }

  void Cancel() { context_.TryCancel(); }

  void OnReadInitialMetadataDone(bool ok) override {
    if (ok) owner_->OnStreamUp(this);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      // The stream is ending: no further writes; let OnDone come.
      absl::MutexLock lock(&owner_->mu_);
      write_side_done_ = true;
      if (!writing_) ReleaseHoldLocked();
      return;
    }
    if (in_.draining()) owner_->OnDraining(this);
    owner_->listener_->OnRelayDown(std::move(in_));
    in_.Clear();
    StartRead(&in_);
  }

  void OnWriteDone(bool ok) override {
    absl::MutexLock lock(&owner_->mu_);
    writing_ = false;
    if (!ok) write_side_done_ = true;
    if (write_side_done_) {
      ReleaseHoldLocked();
      return;
    }
    if (!pending_.empty()) WriteLocked();
  }

  void OnDone(const grpc::Status& status) override {
    RelayClient* owner = owner_;
    owner->OnStreamDone(this, status);
    // Our context holds a reference to the channel: it must not be the last
    // one, or the channel would be destroyed on gRPC's own callback thread
    // (which then cannot join itself). So delete first, then let Stop()
    // return and the owner release the channel.
    delete this;
    owner->OnStreamGone();
  }

 private:
  void ReleaseHoldLocked() {
    if (hold_released_) return;
    hold_released_ = true;
    RemoveHold();  // never runs OnDone inline (gRPC schedules it)
  }

  void WriteLocked() {
    pending_.PopInto(&out_);
    writing_ = true;
    StartWrite(&out_);
  }

  RelayClient* owner_;
  const uint64_t generation_;
  grpc::ClientContext context_;
  v1::RelayDown in_;
  net::BatchQueue<v1::RelayUp> pending_;  // guarded by owner_->mu_
  v1::RelayUp out_;
  bool writing_ = false;          // guarded by owner_->mu_
  bool write_side_done_ = false;  // guarded by owner_->mu_
  bool hold_released_ = false;    // guarded by owner_->mu_
};

RelayClient::RelayClient(std::shared_ptr<grpc::Channel> channel, RelayListener* listener,
                         RelayLimits limits, uint64_t generation_base)
    : channel_(std::move(channel)),
      stub_(v1::Matching::NewStub(channel_)),
      listener_(listener),
      limits_(limits),
      generation_(generation_base) {}

RelayClient::~RelayClient() { Stop(); }

void RelayClient::Start() {
  reconnect_thread_ = std::thread([this] { ReconnectLoop(); });
}

void RelayClient::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_ && !reconnect_thread_.joinable()) return;
    stopping_ = true;
    if (current_ != nullptr) current_->Cancel();
  }
  if (reconnect_thread_.joinable()) reconnect_thread_.join();
  absl::MutexLock lock(&mu_);
  auto all_done = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return live_streams_ == 0; };
  mu_.Await(absl::Condition(&all_done));  // cancelled streams end promptly
}

void RelayClient::ReconnectLoop() {
  absl::Duration backoff = absl::Milliseconds(100);
  absl::MutexLock lock(&mu_);
  while (!stopping_) {
    if (current_ == nullptr) {
      StartStreamLocked();
    }
    auto lost = [this]()
                    ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_ || current_ == nullptr; };
    mu_.Await(absl::Condition(&lost));
    if (stopping_) break;
    // Back off before the next attempt unless the last stream was healthy.
    if (last_was_up_) backoff = absl::Milliseconds(100);
    mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
    backoff = std::min(backoff * 2, absl::Seconds(2));
  }
}

void RelayClient::StartStreamLocked() {
  current_ = new Stream(this, ++generation_);
  up_ = false;
  ++live_streams_;
  current_->Begin(stub_.get());
}

void RelayClient::OnStreamUp(Stream* stream) {
  absl::MutexLock lock(&mu_);
  if (stream == current_) {
    up_ = true;
    draining_ = false;
    log::Get("gateway")->info("connected to the matching service");
  }
}

void RelayClient::OnStreamDone(Stream* stream, const grpc::Status& status) {
  bool lost = false;
  {
    absl::MutexLock lock(&mu_);
    if (stream == current_) {
      lost = up_;
      last_was_up_ = up_;
      current_ = nullptr;
      up_ = false;
    }
  }
  if (lost) {
    log::Get("gateway")->warn("lost the matching service stream: grpc code {}: {}",
                              static_cast<int>(status.error_code()), status.error_message());
  }
  // Connections may have been opened before the stream was known to be up;
  // report the generation lost either way.
  listener_->OnStreamLost(stream->generation());
}

void RelayClient::OnStreamGone() {
  // Last: once no stream is live, Stop() may return and the owner go away.
  absl::MutexLock lock(&mu_);
  --live_streams_;
}

bool RelayClient::Enqueue(uint64_t generation, v1::RelayUp::Event event) {
  absl::MutexLock lock(&mu_);
  if (current_ == nullptr || !up_ || current_->generation() != generation) return false;
  current_->QueueLocked(std::move(event));
  return true;
}

uint64_t RelayClient::Open(uint64_t conn, v1::ConnectionInfo info) {
  absl::MutexLock lock(&mu_);
  if (current_ == nullptr || !up_) return 0;
  v1::RelayUp::Event event;
  event.set_conn(conn);
  *event.mutable_open() = std::move(info);
  current_->QueueLocked(std::move(event));
  return current_->generation();
}

void RelayClient::Send(uint64_t conn, uint64_t generation, v1::ClientMessage message) {
  v1::RelayUp::Event event;
  event.set_conn(conn);
  *event.mutable_message() = std::move(message);
  Enqueue(generation, std::move(event));
}

void RelayClient::Closed(uint64_t conn, uint64_t generation) {
  v1::RelayUp::Event event;
  event.set_conn(conn);
  event.mutable_closed();
  Enqueue(generation, std::move(event));
}

bool RelayClient::connected() const {
  absl::MutexLock lock(&mu_);
  return up_;
}

bool RelayClient::accepting() const {
  absl::MutexLock lock(&mu_);
  return up_ && !draining_;
}

void RelayClient::OnDraining(Stream* stream) {
  absl::MutexLock lock(&mu_);
  if (stream != current_ || draining_) return;
  draining_ = true;
  log::Get("gateway")->info("a matching replica is draining: no new sessions go to it");
}

}  // namespace signaling::gateway
