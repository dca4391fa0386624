// A fake Matching service for tests/gateway/relay_client_test.cc: the Relay
// side of a real gRPC callback service, scripted by the test (see
// FakeMatching). Header only; thread-safe.
#ifndef TESTS_GATEWAY_FAKE_RELAY_SERVER_H_
#define TESTS_GATEWAY_FAKE_RELAY_SERVER_H_

#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::gateway {

// The Matching service's Relay side, scripted by the test: records every
// RelayUp of every stream, writes RelayDown batches on demand, ends the
// latest stream with a chosen status, and can hold its reads (so that the
// gateway's writes stall on HTTP/2 flow control).
class FakeMatching final : public v1::Matching::CallbackService {
 public:
  // Every Wait* gives up after `timeout`.
  explicit FakeMatching(absl::Duration timeout) : timeout_(timeout) {}

  grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown>* Relay(
      grpc::CallbackServerContext* context) override {
    absl::MutexLock lock(&mu_);
    streams_.emplace_back();
    auto* reactor = new Reactor(this, static_cast<int>(streams_.size()) - 1);
    current_ = reactor;
    if (!hold_reads_) reactor->StartReadingLocked();
    return reactor;
  }

  // While held, a new or current stream reads nothing.
  void HoldReads() {
    absl::MutexLock lock(&mu_);
    hold_reads_ = true;
  }
  void ReleaseReads() {
    absl::MutexLock lock(&mu_);
    hold_reads_ = false;
    if (current_ != nullptr) current_->StartReadingLocked();
  }

  bool WaitStreams(int n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return static_cast<int>(streams_.size()) >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout_);
  }
  // Waits until stream `i` has received `n` events.
  bool WaitEvents(int i, size_t n) {
    absl::MutexLock lock(&mu_);
    auto enough = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return i < static_cast<int>(streams_.size()) && EventCountLocked(i) >= n;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&enough), timeout_);
  }
  // Waits until stream `i` is over (OnDone ran).
  bool WaitDone(int i) {
    absl::MutexLock lock(&mu_);
    auto done = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return i < static_cast<int>(streams_.size()) && streams_[i].done;
    };
    return mu_.AwaitWithTimeout(absl::Condition(&done), timeout_);
  }

  int StreamCount() {
    absl::MutexLock lock(&mu_);
    return static_cast<int>(streams_.size());
  }
  std::vector<v1::RelayUp> Batches(int i) {
    absl::MutexLock lock(&mu_);
    return streams_.at(i).batches;
  }
  std::vector<v1::RelayUp::Event> Events(int i) {
    std::vector<v1::RelayUp::Event> events;
    for (const v1::RelayUp& batch : Batches(i)) {
      events.insert(events.end(), batch.events().begin(), batch.events().end());
    }
    return events;
  }

  // Writes `down` on the latest stream (in order with earlier ones).
  void Send(v1::RelayDown down) {
    absl::MutexLock lock(&mu_);
    ASSERT_NE(current_, nullptr);
    current_->WriteLocked(std::move(down));
  }
  // Ends the latest stream with `status` once its writes are out.
  void End(const grpc::Status& status) {
    absl::MutexLock lock(&mu_);
    ASSERT_NE(current_, nullptr);
    current_->FinishLocked(status);
  }

 private:
  struct StreamRecord {
    std::vector<v1::RelayUp> batches;
    bool done = false;
  };

  // All its state is guarded by the owner's mutex; gRPC never runs a
  // reaction inline from a Start* call, so they may take it.
  class Reactor final : public grpc::ServerBidiReactor<v1::RelayUp, v1::RelayDown> {
   public:
    Reactor(FakeMatching* owner, int index) : owner_(owner), index_(index) {
      StartSendInitialMetadata();  // the gateway's client counts as up from here
    }

    void StartReadingLocked() {
      if (reading_ || read_done_) return;
      reading_ = true;
      StartRead(&in_);
    }
    void WriteLocked(v1::RelayDown down) {
      if (finishing_) return;
      out_.push_back(std::move(down));
      if (!writing_) WriteNextLocked();
    }
    void FinishLocked(const grpc::Status& status) {
      if (finishing_) return;
      finishing_ = true;
      status_ = status;
      if (!writing_) Finish(status_);
    }

    void OnReadDone(bool ok) override {
      absl::MutexLock lock(&owner_->mu_);
      if (!ok) {
        read_done_ = true;
        FinishLocked(grpc::Status::OK);
        return;
      }
      owner_->streams_[index_].batches.push_back(in_);
      in_.Clear();
      StartRead(&in_);
    }
    void OnWriteDone(bool ok) override {
      absl::MutexLock lock(&owner_->mu_);
      writing_ = false;
      out_.erase(out_.begin());
      if (ok && !out_.empty()) return WriteNextLocked();
      if (finishing_) Finish(status_);
    }
    void OnCancel() override {
      absl::MutexLock lock(&owner_->mu_);
      FinishLocked(grpc::Status::CANCELLED);
    }
    void OnDone() override {
      {
        absl::MutexLock lock(&owner_->mu_);
        owner_->streams_[index_].done = true;
        if (owner_->current_ == this) owner_->current_ = nullptr;
      }
      delete this;
    }

   private:
    void WriteNextLocked() {
      writing_ = true;
      StartWrite(&out_.front());
    }

    FakeMatching* const owner_;
    const int index_;
    v1::RelayUp in_;
    std::vector<v1::RelayDown> out_;
    grpc::Status status_;
    bool reading_ = false, read_done_ = false, writing_ = false, finishing_ = false;
  };

  size_t EventCountLocked(int i) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
    size_t n = 0;
    for (const auto& batch : streams_[i].batches) n += batch.events_size();
    return n;
  }

  const absl::Duration timeout_;
  absl::Mutex mu_;
  std::vector<StreamRecord> streams_ ABSL_GUARDED_BY(mu_);
  Reactor* current_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool hold_reads_ ABSL_GUARDED_BY(mu_) = false;
};

// Serves `fake` on a loopback port-0 gRPC server, plaintext; `address`
// gets where (127.0.0.1:port). nullptr when the server cannot start.
inline std::unique_ptr<grpc::Server> ServeOnLoopback(FakeMatching* fake, std::string* address) {
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(fake);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  *address = "127.0.0.1:" + std::to_string(port);
  return server;
}

}  // namespace signaling::gateway

#endif  // TESTS_GATEWAY_FAKE_RELAY_SERVER_H_
