// An internal failure closes only the session it belongs to: the real
// gateway against a fake matching service (this test's one fake) that
// answers a join with a message without a kind, which the gateway cannot
// deliver. That client gets error INTERNAL then close 1011; another client
// on the same Relay stream keeps working.
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gateway/gateway.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "signaling/v1/matching.grpc.pb.h"
#include "tests/integration/wait.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

// Answers a ping with its pong and anything else with an empty message.
class BrokenMatching final : public v1::Matching::Service {
  grpc::Status Relay(grpc::ServerContext*,
                     grpc::ServerReaderWriter<v1::RelayDown, v1::RelayUp>* stream) override {
    stream->SendInitialMetadata();  // the gateway counts the stream up then
    v1::RelayUp up;
    while (stream->Read(&up)) {
      v1::RelayDown down;
      for (const auto& event : up.events()) {
        if (!event.has_message()) continue;
        auto* out = down.add_events();
        out->set_conn(event.conn());
        if (event.message().has_ping()) {
          out->mutable_message()->mutable_pong()->set_nonce(event.message().ping().nonce());
        } else {
          out->mutable_message();  // no kind set
        }
      }
      if (down.events_size() > 0 && !stream->Write(down)) break;
    }
    return grpc::Status::OK;
  }
};

void ExpectPong(WsClient& client, const std::string& nonce) {
  client.Send(Ping(nonce));
  auto pong = client.Read();
  ASSERT_TRUE(pong.ok()) << pong.status();
  ASSERT_TRUE(pong->has_pong()) << pong->DebugString();
  EXPECT_EQ(pong->pong().nonce(), nonce);
}

TEST(InternalErrorTest, UndeliverableMessageClosesOnlyItsSessionWith1011) {
  BrokenMatching matching;
  int matching_port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &matching_port);
  builder.RegisterService(&matching);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  gateway::GatewayOptions options;
  options.address = "127.0.0.1";
  options.port = 0;
  options.matching_target = absl::StrCat("127.0.0.1:", matching_port);
  options.matching_tls.insecure = true;
  options.dev_mode = true;
  auto gateway = gateway::Gateway::Start(std::move(options));
  ASSERT_TRUE(gateway.ok()) << gateway.status();
  WaitFor([&] { return (*gateway)->Stats().matching_connected; }, absl::Seconds(10));
  ASSERT_TRUE((*gateway)->Stats().matching_connected);
  const uint16_t port = (*gateway)->port();

  auto bystander = WsClient::Connect(port, "signaling.v1.proto");
  ASSERT_TRUE(bystander.ok()) << bystander.status();
  ExpectPong(**bystander, "before");

  for (const char* subprotocol : {"signaling.v1.json", "signaling.v1.proto"}) {
    SCOPED_TRACE(subprotocol);
    auto victim = WsClient::Connect(port, subprotocol);
    ASSERT_TRUE(victim.ok()) << victim.status();
    (*victim)->Send(JoinAcceptor("any-token", "kiosk-1"));
    auto error = (*victim)->Read();
    ASSERT_TRUE(error.ok()) << error.status();
    ASSERT_TRUE(error->has_error()) << error->DebugString();
    EXPECT_EQ(error->error().code(), v1::Error::INTERNAL);
    EXPECT_EQ(error->error().message(), "internal error");  // no internal detail
    EXPECT_EQ((*victim)->WaitClose(), 1011);
  }

  ExpectPong(**bystander, "after");
  (*bystander)->Close();
  WaitFor([&] { return (*gateway)->Stats().connections == 0; }, absl::Seconds(10));
  EXPECT_EQ((*gateway)->Stats().connections, 0u);
  (*gateway)->Stop();
  server->Shutdown();
}

}  // namespace
}  // namespace signaling::testing
