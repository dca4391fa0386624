// Protocol v1 end to end: the real auth, matching and gateway services on
// loopback, real WebSocket clients (JSON and protobuf subprotocols) and a
// real internal gRPC client. Every test ends with the services back at zero.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "signaling/v1/matching.grpc.pb.h"
#include "tests/integration/stack.h"
#include "tests/integration/wait.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

constexpr char kCandidateA[] = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";
constexpr char kCandidateB[] =
    "candidate:842163049 1 udp 1677729535 198.51.100.7 61000 typ srflx raddr 0.0.0.0 rport 0";

class SignalTest : public ::testing::TestWithParam<std::string> {
 protected:
  void TearDown() override {
    clients_.clear();
    EXPECT_TRUE(stack_.WaitForZero()) << stack_.DescribeState();
  }

  WsClient& Connect(const std::map<std::string, std::string>& headers = {
                        {"Origin", "http://127.0.0.1"}}) {
    auto client = WsClient::Connect(stack_.gateway_port(), GetParam(), headers);
    EXPECT_TRUE(client.ok()) << client.status();
    clients_.push_back(std::move(*client));
    return *clients_.back();
  }

  WsClient& Acceptor(const std::string& id = "kiosk-7",
                     const std::string& subject = "kiosk-owner") {
    WsClient& a = Connect();
    a.Send(JoinAcceptor(stack_.Token(subject, {"kiosk-*"}, {}), id));
    auto joined = a.Read();
    EXPECT_EQ(KindOf(joined), "joined");
    if (joined.ok()) {
      EXPECT_EQ(joined->joined().peer_id(), id);
      EXPECT_EQ(joined->joined().role(), v1::ACCEPTOR);
      EXPECT_EQ(joined->joined().session_id().substr(0, 2), "s_");
    }
    return a;
  }

  WsClient& Offerer(const std::string& id = "kiosk-7", const std::string& subject = "user-42",
                    uint32_t wait_ms = 0) {
    WsClient& b = Connect();
    b.Send(JoinOfferer(stack_.Token(subject, {}, {"kiosk-*"}), id, wait_ms));
    auto joined = b.Read();
    EXPECT_EQ(KindOf(joined), "joined");
    if (joined.ok()) {
      EXPECT_EQ(joined->joined().target_id(), id);
    }
    return b;
  }

  std::pair<WsClient*, WsClient*> Pair() {
    WsClient& a = Acceptor();
    WsClient& b = Offerer();
    auto pa = a.Read();
    auto pb = b.Read();
    EXPECT_EQ(KindOf(pa), "paired");
    EXPECT_EQ(KindOf(pb), "paired");
    if (pa.ok()) {
      EXPECT_EQ(pa->paired().peer().subject(), "user-42");
    }
    if (pb.ok()) {
      EXPECT_EQ(pb->paired().peer().subject(), "kiosk-owner");
    }
    return {&a, &b};
  }

  Stack stack_;
  std::vector<std::unique_ptr<WsClient>> clients_;
};

INSTANTIATE_TEST_SUITE_P(Subprotocols, SignalTest,
                         ::testing::Values("signaling.v1.json", "signaling.v1.proto"),
                         [](const auto& info) {
                           return info.param == "signaling.v1.json" ? std::string("Json")
                                                                    : std::string("Proto");
                         });

TEST_P(SignalTest, NegotiatesTheSubprotocol) {
  WsClient& c = Connect();
  EXPECT_EQ(c.negotiated_subprotocol(), GetParam());
}

