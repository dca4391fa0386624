// Cluster mode: an internal client's Session stream whose offerer is moved
// to the replica holding its target (a redirect, which a gateway follows
// itself) is carried on there through this replica. It opens a Relay
// stream to that replica, as a gateway would, with one connection on it:
// the client's address and bearer token, the session id it was already
// announced (if any) and its join again; from then on the client's messages
// go up and that replica's events come down. The client sees one Session
// stream, as if it had reached the holder itself.
//
// The other replica accepts the Relay stream from this one's identity
// (peers may open Relay streams: they state their clients' addresses as
// gateways do).
//
// Thread-safety: SessionForwarder's methods may be called from any thread.
// A ForwardStream's Send and Close may be called from any thread until its
// sink was told OnForwardDone; its callbacks run on gRPC threads, without
// the stream's lock, one at a time.
#ifndef SERVICES_MATCHING_CLUSTER_SESSION_FORWARD_H_
#define SERVICES_MATCHING_CLUSTER_SESSION_FORWARD_H_

#include <cstddef>
#include <deque>
#include <memory>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "common/net/grpc_tls.h"
#include "grpcpp/grpcpp.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::matching {

class ForwardStream;
class SessionForwarder;

// What a forwarded session hears from the replica that holds it.
class ForwardSink {
 public:
  virtual ~ForwardSink() = default;
  virtual void OnForwarded(v1::ServerMessage message) = 0;
  // The session ended there; the stream ends too.
  virtual void OnForwardClosed(uint32_t code, const std::string& reason) = 0;
  // That replica moved it on; the stream ends.
  virtual void OnForwardRedirect(const std::string& replica,
                                 const std::string& announced_session_id) = 0;
  // The last call for `stream`: it is gone once this returns. `ended`:
  // a close or a redirect came first; otherwise the stream was lost.
  virtual void OnForwardDone(ForwardStream* stream, bool ended) = 0;
};

class ForwardStream final : public grpc::ClientBidiReactor<v1::RelayUp, v1::RelayDown> {
 public:
  // Past this many bytes queued towards the other replica the stream is
  // cancelled (a client writing faster than two replicas relay).
  static constexpr size_t kMaxQueuedBytes = 1 << 20;

  void Send(v1::ClientMessage message);
  // The client's side ended: the session there is told its transport
  // closed, and the stream ends.
  void Close();

  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  friend class SessionForwarder;
  ForwardStream(SessionForwarder* owner, ForwardSink* sink) : owner_(owner), sink_(sink) {}
  void Queue(v1::RelayUp::Event event) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void WriteNextLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);

  SessionForwarder* const owner_;
  ForwardSink* const sink_;
  grpc::ClientContext context_;
  v1::RelayDown in_;  // touched only by the read side
  absl::Mutex mu_;
  std::deque<v1::RelayUp> queue_ ABSL_GUARDED_BY(mu_);
  size_t queued_bytes_ ABSL_GUARDED_BY(mu_) = 0;
  bool writing_ ABSL_GUARDED_BY(mu_) = false;
  bool closing_ ABSL_GUARDED_BY(mu_) = false;  // no more events after the queue
  bool writes_done_ ABSL_GUARDED_BY(mu_) = false;
  bool ended_ = false;  // read side only: a close or redirect arrived
  v1::RelayUp writing_batch_;  // the write in flight (gRPC needs it alive)
};

class SessionForwarder {
 public:
  static absl::StatusOr<std::unique_ptr<SessionForwarder>> Create(const net::GrpcClientTls& tls);
  // Cancels the streams still open and waits until each is done (their
  // callbacks use this forwarder's channels).
  ~SessionForwarder();

  // Opens the connection on `replica` and sends `join` on it. The stream
  // belongs to gRPC and deletes itself after telling `sink` OnForwardDone;
  // `sink` must live until then.
  ForwardStream* Start(const std::string& replica, v1::ConnectionInfo info, v1::ClientMessage join,
                       ForwardSink* sink);

 private:
  friend class ForwardStream;
  SessionForwarder(std::shared_ptr<grpc::ChannelCredentials> credentials, net::GrpcClientTls tls)
      : credentials_(std::move(credentials)), tls_(std::move(tls)) {}
  void Done(ForwardStream* stream);

  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const net::GrpcClientTls tls_;
  absl::Mutex mu_;
  absl::flat_hash_map<std::string, std::unique_ptr<v1::Matching::Stub>> stubs_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_set<ForwardStream*> live_ ABSL_GUARDED_BY(mu_);
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_SESSION_FORWARD_H_
