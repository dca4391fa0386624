// The gateway's side of the matching service's Relay stream: every client
// connection of this gateway multiplexed over one bidirectional gRPC stream,
// events batched while a write is in flight. Reconnects with backoff; when a
// stream is lost, every connection opened on it is reported lost.
//
// Thread-safety: all methods may be called from any thread. Listener calls
// come from gRPC threads and must not block.
#ifndef GATEWAY_RELAY_CLIENT_H_
#define GATEWAY_RELAY_CLIENT_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::gateway {

class RelayListener {
 public:
  virtual ~RelayListener() = default;
  // One batch of the matching service's events, in the stream's order.
  virtual void OnRelayDown(v1::RelayDown batch) = 0;
  // The stream of `generation` ended: its connections have no session.
  virtual void OnStreamLost(uint64_t generation) = 0;
};

struct RelayLimits {
  // A batch (one RelayUp message) is cut once it would exceed this; an
  // event larger than it travels alone.
  size_t batch_bytes = 128 * 1024;
  // Bytes queued behind the write in flight beyond which the stream is
  // cancelled (the matching service is not keeping up).
  size_t max_queue_bytes = 64 * 1024 * 1024;
};

class RelayClient {
 public:
  // Stream generations count up from `generation_base` (several clients
  // of one gateway use disjoint ranges: see RelayPool).
  RelayClient(std::shared_ptr<grpc::Channel> channel, RelayListener* listener,
              RelayLimits limits = {}, uint64_t generation_base = 0);
  ~RelayClient();

  void Start();
  // Stops reconnecting and ends the current stream.
  void Stop();

  // Opens a session for `conn`; returns the stream generation it is bound
  // to, or 0 when the matching service is not reachable now.
  uint64_t Open(uint64_t conn, v1::ConnectionInfo info);
  void Send(uint64_t conn, uint64_t generation, v1::ClientMessage message);
  void Closed(uint64_t conn, uint64_t generation);
  bool connected() const;
  // Connected, and the matching service did not say it is draining.
  bool accepting() const;

 private:
  class Stream;
  // Queues one event on the current stream if it is `generation`.
  bool Enqueue(uint64_t generation, v1::RelayUp::Event event);
  void StartStreamLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void OnStreamUp(Stream* stream);
  void OnDraining(Stream* stream);
  void OnStreamDone(Stream* stream, const grpc::Status& status);
  // A stream object is deleted: the last thing a stream does.
  void OnStreamGone();
  void ReconnectLoop();

  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::Matching::Stub> stub_;
  RelayListener* listener_;
  const RelayLimits limits_;
  mutable absl::Mutex mu_;
  Stream* current_ ABSL_GUARDED_BY(mu_) = nullptr;
  bool up_ ABSL_GUARDED_BY(mu_) = false;
  bool draining_ ABSL_GUARDED_BY(mu_) = false;  // the current stream's service said so
  bool last_was_up_ ABSL_GUARDED_BY(mu_) = false;
  uint64_t generation_ ABSL_GUARDED_BY(mu_);
  int live_streams_ ABSL_GUARDED_BY(mu_) = 0;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reconnect_thread_;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_RELAY_CLIENT_H_