TEST_P(SignalTest, CompleteExchangeWithTrickleBothWaysAndLeave) {
  auto [a, b] = Pair();
  v1::ClientMessage offer = Offer(kTestOffer);
  auto* inline_candidate = offer.mutable_offer()->add_ice_candidates();
  inline_candidate->set_candidate(kCandidateA);
  inline_candidate->set_sdp_mid("0");
  inline_candidate->set_sdp_m_line_index(0);
  b->Send(offer);
  auto got_offer = a->Read();
  ASSERT_EQ(KindOf(got_offer), "offer");
  EXPECT_EQ(got_offer->offer().sdp(), kTestOffer);
  ASSERT_EQ(got_offer->offer().ice_candidates_size(), 1);
  EXPECT_EQ(got_offer->offer().ice_candidates(0).candidate(), kCandidateA);

  a->Send(Answer(kTestAnswer));
  auto got_answer = b->Read();
  ASSERT_EQ(KindOf(got_answer), "answer");
  EXPECT_EQ(got_answer->answer().sdp(), kTestAnswer);

  // Trickle: several each way, interleaved; each side's order is kept.
  for (int i = 0; i < 5; ++i) {
    b->Send(Candidate("candidate:" + std::to_string(i) + " 1 udp 2122260223 192.0.2.10 " +
                      std::to_string(50000 + i) + " typ host"));
    a->Send(Candidate(kCandidateB));
  }
  b->Send(Candidate(""));  // end of candidates
  for (int i = 0; i < 5; ++i) {
    auto c = a->Read();
    ASSERT_EQ(KindOf(c), "iceCandidate");
    EXPECT_EQ(c->ice_candidate().candidate(), "candidate:" + std::to_string(i) +
                                                  " 1 udp 2122260223 192.0.2.10 " +
                                                  std::to_string(50000 + i) + " typ host");
    EXPECT_EQ(c->ice_candidate().sdp_mid(), "0");
    EXPECT_TRUE(c->ice_candidate().has_sdp_m_line_index());
  }
  auto end = a->Read();
  ASSERT_EQ(KindOf(end), "iceCandidate");
  EXPECT_EQ(end->ice_candidate().candidate(), "");
  for (int i = 0; i < 5; ++i) {
    auto c = b->Read();
    ASSERT_EQ(KindOf(c), "iceCandidate");
    EXPECT_EQ(c->ice_candidate().candidate(), kCandidateB);
  }

  b->Send(Leave());
  EXPECT_EQ(KindOf(a->Read()), "peerLeft:LEFT");
  EXPECT_EQ(b->WaitClose(), 1000);
  // The acceptor waits again and is paired with the next offerer.
  WsClient& c = Offerer();
  EXPECT_EQ(KindOf(c.Read()), "paired");
  EXPECT_EQ(KindOf(a->Read()), "paired");
}

TEST_P(SignalTest, SocketDropGivesPeerLeftDisconnected) {
  auto [a, b] = Pair();
  a->Drop();
  EXPECT_EQ(KindOf(b->Read()), "peerLeft:DISCONNECTED");
  EXPECT_EQ(b->WaitClose(), 1000);
}

TEST_P(SignalTest, SameSubjectReplacesWith4009) {
  auto [a, b] = Pair();
  WsClient& a2 = Acceptor();
  EXPECT_EQ(a->WaitClose(), 4009);
  EXPECT_EQ(KindOf(b->Read()), "peerLeft:REPLACED");
  EXPECT_EQ(b->WaitClose(), 1000);
  WsClient& c = Offerer();
  EXPECT_EQ(KindOf(c.Read()), "paired");
  EXPECT_EQ(KindOf(a2.Read()), "paired");
}

TEST_P(SignalTest, DifferentSubjectGetsIdTaken) {
  WsClient& a = Acceptor();
  WsClient& x = Connect();
  x.Send(JoinAcceptor(stack_.Token("intruder", {"*"}, {}), "kiosk-7"));
  EXPECT_EQ(KindOf(x.Read()), "error:ID_TAKEN");
  EXPECT_EQ(x.WaitClose(), 1008);
  EXPECT_FALSE(a.close_code().has_value());
}

TEST_P(SignalTest, PeerBusy) {
  Pair();
  WsClient& c = Offerer("kiosk-7", "user-43");
  EXPECT_EQ(KindOf(c.Read()), "error:PEER_BUSY");
  EXPECT_EQ(c.WaitClose(), 1013);
}

