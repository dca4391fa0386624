// The write queue of a batched stream (the gateway<->matching Relay stream):
// events are appended to the newest batch until it would exceed a byte
// limit, then a new batch starts; the whole queue is bounded. Keeping every
// batch below the peer's receive limit is what keeps a backlog from turning
// into one message the peer refuses (which ends the stream).
//
// Batch is a message with Clear() and Swap(Batch*) (a protobuf message).
// Not thread-safe: the owner serializes calls (under its stream's lock).
#ifndef COMMON_NET_BATCH_QUEUE_H_
#define COMMON_NET_BATCH_QUEUE_H_

#include <cstddef>
#include <deque>

namespace signaling::net {

template <class Batch>
class BatchQueue {
 public:
  // `batch_bytes`: a batch is cut before it would exceed this (an event
  // larger than it travels alone). `max_bytes`: queued bytes allowed.
  BatchQueue(size_t batch_bytes, size_t max_bytes)
      : batch_bytes_(batch_bytes), max_bytes_(max_bytes) {}

  // The batch an event of `bytes` (its encoded size, estimated from above)
  // goes into, or nullptr when it would take the queue past `max_bytes`:
  // the peer is not keeping up and the caller gives the stream up.
  Batch* Add(size_t bytes) {
    if (bytes_ + bytes > max_bytes_) return nullptr;
    if (batches_.empty() || batches_.back().bytes + bytes > batch_bytes_) {
      batches_.emplace_back();
    }
    batches_.back().bytes += bytes;
    bytes_ += bytes;
    return &batches_.back().batch;
  }

  bool empty() const { return batches_.empty(); }
  size_t batches() const { return batches_.size(); }
  size_t bytes() const { return bytes_; }

  // Moves the oldest batch into `*out` (cleared first). Requires !empty().
  void PopInto(Batch* out) {
    out->Clear();
    out->Swap(&batches_.front().batch);
    bytes_ -= batches_.front().bytes;
    batches_.pop_front();
  }

  void Clear() {
    batches_.clear();
    bytes_ = 0;
  }

 private:
  struct Entry {
    Batch batch;
    size_t bytes = 0;
  };

  const size_t batch_bytes_;
  const size_t max_bytes_;
  std::deque<Entry> batches_;
  size_t bytes_ = 0;
};

}  // namespace signaling::net

#endif  // COMMON_NET_BATCH_QUEUE_H_
