// Caller authorization of the matching service over real mTLS: a
// MatchingServer on a port, client certificates from a test CA, and each
// RPC (Relay, Session, ListSessions, GetStats, DisconnectPeer) called once
// by an identity on its list (it reaches the engine) and once by one that
// is not (PERMISSION_DENIED, counted in signaling_matching_rpc_denied_total).
#include <memory>
#include <string>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/metrics/metrics.h"
#include "common/net/grpc_tls.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/matching/matching_server.h"
#include "signaling/v1/matching.grpc.pb.h"
#include "tests/services/matching/test_pki.h"

namespace signaling::testing {
namespace {

using matching::MatchingServer;
using matching::MatchingServerOptions;

// The identities the test CA writes into client certificates, and the
// lists the server is given: a gateway named by its DNS SAN, an internal
// service by its URI SAN (SPIFFE style), an admin by its subject CN.
constexpr char kGatewaySan[] = "gateway.signaling.svc";
constexpr char kServiceSan[] = "spiffe://cluster.local/ns/app/sa/recorder";
constexpr char kAdminCn[] = "ops-admin";

class CallerAuthorizationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto pki = TestPki::Create("signaling-test-ca");
    ASSERT_TRUE(pki.ok()) << pki.status();
    pki_ = std::move(pki)->release();
    auto rogue = TestPki::Create("rogue-ca");
    ASSERT_TRUE(rogue.ok()) << rogue.status();
    rogue_ = std::move(rogue)->release();
    server_cert_ = Issue(*pki_, "server", "matching", {"IP:127.0.0.1"});
    gateway_ = Issue(*pki_, "gateway", "gateway-0", {absl::StrCat("DNS:", kGatewaySan)});
    service_ = Issue(*pki_, "service", "recorder-7", {absl::StrCat("URI:", kServiceSan)});
    admin_ = Issue(*pki_, "admin", kAdminCn, {});
    stranger_ = Issue(*pki_, "stranger", "stranger", {"DNS:stranger.example"});
    // The gateway's names, signed by a CA the server does not trust.
    forged_gateway_ = Issue(*rogue_, "forged", "gateway-0", {absl::StrCat("DNS:", kGatewaySan)});
  }
  static void TearDownTestSuite() {
    delete pki_;
    delete rogue_;
  }

  static CertFiles Issue(TestPki& ca, const std::string& file, const std::string& cn,
                         const std::vector<std::string>& sans) {
    auto files = ca.Issue(file, cn, sans);
    EXPECT_TRUE(files.ok()) << files.status();
    return files.ok() ? *files : CertFiles{};
  }

  void SetUp() override {
    MatchingServerOptions options;
    options.listen = "127.0.0.1:0";
    options.auth_target = "127.0.0.1:1";  // never called: nobody joins here
    options.server_tls = {false, server_cert_.cert, server_cert_.key, pki_->ca_cert()};
    options.auth_tls = {false, pki_->ca_cert(), "", ""};
    options.callers = {{kGatewaySan}, {kServiceSan}, {kAdminCn}};
    options.registry = &registry_;
    auto server = MatchingServer::Start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = *std::move(server);
  }

  std::shared_ptr<grpc::Channel> ChannelAs(const CertFiles& client,
                                           const std::string& ca = pki_->ca_cert()) {
    auto credentials = net::ChannelCredentials({false, ca, client.cert, client.key});
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    return grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()), *credentials);
  }

  // The denial counter's sample for `rpc`, or "absent".
  std::string Denied(const std::string& rpc) const {
    const std::string text = registry_.Serialize();
    const std::string series =
        absl::StrCat("signaling_matching_rpc_denied_total{rpc=\"", rpc, "\"} ");
    const size_t at = text.find(series);
    if (at == std::string::npos) return "absent";
    return text.substr(at + series.size(), text.find('\n', at) - at - series.size());
  }

  static inline TestPki* pki_ = nullptr;
  static inline TestPki* rogue_ = nullptr;
  static inline CertFiles server_cert_, gateway_, service_, admin_, stranger_, forged_gateway_;
  metrics::Registry registry_;
  std::unique_ptr<MatchingServer> server_;
};

grpc::ClientContext* WithDeadline(grpc::ClientContext* context) {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  return context;
}

v1::ClientMessage Ping() {
  v1::ClientMessage ping;
  ping.mutable_ping();
  return ping;
}

// Opens a Session stream and sends a ping before any join: an allowed
// caller reaches the engine, which answers INVALID_STATE; a refused one
// gets no message and the stream's status.
grpc::Status CallSession(const std::shared_ptr<grpc::Channel>& channel, v1::ServerMessage* reply) {
  auto stub = v1::Matching::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Session(WithDeadline(&context));
  stream->Write(Ping());
  if (stream->Read(reply)) context.TryCancel();
  return stream->Finish();
}

// Opens a Relay stream carrying one client connection and its ping.
grpc::Status CallRelay(const std::shared_ptr<grpc::Channel>& channel, v1::RelayDown* reply) {
  auto stub = v1::Matching::NewStub(channel);
  grpc::ClientContext context;
  auto stream = stub->Relay(WithDeadline(&context));
  v1::RelayUp up;
  auto* open = up.add_events();
  open->set_conn(1);
  open->mutable_open()->set_client_ip("203.0.113.7");
  open->mutable_open()->set_transport("proto");
  auto* ping = up.add_events();
  ping->set_conn(1);
  *ping->mutable_message() = Ping();
  stream->Write(up);
  if (stream->Read(reply)) context.TryCancel();
  return stream->Finish();
}

