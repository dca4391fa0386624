// The gateway's Relay streams, one per matching replica. --matching_target
// lists the replicas (one is the single-replica case) or names them with a
// dns:///host:port that the pool's own thread resolves again every
// resolve interval (see replica_resolver.h). New connections are spread
// evenly over the replicas whose stream is up and that are not draining
// (shutting down); a replica's redirect names another by its address,
// found here. Stream generations are disjoint across every client the pool
// ever makes, so that a lost stream's connections are told apart.
//
// Lifetime: sessions hold the RelayClient* that Pick() or Find() gave them
// (gateway/replica_route.h) for as long as they live, and the pool cannot
// see when the last one lets go. So a client is never destroyed before
// the pool: a replica whose address vanished is no longer picked at once;
// it is still found (redirects) while its stream is up, so its live
// sessions end as the replica drains them; once its stream is down it is
// stopped (no thread, no stream, no reconnecting) and kept inert until the
// pool goes. An address that comes back while its old client still runs
// gets that client back. The inert ones cost a channel object each, and
// their number grows with the distinct addresses that came and went (pod
// IPs of rolling updates) until the gateway restarts.
//
// Thread-safety: all public methods may be called from any thread (Start
// and Stop by the owner, not at once); Pick() and Find() take no lock of
// the pool (an immutable snapshot, swapped
// atomically). DNS lookups run only on the pool's thread, never on an Asio
// or gRPC thread.
#ifndef GATEWAY_RELAY_POOL_H_
#define GATEWAY_RELAY_POOL_H_

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/net/grpc_tls.h"
#include "gateway/gateway_metrics.h"
#include "gateway/options.h"
#include "gateway/relay_client.h"
#include "gateway/replica_resolver.h"

namespace signaling::gateway {

struct RelayPoolOptions {
  // How often a dns: target is resolved again; at least
  // kMinMatchingResolveInterval. Also how often the replica gauges are
  // refreshed and vanished clients looked at.
  absl::Duration resolve_interval = kDefaultMatchingResolveInterval;
  // Replica gauges and resolution failures; nullptr: none. Must outlive
  // the pool.
  GatewayMetrics* metrics = nullptr;
  // Resolves a dns: target; empty: ResolveWithGetaddrinfo.
  ReplicaResolver resolver;
};

class RelayPool {
 public:
  // A fixed target gets one client per listed address now; a dns: target
  // gets its clients from the first resolution, made by Start(). The
  // channels verify TLS against the listed host, or against a dns:
  // target's name (as gRPC does for dns:), not against the resolved IPs.
  static absl::StatusOr<std::unique_ptr<RelayPool>> Create(const std::string& targets,
                                                           const net::GrpcClientTls& tls,
                                                           RelayListener* listener,
                                                           RelayLimits limits,
                                                           RelayPoolOptions options = {});
  ~RelayPool();

  // Starts the clients and the pool's thread (resolution, gauges).
  void Start();
  // Stops the thread (waiting out a lookup in progress) and every client.
  // Idempotent.
  void Stop();

  // A replica listed or resolved now whose stream is up and that is not
  // draining, in turn over those that are (the spread stays even when one
  // is down); nullptr when none is. The client lives as long as the pool.
  RelayClient* Pick();
  // The replica at `address` (as listed, or as resolved: ip:port, IPv6 as
  // [ip]:port), including a vanished one whose stream is still up; else
  // nullptr. The client lives as long as the pool.
  RelayClient* Find(const std::string& address);
  // Whether any replica's stream is up.
  bool connected() const;

  struct Counts {
    size_t known = 0;    // listed, or in the last good resolution
    size_t serving = 0;  // of those, up and not draining
    uint64_t resolutions = 0;       // lookups finished, good or not
    uint64_t resolve_failures = 0;  // of those, the ones that kept the set
  };
  Counts counts() const;

 private:
  struct Replica {
    std::string address;
    RelayClient* client;
  };
  // What Pick() and Find() read; replaced whole, never changed.
  struct Snapshot {
    std::vector<Replica> known;    // picked from
    std::vector<Replica> retired;  // vanished, stream still up: found only
  };
  enum class State { kKnown, kRetired, kStopped };
  struct Entry {
    std::string address;
    std::unique_ptr<RelayClient> client;
    State state = State::kKnown;
  };

  RelayPool(MatchingTarget target, std::shared_ptr<grpc::ChannelCredentials> credentials,
            bool tls, RelayListener* listener, RelayLimits limits, RelayPoolOptions options);

  // The pool's thread: resolve, reconcile, retire, refresh, wait.
  void Run();
  void Resolve();
  // Makes `addresses` the known set: new ones get a started client,
  // vanished ones are retired.
  void Reconcile(const std::vector<std::string>& addresses);
  // Stops retired clients whose stream is down.
  void StopRetired();
  void AddClient(const std::string& address);
  void Publish();
  void RefreshGauges();

  const MatchingTarget target_;
  const std::shared_ptr<grpc::ChannelCredentials> credentials_;
  const bool tls_;
  RelayListener* const listener_;
  const RelayLimits limits_;
  const RelayPoolOptions options_;

  // Every client ever made. Changed only by Create, then by the pool's
  // thread while it runs; read by Stop() after joining it.
  std::vector<Entry> entries_;
  uint64_t next_slot_ = 0;  // generation range of the next client

  std::atomic<std::shared_ptr<const Snapshot>> snapshot_;
  std::atomic<size_t> next_{0};
  std::atomic<uint64_t> resolutions_{0};
  std::atomic<uint64_t> resolve_failures_{0};

  absl::Mutex mu_;
  bool started_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  std::thread thread_;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_RELAY_POOL_H_
