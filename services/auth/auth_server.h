// The token-verification gRPC service (protocol section 5): TokenVerifier
// over a JwtVerifier, plus the standard gRPC health service.
#ifndef SERVICES_AUTH_AUTH_SERVER_H_
#define SERVICES_AUTH_AUTH_SERVER_H_

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "common/metrics/metrics.h"
#include "common/net/grpc_tls.h"
#include "services/auth/jwt.h"

namespace signaling::auth {

struct AuthServerOptions {
  std::string listen = "127.0.0.1:0";
  std::vector<KeySpec> keys;
  VerifierOptions verifier;
  net::GrpcServerTls tls;  // plaintext only when tls.insecure is set
  int max_message_bytes = 16 * 1024;
  int max_concurrent_streams = 1000;
  // Where metrics are registered; nullptr: none. Must outlive the server.
  metrics::Registry* registry = nullptr;
};

class AuthServer {
 public:
  static absl::StatusOr<std::unique_ptr<AuthServer>> Start(AuthServerOptions options);
  ~AuthServer();

  int port() const;
  // Not serving (health) from now on; in-flight calls finish.
  void SetNotServing();
  bool Ready() const;
  // Stops, letting in-flight calls finish within `grace`. Idempotent.
  void Shutdown(absl::Duration grace);

  class Impl;

 private:
  explicit AuthServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signaling::auth

#endif  // SERVICES_AUTH_AUTH_SERVER_H_
