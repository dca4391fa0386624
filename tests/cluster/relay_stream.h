// A test's own gateway: one Relay stream to one matching replica, carrying
// client connections by id like the real gateway does, with the events it
// gets back queued per connection. Lets cluster tests see what a replica
// tells a gateway (messages, closes, redirects) and act on it.
#ifndef TESTS_CLUSTER_RELAY_STREAM_H_
#define TESTS_CLUSTER_RELAY_STREAM_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "grpcpp/grpcpp.h"
#include "signaling/v1/matching.grpc.pb.h"

namespace signaling::testing {

class RelayStream {
 public:
  // Opens a Relay stream to the replica at `address` (plaintext).
  explicit RelayStream(const std::string& address);
  ~RelayStream();

  // Opens connection `conn` (client IP 192.0.2.x), optionally as a move
  // carrying an announced session id.
  void Open(uint64_t conn, const std::string& announced_session_id = "");
  void Send(uint64_t conn, v1::ClientMessage message);
  void Close(uint64_t conn);

  // The next event for `conn`, waiting up to `timeout`; nullopt if none.
  std::optional<v1::RelayDown::Event> Next(uint64_t conn,
                                           absl::Duration timeout = absl::Seconds(5));
  // Whether the stream is still up (the replica did not end it).
  bool up();

 private:
  void Write(v1::RelayUp up);
  void ReadLoop();

  grpc::ClientContext context_;
  std::unique_ptr<v1::Matching::Stub> stub_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::RelayUp, v1::RelayDown>> stream_;
  absl::Mutex write_mu_;
  absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::deque<v1::RelayDown::Event>> events_ ABSL_GUARDED_BY(mu_);
  bool ended_ ABSL_GUARDED_BY(mu_) = false;
  std::thread reader_;
};

// Builders of the client messages cluster tests send.
v1::ClientMessage JoinMessage(const std::string& token, v1::Role role, const std::string& id,
                              uint32_t wait_ms = 0);
// "joined", "paired", "error:ID_TAKEN", "peer_left:LEFT", "close:4009",
// "redirect:<replica>", ...
std::string Describe(const std::optional<v1::RelayDown::Event>& event);

}  // namespace signaling::testing

#endif  // TESTS_CLUSTER_RELAY_STREAM_H_
