// A connection's outbound frames: bounded in bytes, one write in flight.
// The session takes the next frame to write, writes it and reports the
// outcome; the frame being written stays queued until then, since the write
// still reads it.
//
// Not thread-safe: used on the session's strand only.
#ifndef GATEWAY_OUTBOUND_QUEUE_H_
#define GATEWAY_OUTBOUND_QUEUE_H_

#include <cstddef>
#include <list>
#include <string>

namespace signaling::gateway {

class OutboundQueue {
 public:
  struct Frame {
    std::string data;
    bool text;
  };

  // Queues a frame, unless the bytes queued would then exceed `max_bytes`
  // (a slow reader): then nothing is queued, what is queued is dropped as
  // by Drop, and false is returned.
  bool Push(std::string data, bool text, size_t max_bytes);
  // The frame to write next, now in flight; nullptr while a write is in
  // flight or nothing is queued. It stays valid until FinishWrite.
  const Frame* StartWrite();
  // The write in flight ended. On success its frame leaves the queue and
  // true is returned; on failure everything queued is dropped. False also
  // when the queue was emptied while the write was in flight.
  bool FinishWrite(bool ok);
  // Drops what is queued but the frame being written.
  void Drop();

  bool empty() const { return frames_.empty(); }
  bool writing() const { return writing_; }

 private:
  // A list, not a deque: an empty std::deque still allocates ~600 bytes,
  // and most connections are idle with nothing queued.
  std::list<Frame> frames_;
  size_t bytes_ = 0;  // of the frames queued, the one in flight included
  bool writing_ = false;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_OUTBOUND_QUEUE_H_
