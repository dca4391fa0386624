// gRPC credentials from TLS files; see grpc_tls.h.
#include "common/net/grpc_tls.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/support/channel_arguments.h"

namespace signaling::net {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::InvalidArgumentError(absl::StrCat("cannot read ", path));
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const GrpcServerTls& tls) {
  if (tls.cert_file.empty() || tls.key_file.empty()) {
    if (tls.insecure) return grpc::InsecureServerCredentials();
    return absl::InvalidArgumentError(
        "gRPC TLS certificate and key are required (or plaintext explicitly)");
  }
  auto cert = ReadFile(tls.cert_file);
  if (!cert.ok()) return cert.status();
  auto key = ReadFile(tls.key_file);
  if (!key.ok()) return key.status();
  grpc::SslServerCredentialsOptions options(
      tls.client_ca_file.empty() ? GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE
                                 : GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
  if (!tls.client_ca_file.empty()) {
    auto ca = ReadFile(tls.client_ca_file);
    if (!ca.ok()) return ca.status();
    options.pem_root_certs = *ca;
  }
  options.pem_key_cert_pairs.push_back({*key, *cert});
  return grpc::SslServerCredentials(options);
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const GrpcClientTls& tls) {
  if (tls.ca_file.empty()) {
    if (tls.insecure) return grpc::InsecureChannelCredentials();
    return absl::InvalidArgumentError("gRPC TLS roots are required (or plaintext explicitly)");
  }
  grpc::SslCredentialsOptions options;
  auto ca = ReadFile(tls.ca_file);
  if (!ca.ok()) return ca.status();
  options.pem_root_certs = *ca;
  if (!tls.cert_file.empty()) {
    auto cert = ReadFile(tls.cert_file);
    if (!cert.ok()) return cert.status();
    auto key = ReadFile(tls.key_file);
    if (!key.ok()) return key.status();
    options.pem_cert_chain = *cert;
    options.pem_private_key = *key;
  }
  return grpc::SslCredentials(options);
}

std::shared_ptr<grpc::Channel> CreateChannel(
    const std::string& target, const std::shared_ptr<grpc::ChannelCredentials>& credentials,
    const GrpcClientTls& tls) {
  if (tls.server_name.empty() || tls.insecure) return grpc::CreateChannel(target, credentials);
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(tls.server_name);
  return grpc::CreateCustomChannel(target, credentials, args);
}

}  // namespace signaling::net
