// signaling-matching: the matching service. Owns all pairing state; serves
// the gateway's relay streams, internal clients' sessions, the admin API
// and gRPC health. Every setting is a flag or SIGNALING_<FLAG> variable.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/admin/service.h"
#include "common/config/flags.h"
#include "common/config/signals.h"
#include "common/log/log.h"
#include "services/matching/cluster_flags.h"
#include "services/matching/matching_server.h"

namespace {

using signaling::matching::EngineLimits;
using signaling::matching::MatchingServerOptions;

// Every default is the options structs' own.
const MatchingServerOptions kServer;
const EngineLimits kLimits;

int Ms(absl::Duration d) { return static_cast<int>(absl::ToInt64Milliseconds(d)); }

int Positive(const char* name, int value) {
  if (value <= 0) signaling::config::FailSetting(name, "must be positive");
  return value;
}

}  // namespace

ABSL_FLAG(std::string, listen, "127.0.0.1:7001", "gRPC listen address");
ABSL_FLAG(std::string, auth_target, "127.0.0.1:7002", "token-verification service");
ABSL_FLAG(int, verify_deadline_ms, Ms(kServer.verify_deadline),
          "deadline of each verification call");
ABSL_FLAG(bool, grpc_insecure, false, "serve and call gRPC in plaintext (development only)");
ABSL_FLAG(std::string, tls_cert, "", "gRPC server certificate (PEM)");
ABSL_FLAG(std::string, tls_key, "", "gRPC server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, "", "CA of client certificates (enables mTLS)");
ABSL_FLAG(std::string, relay_identities, "",
          "client-certificate identities (CN or SAN, comma-separated) allowed to call Relay: "
          "the gateways");
ABSL_FLAG(std::string, session_identities, "",
          "identities allowed to call Session: internal services");
ABSL_FLAG(std::string, admin_identities, "",
          "identities allowed to call the admin API (ListSessions, GetStats, DisconnectPeer)");
ABSL_FLAG(std::string, auth_ca, "", "CA that signed the auth service's certificate");
ABSL_FLAG(std::string, auth_client_cert, "", "client certificate towards auth (mTLS)");
ABSL_FLAG(std::string, auth_client_key, "", "client key towards auth (mTLS)");
ABSL_FLAG(int, join_deadline_ms, Ms(kLimits.join_deadline), "time allowed for a valid join");
ABSL_FLAG(int, negotiation_timeout_ms, Ms(kLimits.negotiation_timeout),
          "time allowed from paired to answer");
ABSL_FLAG(int, max_wait_ms, Ms(kLimits.max_wait), "cap of an offerer's waitMs");
ABSL_FLAG(int, max_token_bytes, static_cast<int>(kLimits.max_token_bytes),
          "largest accepted token");
ABSL_FLAG(int, max_sdp_bytes, static_cast<int>(kLimits.sdp.max_bytes), "largest accepted SDP");
ABSL_FLAG(int, max_candidate_bytes, static_cast<int>(kLimits.candidate.max_bytes),
          "largest accepted ICE candidate");
ABSL_FLAG(int, max_candidates_per_message, static_cast<int>(kLimits.max_candidates_per_message),
          "candidates in one offer/answer");
ABSL_FLAG(int, max_candidates_per_session, static_cast<int>(kLimits.max_candidates_per_session),
          "candidates one session may send");
ABSL_FLAG(int, relay_batch_bytes, static_cast<int>(kServer.relay_batch_bytes),
          "batches towards a gateway are cut at this size (below its receive limit)");
ABSL_FLAG(double, rate_per_second, kLimits.rate_per_second,
          "message rate per session (token bucket)");
ABSL_FLAG(double, rate_burst, kLimits.rate_burst, "burst of the token bucket");

int main(int argc, char** argv) {
  signaling::admin::InitService(argc, argv, "signaling-matching [flags]", 9101);
  auto log = signaling::log::Get("matching");

  signaling::matching::MatchingServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  options.auth_target = absl::GetFlag(FLAGS_auth_target);
  options.verify_deadline =
      absl::Milliseconds(Positive("verify_deadline_ms", absl::GetFlag(FLAGS_verify_deadline_ms)));
  options.server_tls = {absl::GetFlag(FLAGS_grpc_insecure), absl::GetFlag(FLAGS_tls_cert),
                        absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_client_ca)};
  using signaling::matching::FlagList;
  options.callers = {FlagList(absl::GetFlag(FLAGS_relay_identities)),
                     FlagList(absl::GetFlag(FLAGS_session_identities)),
                     FlagList(absl::GetFlag(FLAGS_admin_identities)),
                     signaling::matching::PeerIdentitiesFromFlags()};
  // Replicas call each other with their server certificate, verified by
  // the CA of client certificates.
  options.cluster = signaling::matching::ClusterFromFlags(
      {absl::GetFlag(FLAGS_grpc_insecure), absl::GetFlag(FLAGS_tls_client_ca),
       absl::GetFlag(FLAGS_tls_cert), absl::GetFlag(FLAGS_tls_key)});
  options.auth_tls = {absl::GetFlag(FLAGS_grpc_insecure), absl::GetFlag(FLAGS_auth_ca),
                      absl::GetFlag(FLAGS_auth_client_cert), absl::GetFlag(FLAGS_auth_client_key)};
  options.relay_batch_bytes = Positive("relay_batch_bytes", absl::GetFlag(FLAGS_relay_batch_bytes));
  auto& limits = options.limits;
  limits.join_deadline =
      absl::Milliseconds(Positive("join_deadline_ms", absl::GetFlag(FLAGS_join_deadline_ms)));
  limits.negotiation_timeout = absl::Milliseconds(
      Positive("negotiation_timeout_ms", absl::GetFlag(FLAGS_negotiation_timeout_ms)));
  limits.max_wait = absl::Milliseconds(Positive("max_wait_ms", absl::GetFlag(FLAGS_max_wait_ms)));
  limits.max_token_bytes = Positive("max_token_bytes", absl::GetFlag(FLAGS_max_token_bytes));
  limits.sdp.max_bytes = Positive("max_sdp_bytes", absl::GetFlag(FLAGS_max_sdp_bytes));
  limits.candidate.max_bytes =
      Positive("max_candidate_bytes", absl::GetFlag(FLAGS_max_candidate_bytes));
  limits.max_candidates_per_message =
      Positive("max_candidates_per_message", absl::GetFlag(FLAGS_max_candidates_per_message));
  limits.max_candidates_per_session =
      Positive("max_candidates_per_session", absl::GetFlag(FLAGS_max_candidates_per_session));
  limits.rate_per_second = absl::GetFlag(FLAGS_rate_per_second);
  limits.rate_burst = absl::GetFlag(FLAGS_rate_burst);
  if (limits.rate_per_second <= 0)
    signaling::config::FailSetting("rate_per_second", "must be positive");
  if (limits.rate_burst < 1) signaling::config::FailSetting("rate_burst", "must be at least 1");

  options.registry = &signaling::metrics::DefaultRegistry();
  auto server = signaling::matching::MatchingServer::Start(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "signaling-matching: %s\n", server.status().ToString().c_str());
    return 2;
  }
  auto admin = signaling::admin::StartAdminOrDie([s = server->get()] { return s->Ready(); });
  log->info("listening on port {}, admin port {}", (*server)->port(), admin->port());
  signaling::config::WaitForStopSignal();
  log->info("draining");
  (*server)->SetNotServing();
  (*server)->Shutdown(absl::Seconds(5));
  admin->Stop();
  log->info("stopped");
  return 0;
}
