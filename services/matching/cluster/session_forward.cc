// A Session stream carried on at another replica; see session_forward.h.
#include "services/matching/cluster/session_forward.h"

#include <algorithm>
#include <utility>

namespace signaling::matching {
namespace {

// The one connection a forward opens on its Relay stream.
constexpr uint64_t kConn = 1;

}  // namespace

absl::StatusOr<std::unique_ptr<SessionForwarder>> SessionForwarder::Create(
    const net::GrpcClientTls& tls) {
  auto credentials = net::ChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  return std::unique_ptr<SessionForwarder>(new SessionForwarder(*std::move(credentials), tls));
}

SessionForwarder::~SessionForwarder() {
  absl::MutexLock lock(&mu_);
  for (ForwardStream* stream : live_) stream->context_.TryCancel();
  mu_.Await(absl::Condition(
      +[](absl::flat_hash_set<ForwardStream*>* live) { return live->empty(); }, &live_));
}

void SessionForwarder::Done(ForwardStream* stream) {
  absl::MutexLock lock(&mu_);
  live_.erase(stream);
}

ForwardStream* SessionForwarder::Start(const std::string& replica, v1::ConnectionInfo info,
                                       v1::ClientMessage join, ForwardSink* sink) {
  auto* stream = new ForwardStream(this, sink);
  v1::Matching::Stub* stub;
  {
    absl::MutexLock lock(&mu_);
    auto& slot = stubs_[replica];
    if (slot == nullptr) {
      slot = v1::Matching::NewStub(net::CreateChannel(replica, credentials_, tls_));
    }
    stub = slot.get();
    live_.insert(stream);
  }
  stub->async()->Relay(&stream->context_, stream);
  {
    absl::MutexLock lock(&stream->mu_);
    v1::RelayUp::Event open;
    open.set_conn(kConn);
    *open.mutable_open() = std::move(info);
    stream->Queue(std::move(open));
    v1::RelayUp::Event first;
    first.set_conn(kConn);
    *first.mutable_message() = std::move(join);
    stream->Queue(std::move(first));
  }
  stream->StartRead(&stream->in_);
  stream->StartCall();
  return stream;
}

void ForwardStream::Send(v1::ClientMessage message) {
  absl::MutexLock lock(&mu_);
  if (closing_) return;
  v1::RelayUp::Event event;
  event.set_conn(kConn);
  *event.mutable_message() = std::move(message);
  Queue(std::move(event));
}

void ForwardStream::Close() {
  absl::MutexLock lock(&mu_);
  if (closing_) return;
  v1::RelayUp::Event event;
  event.set_conn(kConn);
  event.mutable_closed();
  Queue(std::move(event));
  closing_ = true;
  WriteNextLocked();
}

void ForwardStream::Queue(v1::RelayUp::Event event) {
  const size_t bytes = event.ByteSizeLong();
  if (queued_bytes_ + bytes > kMaxQueuedBytes) {
    closing_ = true;
    queue_.clear();
    context_.TryCancel();
    return;
  }
  queued_bytes_ += bytes;
  // Events queued while a write is in flight go out together, in one batch.
  if (queue_.empty() || writing_ == false) queue_.emplace_back();
  *queue_.back().add_events() = std::move(event);
  WriteNextLocked();
}

void ForwardStream::WriteNextLocked() {
  if (writing_) return;
  if (!queue_.empty()) {
    writing_batch_ = std::move(queue_.front());
    queue_.pop_front();
    queued_bytes_ -= std::min(queued_bytes_, writing_batch_.ByteSizeLong());
    writing_ = true;
    StartWrite(&writing_batch_);
    return;
  }
  if (closing_ && !writes_done_) {
    writes_done_ = true;
    writing_ = true;
    StartWritesDone();
  }
}

void ForwardStream::OnWriteDone(bool ok) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
  if (!ok) {
    // The stream is going down: OnDone follows.
    closing_ = true;
    writes_done_ = true;
    queue_.clear();
    return;
  }
  WriteNextLocked();
}

void ForwardStream::OnWritesDoneDone(bool) {
  absl::MutexLock lock(&mu_);
  writing_ = false;
}

void ForwardStream::OnReadDone(bool ok) {
  if (!ok) return;  // the stream ended; OnDone follows
  for (v1::RelayDown::Event& event : *in_.mutable_events()) {
    if (event.conn() != kConn || ended_) continue;
    if (event.has_message()) {
      sink_->OnForwarded(std::move(*event.mutable_message()));
    } else if (event.has_close()) {
      ended_ = true;
      sink_->OnForwardClosed(event.close().code(), event.close().reason());
    } else if (event.has_redirect()) {
      ended_ = true;
      sink_->OnForwardRedirect(event.redirect().replica(), event.redirect().announced_session_id());
    }
  }
  if (ended_) {
    // The session there is released: end the stream (nothing more to send).
    absl::MutexLock lock(&mu_);
    closing_ = true;
    queue_.clear();
    WriteNextLocked();
  }
  in_.Clear();
  StartRead(&in_);
}

void ForwardStream::OnDone(const grpc::Status&) {
  sink_->OnForwardDone(this, ended_);
  owner_->Done(this);
  delete this;
}

}  // namespace signaling::matching
