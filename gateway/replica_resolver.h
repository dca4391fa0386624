// What --matching_target names: a fixed list of replicas, or one DNS name
// re-resolved to the replicas' addresses (a Kubernetes headless Service,
// whose A/AAAA records are the ready pods' IPs). Plain C++: no gRPC.
//
// Accepted forms:
//   host:port[,host:port...]   fixed replicas, each exactly as its --advertise
//   dns:///host:port           re-resolved (gRPC's spelling)
//   dns:host:port              the same, without the empty authority
// `dns://authority/...` (a chosen DNS server) is refused: the system
// resolver (getaddrinfo, /etc/resolv.conf) is the one used.
//
// Thread-safety: every function is safe to call from any thread.
#ifndef GATEWAY_REPLICA_RESOLVER_H_
#define GATEWAY_REPLICA_RESOLVER_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace signaling::gateway {

struct MatchingTarget {
  // Set for a dns: target; `fixed` is empty then.
  bool dynamic = false;
  std::string host;  // the name to resolve, without brackets
  std::string port;  // decimal, 1..65535
  // The listed replicas of a fixed target, in order, without duplicates.
  std::vector<std::string> fixed;
};

// Parses a --matching_target; InvalidArgument when it is empty, lists an
// address twice, or is a malformed dns: target.
absl::StatusOr<MatchingTarget> ParseMatchingTarget(absl::string_view target);

// Resolves `host` and `port` to the replicas' addresses, each written the
// way replicas advertise themselves (`ip:port`, IPv6 as `[ip]:port`).
// May block (it is a DNS lookup): call it on a thread of its own.
using ReplicaResolver =
    std::function<absl::StatusOr<std::vector<std::string>>(const std::string& host,
                                                           const std::string& port)>;

// The ReplicaResolver of the system: getaddrinfo (glibc; no c-ares), TCP
// addresses of either family, sorted and without duplicates. Unavailable
// when the name does not resolve or has no address. Blocks for at most the
// resolver's own timeout (resolv.conf `timeout` x `attempts`).
absl::StatusOr<std::vector<std::string>> ResolveWithGetaddrinfo(const std::string& host,
                                                                const std::string& port);

}  // namespace signaling::gateway

#endif  // GATEWAY_REPLICA_RESOLVER_H_