TEST_P(SignalTest, PeerNotFoundAfterWaitMs) {
  const absl::Time start = absl::Now();
  WsClient& b = Offerer("kiosk-404", "user-42", 300);
  EXPECT_EQ(KindOf(b.Read()), "error:PEER_NOT_FOUND");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(300));
  EXPECT_EQ(b.WaitClose(), 1008);
}

TEST_P(SignalTest, WaitingOffererIsPairedWhenTheAcceptorArrives) {
  WsClient& b = Offerer("kiosk-9", "user-42", 30000);  // the cap: ample time for the acceptor
  WsClient& a = Acceptor("kiosk-9");
  EXPECT_EQ(KindOf(a.Read()), "paired");
  EXPECT_EQ(KindOf(b.Read()), "paired");
}

TEST_P(SignalTest, PermissionDenied) {
  WsClient& b = Connect();
  b.Send(JoinOfferer(stack_.Token("user-42", {}, {"kiosk-*"}), "other-1"));
  EXPECT_EQ(KindOf(b.Read()), "error:PERMISSION_DENIED");
  EXPECT_EQ(b.WaitClose(), 4003);
}

TEST_P(SignalTest, InvalidTokenIsUnauthenticated) {
  WsClient& b = Connect();
  b.Send(JoinOfferer("not-a-token", "kiosk-7"));
  EXPECT_EQ(KindOf(b.Read()), "error:UNAUTHENTICATED");
  EXPECT_EQ(b.WaitClose(), 4001);
}

TEST_P(SignalTest, TokenFromTheAuthorizationHeader) {
  WsClient& a =
      Connect({{"Origin", "http://127.0.0.1"},
               {"Authorization", "Bearer " + stack_.Token("kiosk-owner", {"kiosk-*"}, {})}});
  a.Send(JoinAcceptor("", "kiosk-7"));
  EXPECT_EQ(KindOf(a.Read()), "joined");
}

