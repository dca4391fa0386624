// signaling-gateway: the public WebSocket gateway. Every setting is a flag
// or a SIGNALING_<FLAG> environment variable.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/strings/str_cat.h"
#include "common/admin/service.h"
#include "common/config/flags.h"
#include "common/config/signals.h"
#include "common/log/log.h"
#include "gateway/gateway.h"

namespace {

using signaling::gateway::GatewayOptions;

// Every default is the options struct's own, except the public address and
// port (the struct's: loopback, any free port) and the matching target (the
// struct has none).
const GatewayOptions kGateway;

int Ms(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

int Positive(const char* name, int value) {
  if (value <= 0) signaling::config::FailSetting(name, "must be positive");
  return value;
}

}  // namespace

ABSL_FLAG(std::string, address, "0.0.0.0", "public listen address");
ABSL_FLAG(int, port, 8443, "public listen port");
ABSL_FLAG(int, threads, kGateway.threads, "I/O threads");
ABSL_FLAG(std::string, matching_target, "127.0.0.1:7001",
          "matching service host:port, or its replicas' (comma-separated, as each one's "
          "--advertise), or dns:///host:port re-resolved to the replicas (a headless Service)");
ABSL_FLAG(int, matching_resolve_interval_ms, Ms(kGateway.matching_resolve_interval),
          "how often a dns:/// matching_target is resolved again");
ABSL_FLAG(bool, grpc_insecure, kGateway.matching_tls.insecure,
          "call the matching service in plaintext (development)");
ABSL_FLAG(std::string, matching_ca, kGateway.matching_tls.ca_file,
          "CA of the matching service's certificate");
ABSL_FLAG(std::string, matching_client_cert, kGateway.matching_tls.cert_file,
          "client certificate towards matching (mTLS)");
ABSL_FLAG(std::string, matching_client_key, kGateway.matching_tls.key_file,
          "client key towards matching (mTLS)");
ABSL_FLAG(bool, dev_mode, kGateway.dev_mode,
          "development conveniences: plain ws from anywhere, no Origin list; refused otherwise");
ABSL_FLAG(std::vector<std::string>, allowed_origins, kGateway.allowed_origins,
          "exact Origin values allowed to upgrade, comma separated");
ABSL_FLAG(std::vector<std::string>, trusted_proxies, kGateway.trusted_proxies,
          "peer IPs or CIDR ranges of TLS-terminating proxies whose client-IP header is trusted");
ABSL_FLAG(std::string, tls_cert, kGateway.tls_cert_file, "certificate chain (PEM) to serve wss");
ABSL_FLAG(std::string, tls_key, kGateway.tls_key_file, "private key (PEM) to serve wss");
ABSL_FLAG(std::string, client_ip_header, kGateway.client_ip_header,
          "client-IP header of trusted proxies");
ABSL_FLAG(int, max_message_bytes, static_cast<int>(kGateway.max_message_bytes),
          "largest WebSocket message (close 1009)");
ABSL_FLAG(int, relay_batch_bytes, static_cast<int>(kGateway.relay_batch_bytes),
          "batches towards matching are cut at this size (below matching's receive limit)");
ABSL_FLAG(int, relay_max_queue_bytes, static_cast<int>(kGateway.relay_max_queue_bytes),
          "bytes queued towards matching beyond which the stream is given up");
ABSL_FLAG(int, max_header_bytes, static_cast<int>(kGateway.max_header_bytes),
          "largest upgrade request headers (HTTP 431)");
ABSL_FLAG(int, upgrade_timeout_ms, Ms(kGateway.upgrade_timeout),
          "time to complete the upgrade request");
ABSL_FLAG(int, idle_timeout_ms, Ms(kGateway.idle_timeout),
          "silence after which a connection is closed (1001)");
ABSL_FLAG(int, max_outbound_bytes, static_cast<int>(kGateway.max_outbound_bytes),
          "queue of a slow reader (close 1013)");
ABSL_FLAG(int, max_connections, static_cast<int>(kGateway.max_connections),
          "global connection cap (HTTP 503)");
ABSL_FLAG(int, max_connections_per_ip, static_cast<int>(kGateway.max_connections_per_ip),
          "per-client-IP connection cap (HTTP 429)");
ABSL_FLAG(int, go_away_reconnect_ms, static_cast<int>(kGateway.go_away_reconnect_ms),
          "reconnectAfterMs sent in goAway");
ABSL_FLAG(int, drain_grace_ms, Ms(kGateway.drain_grace),
          "how long live pairings are served while draining");
ABSL_FLAG(std::string, web_root, kGateway.web_root, "folder of the demo page; empty: no demo");

int main(int argc, char** argv) {
  signaling::admin::InitService(argc, argv, "signaling-gateway [flags]", 9100);
  auto log = signaling::log::Get("gateway");
  GatewayOptions o;
  o.address = absl::GetFlag(FLAGS_address);
  const int port = absl::GetFlag(FLAGS_port);
  if (port < 0 || port > 65535) signaling::config::FailSetting("port", "must be 0..65535");
  o.port = static_cast<uint16_t>(port);
  o.threads = Positive("threads", absl::GetFlag(FLAGS_threads));
  o.matching_target = absl::GetFlag(FLAGS_matching_target);
  const int resolve_ms = absl::GetFlag(FLAGS_matching_resolve_interval_ms);
  if (absl::Milliseconds(resolve_ms) < signaling::gateway::kMinMatchingResolveInterval ||
      absl::Milliseconds(resolve_ms) > signaling::gateway::kMaxMatchingResolveInterval) {
    signaling::config::FailSetting(
        "matching_resolve_interval_ms",
        absl::StrCat("must be ", Ms(signaling::gateway::kMinMatchingResolveInterval), "..",
                     Ms(signaling::gateway::kMaxMatchingResolveInterval)));
  }
  o.matching_resolve_interval = absl::Milliseconds(resolve_ms);
  o.matching_tls = {absl::GetFlag(FLAGS_grpc_insecure), absl::GetFlag(FLAGS_matching_ca),
                    absl::GetFlag(FLAGS_matching_client_cert),
                    absl::GetFlag(FLAGS_matching_client_key)};
  o.dev_mode = absl::GetFlag(FLAGS_dev_mode);
  o.allowed_origins = absl::GetFlag(FLAGS_allowed_origins);
  o.trusted_proxies = absl::GetFlag(FLAGS_trusted_proxies);
  o.client_ip_header = absl::GetFlag(FLAGS_client_ip_header);
  o.tls_cert_file = absl::GetFlag(FLAGS_tls_cert);
  o.tls_key_file = absl::GetFlag(FLAGS_tls_key);
  o.max_message_bytes = Positive("max_message_bytes", absl::GetFlag(FLAGS_max_message_bytes));
  o.relay_batch_bytes = Positive("relay_batch_bytes", absl::GetFlag(FLAGS_relay_batch_bytes));
  o.relay_max_queue_bytes =
      Positive("relay_max_queue_bytes", absl::GetFlag(FLAGS_relay_max_queue_bytes));
  o.max_header_bytes = Positive("max_header_bytes", absl::GetFlag(FLAGS_max_header_bytes));
  o.upgrade_timeout =
      absl::Milliseconds(Positive("upgrade_timeout_ms", absl::GetFlag(FLAGS_upgrade_timeout_ms)));
  o.idle_timeout =
      absl::Milliseconds(Positive("idle_timeout_ms", absl::GetFlag(FLAGS_idle_timeout_ms)));
  o.max_outbound_bytes = Positive("max_outbound_bytes", absl::GetFlag(FLAGS_max_outbound_bytes));
  o.max_connections = Positive("max_connections", absl::GetFlag(FLAGS_max_connections));
  o.max_connections_per_ip =
      Positive("max_connections_per_ip", absl::GetFlag(FLAGS_max_connections_per_ip));
  o.go_away_reconnect_ms =
      Positive("go_away_reconnect_ms", absl::GetFlag(FLAGS_go_away_reconnect_ms));
  o.drain_grace =
      absl::Milliseconds(Positive("drain_grace_ms", absl::GetFlag(FLAGS_drain_grace_ms)));
  o.web_root = absl::GetFlag(FLAGS_web_root);
  if (absl::Status status = signaling::gateway::ValidateOptions(o); !status.ok()) {
    std::fprintf(stderr, "signaling-gateway: %s\n", std::string(status.message()).c_str());
    return 2;
  }
  const absl::Duration grace = o.drain_grace;
  o.registry = &signaling::metrics::DefaultRegistry();
  auto gateway = signaling::gateway::Gateway::Start(std::move(o));
  if (!gateway.ok()) {
    std::fprintf(stderr, "signaling-gateway: %s\n",
                 std::string(gateway.status().message()).c_str());
    return 2;
  }
  auto admin = signaling::admin::StartAdminOrDie([g = gateway->get()] { return g->Ready(); });
  log->info("listening on port {}, admin port {}", (*gateway)->port(), admin->port());
  signaling::config::WaitForStopSignal();
  log->info("draining");
  (*gateway)->Drain(grace);
  (*gateway)->Stop();
  admin->Stop();
  log->info("stopped");
  return 0;
}
