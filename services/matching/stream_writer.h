// The write side of one gRPC server stream, shared by the Relay and the
// Session reactors: a queue of outgoing messages with one write in flight,
// bounded by bytes. Past the bound the peer is not reading: the stream is
// given up (the owner's cancel hook) rather than left to grow.
//
// Messages are appended to the newest batch until it would exceed
// `batch_bytes` (Relay: many events per RelayDown); with batch_bytes 0 every
// message is its own write (Session: one ServerMessage per write). A cork
// holds writes back while a read batch is handled, so that the replies to
// it leave together.
//
// Not thread-safe and gRPC-free: the owning reactor calls it under its own
// lock, and the hooks (start_write, cancel) run under that lock too.
#ifndef SERVICES_MATCHING_STREAM_WRITER_H_
#define SERVICES_MATCHING_STREAM_WRITER_H_

#include <cstddef>
#include <utility>

#include "absl/functional/any_invocable.h"
#include "common/net/batch_queue.h"

namespace signaling::matching {

template <class Batch>
class StreamWriter {
 public:
  // `start_write(batch)` starts the one write in flight; `*batch` stays
  // valid until OnWriteDone. `cancel()` gives the stream up, once.
  StreamWriter(size_t batch_bytes, size_t max_queue_bytes,
               absl::AnyInvocable<void(const Batch*)> start_write,
               absl::AnyInvocable<void()> cancel)
      : queue_(batch_bytes, max_queue_bytes),
        start_write_(std::move(start_write)),
        cancel_(std::move(cancel)) {}

  // Queues a message of about `bytes` (its encoded size, estimated from
  // above): `fill(Batch&)` writes it into the batch it goes into. Starts a
  // write unless one is in flight or the writer is corked. False when the
  // stream is given up (now or before): nothing was queued.
  template <class Fill>
  bool Push(size_t bytes, Fill&& fill) {
    if (broken_) return false;
    // At least one byte: with batch_bytes 0 each message is its own batch.
    Batch* batch = queue_.Add(bytes > 0 ? bytes : 1);
    if (batch == nullptr) {
      broken_ = true;
      queue_.Clear();
      cancel_();
      return false;
    }
    std::forward<Fill>(fill)(*batch);
    MaybeWrite();
    return true;
  }

  // Holds writes back until Uncork().
  void Cork() { corked_ = true; }
  void Uncork() {
    corked_ = false;
    MaybeWrite();
  }

  // The write in flight ended; !ok: the stream is broken, nothing more is
  // written.
  void OnWriteDone(bool ok) {
    writing_ = false;
    if (!ok) {
      broken_ = true;
      queue_.Clear();
    }
    MaybeWrite();
  }

  // Nothing in flight and nothing more to write: the stream may finish.
  bool Drained() const { return !writing_ && (broken_ || queue_.empty()); }
  bool broken() const { return broken_; }
  size_t queued_bytes() const { return queue_.bytes(); }

 private:
  void MaybeWrite() {
    if (writing_ || corked_ || broken_ || queue_.empty()) return;
    queue_.PopInto(&out_);
    writing_ = true;
    start_write_(&out_);
  }

  net::BatchQueue<Batch> queue_;
  Batch out_;  // the write in flight
  absl::AnyInvocable<void(const Batch*)> start_write_;
  absl::AnyInvocable<void()> cancel_;
  bool writing_ = false;
  bool corked_ = false;
  bool broken_ = false;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_STREAM_WRITER_H_