TEST_P(SignalTest, AuthServiceDownFailsClosedWithUnavailable) {
  stack_.StopAuth();
  WsClient& a = Connect();
  a.Send(JoinAcceptor(stack_.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  EXPECT_EQ(KindOf(a.Read()), "error:UNAVAILABLE");
  EXPECT_EQ(a.WaitClose(), 1013);
  stack_.StartAuth();
  // Once it is back, joins work again (matching's channel reconnects on its
  // own backoff: retry, bounded).
  const bool recovered = WaitFor(
      [&] {
        WsClient& again = Connect();
        again.Send(JoinAcceptor(stack_.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
        return KindOf(again.Read()) == "joined";
      },
      absl::Seconds(10), absl::Milliseconds(100));
  EXPECT_TRUE(recovered) << "joins did not recover after the auth service came back";
}

TEST_P(SignalTest, InvalidStateIsNotFatal) {
  WsClient& a = Acceptor();
  a.Send(Candidate(kCandidateA));
  EXPECT_EQ(KindOf(a.Read()), "error:INVALID_STATE");
  v1::ClientMessage ping;
  ping.mutable_ping()->set_nonce("still-here");
  a.Send(ping);
  auto pong = a.Read();
  ASSERT_EQ(KindOf(pong), "pong");
  EXPECT_EQ(pong->pong().nonce(), "still-here");
}

// Contract section 3: a well-formed message of a kind the server does not
// know (a newer client's) gets INVALID_MESSAGE and the connection stays
// open, before join and while paired; the peer sees nothing of it. In
// protobuf, a ClientMessage with only unknown fields, or none, is that case.
TEST_P(SignalTest, UnknownKindIsInvalidMessageAndNotFatal) {
  const bool json = GetParam() == "signaling.v1.json";
  // JSON: an unknown key. Protobuf: field 99 holding {1: 1}, and no field.
  const std::vector<std::string> unknown =
      json ? std::vector<std::string>{R"({"hello":{"x":1}})", R"({"resume":{}})"}
           : std::vector<std::string>{std::string("\x9a\x06\x02\x08\x01", 5), ""};
  WsClient& a = Connect();
  for (const std::string& frame : unknown) {
    a.SendRaw(frame, json);
    EXPECT_EQ(KindOf(a.Read()), "error:INVALID_MESSAGE");
  }
  a.Send(JoinAcceptor(stack_.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  EXPECT_EQ(KindOf(a.Read()), "joined");
  WsClient& b = Offerer();
  EXPECT_EQ(KindOf(a.Read()), "paired");
  EXPECT_EQ(KindOf(b.Read()), "paired");
  for (const std::string& frame : unknown) {
    b.SendRaw(frame, json);
    EXPECT_EQ(KindOf(b.Read()), "error:INVALID_MESSAGE");
  }
  b.Send(Offer(kTestOffer));
  EXPECT_EQ(KindOf(a.Read()), "offer");  // the first thing the peer receives
  v1::ClientMessage ping;
  ping.mutable_ping()->set_nonce("still-here");
  b.Send(ping);
  EXPECT_EQ(KindOf(b.Read()), "pong");
  EXPECT_FALSE(a.close_code().has_value());
  EXPECT_FALSE(b.close_code().has_value());
}

TEST_P(SignalTest, WrongFrameTypeIsInvalidMessageThen1007) {
  WsClient& a = Connect();
  const bool json = GetParam() == "signaling.v1.json";
  a.SendRaw("{\"leave\":{}}", /*text=*/!json);
  EXPECT_EQ(KindOf(a.Read()), "error:INVALID_MESSAGE");
  EXPECT_EQ(a.WaitClose(), 1007);
}

TEST_P(SignalTest, MessageTooBigCloses1009) {
  WsClient& a = Connect();
  a.SendRaw(std::string(65 * 1024, 'x'), GetParam() == "signaling.v1.json");
  EXPECT_EQ(a.WaitClose(), 1009);
}

TEST(SignalJsonTest, MalformedJsonIsInvalidMessageThen1007) {
  Stack stack;
  for (const std::string bad : {"{", "{\"join\":{},\"leave\":{}}", "{\"bogus\":5}", "[1]"}) {
    auto client = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(client.ok());
    (*client)->SendRaw(bad, true);
    EXPECT_EQ(KindOf((*client)->Read()), "error:INVALID_MESSAGE") << bad;
    EXPECT_EQ((*client)->WaitClose(), 1007) << bad;
  }
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

TEST(SignalJsonTest, NoSubprotocolMeansJson) {
  Stack stack;
  auto client = WsClient::Connect(stack.gateway_port(), "");
  ASSERT_TRUE(client.ok());
  EXPECT_EQ((*client)->negotiated_subprotocol(), "");
  (*client)->Send(JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-1"));
  EXPECT_EQ(KindOf((*client)->Read()), "joined");
}

// An internal service pairs with a browser-like client over the matching
// service's own gRPC stream, token in the authorization metadata.
TEST(InternalClientTest, GrpcSessionPairsWithWebSocketClient) {
  Stack stack;
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(stack.matching_port()),
                                     grpc::InsecureChannelCredentials());
  auto stub = v1::Matching::NewStub(channel);
  grpc::ClientContext context;
  context.AddMetadata("authorization", "Bearer " + stack.Token("camera-service", {"cam-*"}, {}));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = stub->Session(&context);
  v1::ClientMessage join;
  join.mutable_join()->set_role(v1::ACCEPTOR);
  join.mutable_join()->set_peer_id("cam-1");
  ASSERT_TRUE(stream->Write(join));
  v1::ServerMessage in;
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_EQ(KindOf(in), "joined");

  auto browser = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(browser.ok());
  (*browser)->Send(JoinOfferer(stack.Token("viewer", {}, {"cam-*"}), "cam-1"));
  EXPECT_EQ(KindOf((*browser)->Read()), "joined");
  auto paired = (*browser)->Read();
  ASSERT_EQ(KindOf(paired), "paired");
  EXPECT_EQ(paired->paired().peer().subject(), "camera-service");
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_EQ(KindOf(in), "paired");
  EXPECT_EQ(in.paired().peer().subject(), "viewer");

  (*browser)->Send(Offer(kTestOffer));
  ASSERT_TRUE(stream->Read(&in));
  ASSERT_EQ(KindOf(in), "offer");
  v1::ClientMessage answer = Answer(kTestAnswer);
  ASSERT_TRUE(stream->Write(answer));
  EXPECT_EQ(KindOf((*browser)->Read()), "answer");
  ASSERT_TRUE(stream->Write(Candidate(kCandidateA)));
  auto candidate = (*browser)->Read();
  ASSERT_EQ(KindOf(candidate), "iceCandidate");
  EXPECT_EQ(candidate->ice_candidate().candidate(), kCandidateA);

  // The internal side leaves; the browser's offerer session ends.
  ASSERT_TRUE(stream->Write(Leave()));
  EXPECT_EQ(KindOf((*browser)->Read()), "peerLeft:LEFT");
  EXPECT_EQ((*browser)->WaitClose(), 1000);
  stream->WritesDone();
  while (stream->Read(&in)) {
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

TEST(InternalClientTest, GrpcSessionWithoutTokenIsRefused) {
  Stack stack;
  auto stub = v1::Matching::NewStub(grpc::CreateChannel(
      "127.0.0.1:" + std::to_string(stack.matching_port()), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  auto stream = stub->Session(&context);
  v1::ClientMessage join;
  join.mutable_join()->set_role(v1::ACCEPTOR);
  join.mutable_join()->set_peer_id("cam-1");
  ASSERT_TRUE(stream->Write(join));
  v1::ServerMessage in;
  ASSERT_TRUE(stream->Read(&in));
  EXPECT_EQ(KindOf(in), "error:UNAUTHENTICATED");
  EXPECT_FALSE(stream->Read(&in));
  EXPECT_TRUE(stream->Finish().ok());
  auto code = context.GetServerTrailingMetadata().find("signaling-close-code");
  ASSERT_NE(code, context.GetServerTrailingMetadata().end());
  EXPECT_EQ(std::string(code->second.data(), code->second.size()), "4001");
}

// A loopback port that completes TCP handshakes (listen backlog) and never
// says anything: a token verifier that is reachable but never answers.
class SilentListener {
 public:
  SilentListener() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof(address);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&address), length) == 0 && listen(fd_, 16) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
      port_ = ntohs(address.sin_port);
    }
  }
  ~SilentListener() { close(fd_); }
  uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

// The matching service stopping while a token verification is in flight:
// the call's completion uses the service, so Shutdown waits for it (up to
// the verify deadline) before the service may be destroyed. The client gets
// goAway then 1001 as for any shutdown. (Under ASan, not waiting is a
// use-after-free when the late completion arrives.)
TEST(MatchingShutdownTest, WaitsForAVerificationInFlight) {
  SilentListener verifier;
  ASSERT_NE(verifier.port(), 0);
  // Long enough that the verification is surely still in flight when the
  // wait below sees it, however slow the machine.
  constexpr absl::Duration kDeadline = absl::Seconds(3);
  Stack stack(StackOptions{.matching = [&](matching::MatchingServerOptions& o) {
    o.auth_target = absl::StrCat("127.0.0.1:", verifier.port());
    o.verify_deadline = kDeadline;
  }});
  auto client = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(client.ok());
  const absl::Time joined_at = absl::Now();
  (*client)->Send(JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  WaitFor([&] { return stack.matching().Stats().pending_verifications() != 0; }, kDeadline,
          absl::Milliseconds(5));
  ASSERT_EQ(stack.matching().Stats().pending_verifications(), 1u);
  stack.matching().Shutdown(absl::Milliseconds(100));
  EXPECT_GE(absl::Now() - joined_at, kDeadline) << "Shutdown returned with the call in flight";
  EXPECT_EQ(KindOf((*client)->Read()), "goAway");
  EXPECT_EQ((*client)->WaitClose(), 1001);
}

}  // namespace
}  // namespace signaling::testing
