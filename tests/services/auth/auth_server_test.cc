// The token-verification gRPC service over a real channel: a valid token
// gives its principal, anything else UNAUTHENTICATED; health is SERVING.
#include "services/auth/auth_server.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/health_check_service_interface.h"
#include "gtest/gtest.h"
#include "signaling/v1/auth.grpc.pb.h"

namespace signaling::auth {
namespace {

TEST(AuthServerTest, VerifiesOverGrpc) {
  char dir[] = "/tmp/auth-test-XXXXXX";
  const std::string key_dir = mkdtemp(dir);
  const std::string key_path = key_dir + "/dev.key";
  std::ofstream(key_path, std::ios::binary) << *GenerateKeyMaterial("HS256");

  AuthServerOptions options;
  options.keys = {{"dev", "HS256", key_path}};
  options.tls.insecure = true;
  auto server = AuthServer::Start(options);
  ASSERT_TRUE(server.ok()) << server.status();
  auto channel = grpc::CreateChannel(absl::StrCat("127.0.0.1:", (*server)->port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::TokenVerifier::NewStub(channel);

  auto key = LoadSigningKey("dev", "HS256", key_path);
  ASSERT_TRUE(key.ok());
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  auto token = SignJwt(*key, {{"sub", "alice"},
                              {"aud", "signaling"},
                              {"exp", now + 60},
                              {"grants", {{"accept", {"kiosk-7"}}}}});
  ASSERT_TRUE(token.ok());

  {
    grpc::ClientContext context;
    v1::VerifyRequest request;
    request.set_token(*token);
    v1::Principal principal;
    ASSERT_TRUE(stub->Verify(&context, request, &principal).ok());
    EXPECT_EQ(principal.subject(), "alice");
    ASSERT_EQ(principal.grants().accept_size(), 1);
    EXPECT_EQ(principal.grants().accept(0), "kiosk-7");
    EXPECT_EQ(principal.expires_at().seconds(), now + 60);
  }
  {
    grpc::ClientContext context;
    v1::VerifyRequest request;
    request.set_token("garbage");
    v1::Principal principal;
    const grpc::Status status = stub->Verify(&context, request, &principal);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAUTHENTICATED);
    EXPECT_EQ(status.error_message(), "malformed token");
  }
  {
    // A request over the message size limit is refused by gRPC itself.
    grpc::ClientContext context;
    v1::VerifyRequest request;
    request.set_token(std::string(64 * 1024, 'x'));
    v1::Principal principal;
    EXPECT_EQ(stub->Verify(&context, request, &principal).error_code(),
              grpc::StatusCode::RESOURCE_EXHAUSTED);
  }
  EXPECT_TRUE((*server)->Ready());
  (*server)->SetNotServing();
  EXPECT_FALSE((*server)->Ready());
  (*server)->Shutdown(absl::Seconds(1));
  std::filesystem::remove_all(key_dir);
}

TEST(AuthServerTest, RefusesPlaintextUnlessExplicit) {
  AuthServerOptions options;
  options.keys = {{"dev", "HS256", "/nonexistent"}};
  EXPECT_FALSE(AuthServer::Start(options).ok());
}

}  // namespace
}  // namespace signaling::auth
