// Internal clients' Session streams across replicas: an offerer whose
// target is held by another replica is carried on there through the
// replica it reached (one Session stream for the client, a Relay stream
// between the replicas): it pairs and negotiates as if it had reached the
// holder, a waiting offerer moves when its acceptor joins elsewhere without
// being told `joined` twice, and when the holder dies the client gets
// UNAVAILABLE and 1013, as a gateway's client does.
#include <chrono>
#include <csignal>
#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "signaling/v1/matching.grpc.pb.h"
#include "tests/cluster/two_replicas.h"
#include "tests/integration/wait.h"

namespace signaling::testing {
namespace {

// One Session stream to a replica, as an internal service opens it.
class SessionClient {
 public:
  explicit SessionClient(const std::string& replica)
      : stub_(v1::Matching::NewStub(
            grpc::CreateChannel(replica, grpc::InsecureChannelCredentials()))) {
    context_.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(60));
    stream_ = stub_->Session(&context_);
  }

  void Send(const v1::ClientMessage& message) { ASSERT_TRUE(stream_->Write(message)); }
  std::string Read() {
    v1::ServerMessage in;
    if (!stream_->Read(&in)) return "(ended)";
    return KindOf(in);
  }
  // Reads to the end; the close code the trailers carry ("" if none).
  std::string Finish() {
    v1::ServerMessage in;
    while (stream_->Read(&in)) {
    }
    EXPECT_TRUE(stream_->Finish().ok());
    auto code = context_.GetServerTrailingMetadata().find("signaling-close-code");
    if (code == context_.GetServerTrailingMetadata().end()) return "";
    return std::string(code->second.data(), code->second.size());
  }

 private:
  std::unique_ptr<v1::Matching::Stub> stub_;
  grpc::ClientContext context_;
  std::unique_ptr<grpc::ClientReaderWriter<v1::ClientMessage, v1::ServerMessage>> stream_;
};

using ClusterSessionTest = TwoReplicas;

TEST_F(ClusterSessionTest, AnOffererOnAnotherReplicaIsCarriedOnToItsAcceptor) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  SessionClient offerer(stack_.address(1));
  offerer.Send(JoinMessage(user_, v1::OFFERER, "kiosk-7"));
  EXPECT_EQ(offerer.Read(), "joined");
  EXPECT_EQ(offerer.Read(), "paired");
  EXPECT_EQ(Describe(a_->Next(1)), "paired");
  offerer.Send(Offer(kTestOffer));
  EXPECT_EQ(Describe(a_->Next(1)), "offer");
  v1::ClientMessage answer;
  answer.mutable_answer()->set_sdp(kTestAnswer);
  a_->Send(1, answer);
  EXPECT_EQ(offerer.Read(), "answer");
  // The acceptor goes: the offerer hears it and its session ends (1000).
  a_->Close(1);
  EXPECT_EQ(offerer.Read(), "peerLeft:DISCONNECTED");
  EXPECT_EQ(offerer.Finish(), "1000");
  EXPECT_TRUE(stack_.WaitForZero()) << stack_.DescribeState();
}

TEST_F(ClusterSessionTest, AWaitingOffererMovesWhenItsAcceptorJoinsElsewhere) {
  SessionClient offerer(stack_.address(1));
  offerer.Send(JoinMessage(user_, v1::OFFERER, "kiosk-7", 10000));
  EXPECT_EQ(offerer.Read(), "joined");
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  EXPECT_EQ(offerer.Read(), "paired") << "not told joined a second time";
  EXPECT_EQ(Describe(a_->Next(1)), "paired");
  offerer.Send(Leave());
  EXPECT_EQ(Describe(a_->Next(1)), "peer_left:LEFT");
  EXPECT_EQ(offerer.Finish(), "1000");
}

TEST_F(ClusterSessionTest, TheClientOfAForwardedSessionHearsWhenTheHolderDies) {
  ASSERT_EQ(Join(*a_, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  SessionClient offerer(stack_.address(1));
  offerer.Send(JoinMessage(user_, v1::OFFERER, "kiosk-7"));
  EXPECT_EQ(offerer.Read(), "joined");
  EXPECT_EQ(offerer.Read(), "paired");
  stack_.replica(0).Signal(SIGKILL);
  EXPECT_EQ(offerer.Read(), "error:UNAVAILABLE");
  EXPECT_EQ(offerer.Finish(), "1013");
  ASSERT_TRUE(stack_.replica(0).WaitExitStatus(absl::Seconds(5)).has_value());
  EXPECT_TRUE(stack_.WaitForZero()) << stack_.DescribeState();
}

}  // namespace
}  // namespace signaling::testing
