// TLS settings of gRPC channels and servers: server certificate, client
// certificates (mTLS), or explicit plaintext. Plaintext is never a default.
#ifndef COMMON_NET_GRPC_TLS_H_
#define COMMON_NET_GRPC_TLS_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "grpcpp/channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/security/server_credentials.h"

namespace signaling::net {

struct GrpcServerTls {
  bool insecure = false;       // explicit opt-in to plaintext
  std::string cert_file;       // PEM certificate chain
  std::string key_file;        // PEM private key
  std::string client_ca_file;  // when set, clients must present a cert (mTLS)
};

struct GrpcClientTls {
  bool insecure = false;
  std::string ca_file;    // PEM roots to verify the server
  std::string cert_file;  // client certificate for mTLS, optional
  std::string key_file;
  // The name the server's certificate must carry, when not the target's
  // host: matching replicas dial each other by pod IP, and their shared
  // certificate names the Service.
  std::string server_name;
};

// Credentials for a server; InvalidArgument when neither TLS files nor
// insecure are given, or a file cannot be read.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const GrpcServerTls& tls);

// Credentials for a channel, with the same rules.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const GrpcClientTls& tls);

// A channel to `target` with `credentials`, verifying the server as
// `tls.server_name` when that is set.
std::shared_ptr<grpc::Channel> CreateChannel(const std::string& target,
                                             const std::shared_ptr<grpc::ChannelCredentials>& credentials,
                                             const GrpcClientTls& tls);

}  // namespace signaling::net

#endif  // COMMON_NET_GRPC_TLS_H_
