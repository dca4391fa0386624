// The gateway's Relay streams, one per matching replica (--matching_target
// lists them; one is the single-replica case). New connections are spread
// over the replicas whose stream is up and that are not draining (shutting
// down), in turn; a replica's redirect names another by its address, found
// here. Stream generations are disjoint across the replicas, so that a lost
// stream's connections are told apart.
//
// Thread-safety: all methods may be called from any thread.
#ifndef GATEWAY_RELAY_POOL_H_
#define GATEWAY_RELAY_POOL_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/net/grpc_tls.h"
#include "gateway/relay_client.h"

namespace signaling::gateway {

class RelayPool {
 public:
  // One client per address of `targets` (comma-separated host:port).
  static absl::StatusOr<std::unique_ptr<RelayPool>> Create(const std::string& targets,
                                                           const net::GrpcClientTls& tls,
                                                           RelayListener* listener,
                                                           RelayLimits limits);
  void Start();
  void Stop();

  // A replica whose stream is up and that is not draining, in turn;
  // nullptr when none is.
  RelayClient* Pick();
  // The replica at `address` (as listed), or nullptr.
  RelayClient* Find(const std::string& address);
  // Whether any replica's stream is up.
  bool connected() const;

 private:
  struct Replica {
    std::string address;
    std::unique_ptr<RelayClient> client;
  };
  explicit RelayPool(std::vector<Replica> replicas) : replicas_(std::move(replicas)) {}

  const std::vector<Replica> replicas_;
  std::atomic<size_t> next_{0};
};

}  // namespace signaling::gateway

#endif  // GATEWAY_RELAY_POOL_H_
