// A connection's bounded outbound queue; see outbound_queue.h.
#include "gateway/outbound_queue.h"

#include <iterator>
#include <utility>

namespace signaling::gateway {

bool OutboundQueue::Push(std::string data, bool text, size_t max_bytes) {
  bytes_ += data.size();
  if (bytes_ > max_bytes) {
    Drop();
    return false;
  }
  frames_.push_back(Frame{std::move(data), text});
  return true;
}

const OutboundQueue::Frame* OutboundQueue::StartWrite() {
  if (writing_ || frames_.empty()) return nullptr;
  writing_ = true;
  return &frames_.front();
}

bool OutboundQueue::FinishWrite(bool ok) {
  writing_ = false;
  if (!ok) {
    frames_.clear();
    bytes_ = 0;
    return false;
  }
  if (frames_.empty()) return false;
  bytes_ -= frames_.front().data.size();
  frames_.pop_front();
  return true;
}

void OutboundQueue::Drop() {
  // The frame being written stays: the write in flight still reads it.
  const std::size_t keep = writing_ && !frames_.empty() ? 1 : 0;
  frames_.erase(std::next(frames_.begin(), keep), frames_.end());
  bytes_ = keep ? frames_.front().data.size() : 0;
}

}  // namespace signaling::gateway
