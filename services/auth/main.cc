// signaling-auth: the token-verification service. Every setting is a flag
// or a SIGNALING_<FLAG> environment variable.
#include <cstdio>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "common/admin/service.h"
#include "common/config/flags.h"
#include "common/config/signals.h"
#include "common/log/log.h"
#include "services/auth/auth_server.h"

namespace {

using signaling::auth::AuthServerOptions;

// Every default is the options struct's own, except the listen address
// (the struct's: any free port).
const AuthServerOptions kServer;

}  // namespace

ABSL_FLAG(std::string, listen, "127.0.0.1:7002", "gRPC listen address");
ABSL_FLAG(std::vector<std::string>, key, {},
          "verification keys, kid:alg:path, comma separated (alg HS256, RS256, ES256, EdDSA)");
ABSL_FLAG(std::string, audience, kServer.verifier.audience, "required aud claim");
ABSL_FLAG(std::string, issuer, kServer.verifier.issuer, "required iss claim; empty: not checked");
ABSL_FLAG(int, leeway_s, static_cast<int>(absl::ToInt64Seconds(kServer.verifier.leeway)),
          "clock leeway for exp and nbf, at most 60");
ABSL_FLAG(int, max_token_bytes, static_cast<int>(kServer.verifier.max_token_bytes),
          "largest accepted token");
ABSL_FLAG(bool, grpc_insecure, kServer.tls.insecure, "serve gRPC in plaintext (development only)");
ABSL_FLAG(std::string, tls_cert, kServer.tls.cert_file, "gRPC server certificate (PEM)");
ABSL_FLAG(std::string, tls_key, kServer.tls.key_file, "gRPC server private key (PEM)");
ABSL_FLAG(std::string, tls_client_ca, kServer.tls.client_ca_file,
          "CA of client certificates (enables mTLS)");

int main(int argc, char** argv) {
  using signaling::config::FailSetting;
  signaling::admin::InitService(argc, argv, "signaling-auth --key kid:alg:path [flags]", 9102);
  auto log = signaling::log::Get("auth");

  AuthServerOptions options;
  options.listen = absl::GetFlag(FLAGS_listen);
  for (const std::string& text : absl::GetFlag(FLAGS_key)) {
    auto spec = signaling::auth::ParseKeySpec(text);
    if (!spec.ok()) FailSetting("key", std::string(spec.status().message()));
    options.keys.push_back(*spec);
  }
  if (options.keys.empty()) FailSetting("key", "at least one key is required");
  options.verifier.audience = absl::GetFlag(FLAGS_audience);
  options.verifier.issuer = absl::GetFlag(FLAGS_issuer);
  const int leeway = absl::GetFlag(FLAGS_leeway_s);
  if (leeway < 0 || leeway > 60) FailSetting("leeway_s", "must be 0..60");
  options.verifier.leeway = absl::Seconds(leeway);
  const int max_token = absl::GetFlag(FLAGS_max_token_bytes);
  if (max_token < 256) FailSetting("max_token_bytes", "must be at least 256");
  options.verifier.max_token_bytes = max_token;
  options.max_message_bytes = max_token + 1024;
  options.tls = {absl::GetFlag(FLAGS_grpc_insecure), absl::GetFlag(FLAGS_tls_cert),
                 absl::GetFlag(FLAGS_tls_key), absl::GetFlag(FLAGS_tls_client_ca)};
  options.registry = &signaling::metrics::DefaultRegistry();

  auto server = signaling::auth::AuthServer::Start(std::move(options));
  if (!server.ok()) {
    std::fprintf(stderr, "signaling-auth: %s\n", std::string(server.status().message()).c_str());
    return 2;
  }
  auto admin = signaling::admin::StartAdminOrDie([s = server->get()] { return s->Ready(); });
  log->info("listening on port {}, admin port {}", (*server)->port(), admin->port());
  signaling::config::WaitForStopSignal();
  log->info("draining");
  (*server)->Shutdown(absl::Seconds(5));
  admin->Stop();
  log->info("stopped");
  return 0;
}
