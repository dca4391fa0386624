// Every setting of the gateway, with its default in one place.
#ifndef GATEWAY_OPTIONS_H_
#define GATEWAY_OPTIONS_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "common/metrics/metrics.h"
#include "common/net/grpc_server.h"
#include "common/net/grpc_tls.h"

namespace signaling::gateway {

// Bounds and default of GatewayOptions::matching_resolve_interval: not a
// busy loop of DNS lookups, and replicas that come and go are seen within
// the hour (by default within 5 s).
inline constexpr absl::Duration kMinMatchingResolveInterval = absl::Milliseconds(100);
inline constexpr absl::Duration kMaxMatchingResolveInterval = absl::Hours(1);
inline constexpr absl::Duration kDefaultMatchingResolveInterval = absl::Seconds(5);

struct GatewayOptions {
  std::string address = "127.0.0.1";
  uint16_t port = 0;  // 0: any free port, see Gateway::port()
  int threads = 2;
  // host:port of the matching service, or of each of its replicas
  // (comma-separated; each exactly as the replica's --advertise), or
  // dns:///host:port, a name re-resolved to the replicas (a headless
  // Service): see gateway/replica_resolver.h.
  std::string matching_target;
  net::GrpcClientTls matching_tls;
  // How often a dns: matching_target is resolved again (between
  // kMinMatchingResolveInterval and kMaxMatchingResolveInterval).
  absl::Duration matching_resolve_interval = kDefaultMatchingResolveInterval;

  // Development conveniences, refused unless dev_mode is set: plain ws from
  // anywhere, and no Origin allow-list.
  bool dev_mode = false;
  std::vector<std::string> allowed_origins;  // exact "scheme://host[:port]"
  std::vector<std::string> trusted_proxies;  // peer IPs whose header we trust
  std::string client_ip_header = "x-forwarded-for";
  std::string tls_cert_file;  // serve wss when both are set
  std::string tls_key_file;

  size_t max_message_bytes = 64 * 1024;
  // Relay stream to matching: batches are cut at relay_batch_bytes (keep it
  // and max_message_bytes below the matching service's receive limit);
  // past relay_max_queue_bytes queued the stream is given up (every session
  // on it gets UNAVAILABLE and the gateway reconnects).
  size_t relay_batch_bytes = net::kRelayBatchBytes;
  size_t relay_max_queue_bytes = net::kRelayMaxQueueBytes;
  size_t max_header_bytes = 8 * 1024;
  absl::Duration upgrade_timeout = absl::Seconds(10);
  absl::Duration idle_timeout = absl::Seconds(60);
  size_t max_outbound_bytes = 1024 * 1024;
  size_t max_connections = 100000;
  size_t max_connections_per_ip = 1000;
  uint32_t go_away_reconnect_ms = 1000;
  absl::Duration drain_grace = absl::Seconds(30);
  std::string web_root;  // folder of the demo page; empty: no demo
  // Where metrics are registered; nullptr: none. Must outlive the gateway.
  metrics::Registry* registry = nullptr;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_OPTIONS_H_