TEST_F(CallerAuthorizationTest, RelayIsForGatewaysOnly) {
  v1::RelayDown reply;
  grpc::Status allowed = CallRelay(ChannelAs(gateway_), &reply);
  ASSERT_EQ(reply.events_size(), 1) << allowed.error_message();
  EXPECT_EQ(reply.events(0).conn(), 1u);
  EXPECT_EQ(reply.events(0).message().error().code(), v1::Error::INVALID_STATE);
  EXPECT_EQ(Denied("Relay"), "0");

  for (const CertFiles* refused : {&service_, &admin_, &stranger_}) {
    v1::RelayDown none;
    grpc::Status status = CallRelay(ChannelAs(*refused), &none);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused->cert;
    EXPECT_EQ(none.events_size(), 0);
  }
  EXPECT_EQ(Denied("Relay"), "3");
}

TEST_F(CallerAuthorizationTest, SessionIsForInternalServicesOnly) {
  v1::ServerMessage reply;
  CallSession(ChannelAs(service_), &reply);
  EXPECT_EQ(reply.error().code(), v1::Error::INVALID_STATE) << reply.DebugString();

  for (const CertFiles* refused : {&gateway_, &admin_, &stranger_}) {
    v1::ServerMessage none;
    grpc::Status status = CallSession(ChannelAs(*refused), &none);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::PERMISSION_DENIED) << refused->cert;
    EXPECT_EQ(none.kind_case(), v1::ServerMessage::KIND_NOT_SET);
  }
  EXPECT_EQ(Denied("Session"), "3");
  EXPECT_EQ(Denied("Relay"), "0");
}

TEST_F(CallerAuthorizationTest, AdminApiIsForAdminsOnly) {
  auto admin = v1::MatchingAdmin::NewStub(ChannelAs(admin_));
  {
    grpc::ClientContext context;
    v1::ListSessionsResponse sessions;
    EXPECT_TRUE(admin->ListSessions(WithDeadline(&context), {}, &sessions).ok());
  }
  {
    grpc::ClientContext context;
    v1::Stats stats;
    EXPECT_TRUE(admin->GetStats(WithDeadline(&context), {}, &stats).ok());
  }
  {
    grpc::ClientContext context;
    v1::DisconnectPeerRequest request;
    request.set_peer_id("kiosk-7");
    v1::DisconnectPeerResponse response;
    EXPECT_TRUE(admin->DisconnectPeer(WithDeadline(&context), request, &response).ok());
    EXPECT_FALSE(response.disconnected());
  }

  for (const CertFiles* refused : {&gateway_, &service_, &stranger_}) {
    auto stub = v1::MatchingAdmin::NewStub(ChannelAs(*refused));
    grpc::ClientContext list_context, stats_context, disconnect_context;
    v1::ListSessionsResponse sessions;
    v1::Stats stats;
    v1::DisconnectPeerResponse response;
    EXPECT_EQ(stub->ListSessions(WithDeadline(&list_context), {}, &sessions).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(stub->GetStats(WithDeadline(&stats_context), {}, &stats).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_EQ(stub->DisconnectPeer(WithDeadline(&disconnect_context), {}, &response).error_code(),
              grpc::StatusCode::PERMISSION_DENIED);
  }
  EXPECT_EQ(Denied("ListSessions"), "3");
  EXPECT_EQ(Denied("GetStats"), "3");
  EXPECT_EQ(Denied("DisconnectPeer"), "3");
}

TEST_F(CallerAuthorizationTest, AnAllowedNameFromAnUntrustedCaNeverGetsIn) {
  v1::RelayDown reply;
  grpc::Status status = CallRelay(ChannelAs(forged_gateway_), &reply);
  // The TLS handshake fails before any RPC runs (dialled by IP: no DNS
  // resolver, whose c-ares allocations LeakSanitizer reports).
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_EQ(reply.events_size(), 0);
}

// Starts a MatchingServer with TLS from a fresh CA, with or without that CA
// for client certificates, and the given Relay list.
absl::Status StartWith(bool client_ca, std::vector<std::string> relay) {
  auto pki = TestPki::Create("start-ca");
  if (!pki.ok()) return pki.status();
  auto server_cert = (*pki)->Issue("server", "matching", {"IP:127.0.0.1"});
  if (!server_cert.ok()) return server_cert.status();
  MatchingServerOptions options;
  options.auth_target = "127.0.0.1:1";
  options.server_tls = {false, server_cert->cert, server_cert->key,
                        client_ca ? (*pki)->ca_cert() : ""};
  options.auth_tls = {false, (*pki)->ca_cert(), "", ""};
  options.callers = {std::move(relay), {}, {}};
  return MatchingServer::Start(std::move(options)).status();
}

TEST(CallerAuthorizationStartTest, TlsWithoutClientCaIsRefusedOutsideDevelopment) {
  ASSERT_TRUE(StartWith(true, {kGatewaySan}).ok());
  const absl::Status status = StartWith(false, {kGatewaySan});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
  EXPECT_TRUE(absl::StrContains(status.message(), "--tls_client_ca")) << status;
}

TEST(CallerAuthorizationStartTest, AMalformedIdentityListIsRefusedAtStart) {
  const absl::Status status = StartWith(true, {kGatewaySan, " "});
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument) << status;
}

}  // namespace
}  // namespace signaling::testing
