// The hostile suites' shared fixture; see hostile_fixture.h.
#include "tests/hostile/hostile_fixture.h"

#include <atomic>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/codec/codec.h"
#include "nlohmann/json.hpp"

namespace signaling::testing {

std::string CodeText(std::optional<uint16_t> code) {
  return code ? std::to_string(*code) : std::string("none (timeout)");
}

std::string ErrorCodeOf(const std::string& json) { return KindOf(codec::DecodeServerJson(json)); }

std::string RawJoin(Raw& raw, const std::string& json) {
  if (!raw.Upgrade()) return "<upgrade failed: " + raw.head() + ">";
  raw.SendText(json);
  auto text = raw.ReadText();
  return text ? ErrorCodeOf(*text) : "<closed>";
}

std::string JoinJson(const std::string& token, const std::string& role, const std::string& id) {
  nlohmann::json j = {{"join",
                       {{"sessionToken", token},
                        {"role", role},
                        {role == "ACCEPTOR" ? "peerId" : "targetId", id}}}};
  return j.dump();
}

std::string CandidateJson(const std::string& candidate) {
  nlohmann::json j = {
      {"iceCandidate", {{"candidate", candidate}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}}}};
  return j.dump();
}

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  return absl::StrReplaceAll(s, {{from, to}});
}

namespace {
std::atomic<int> health_counter{0};
}  // namespace

void ExpectHealthy(Stack& stack) {
  {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << "health: " << c.status();
    const std::string id = absl::StrCat("health-", health_counter++);
    (*c)->Send(JoinAcceptor(stack.Token("health-owner", {"health-*"}, {}), id));
    auto joined = (*c)->Read();
    EXPECT_EQ(KindOf(joined), "joined") << "health check join";
    (*c)->Close();
  }
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

void RaiseAuthThrottle(matching::MatchingServerOptions& o) {
  o.limits.auth_throttle.free_failures = 100000;
  o.limits.auth_throttle.lockout_failures = 1000000;
}

std::string JoinOutcome(Stack& stack, const std::string& token, const std::string& peer_id) {
  auto c = WsClient::Connect(stack.gateway_port());
  if (!c.ok()) return "<connect: " + std::string(c.status().message()) + ">";
  (*c)->Send(JoinAcceptor(token, peer_id));
  const std::string first = KindOf((*c)->Read());
  if (first == "joined") {
    (*c)->Close();
    return first;
  }
  return first + " close:" + CodeText((*c)->WaitClose());
}

Stack* HostileTest::stack_ = nullptr;

// The default configuration; the only change: auth-failure throttling raised
// (RaiseAuthThrottle).
void HostileTest::SetUpTestSuite() {
  stack_ = new Stack(StackOptions{.matching = RaiseAuthThrottle});
}

void HostileTest::TearDownTestSuite() {
  delete stack_;
  stack_ = nullptr;
}

void HostileTest::TearDown() {
  clients_.clear();
  ExpectHealthy(*stack_);
}

WsClient& HostileTest::Connect() {
  auto c = WsClient::Connect(port());
  EXPECT_TRUE(c.ok()) << c.status();
  clients_.push_back(std::move(*c));
  return *clients_.back();
}

int HostileTest::Status(const std::string& request) {
  Raw raw(port());
  EXPECT_TRUE(raw.connected());
  raw.Write(request);
  return raw.ReadHttpStatus();
}

std::unique_ptr<Raw> HostileTest::Upgraded() {
  auto raw = std::make_unique<Raw>(port());
  EXPECT_TRUE(raw->Upgrade()) << raw->head();
  return raw;
}

std::unique_ptr<Raw> HostileTest::Joined() {
  auto raw = std::make_unique<Raw>(port());
  EXPECT_EQ(
      RawJoin(*raw, JoinJson(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "ACCEPTOR", "kiosk-7")),
      "joined");
  return raw;
}

std::pair<WsClient*, WsClient*> HostileTest::Pair() {
  WsClient& a = Connect();
  a.Send(JoinAcceptor(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  EXPECT_EQ(KindOf(a.Read()), "joined");
  WsClient& b = Connect();
  b.Send(JoinOfferer(stack().Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
  EXPECT_EQ(KindOf(b.Read()), "joined");
  EXPECT_EQ(KindOf(a.Read()), "paired");
  EXPECT_EQ(KindOf(b.Read()), "paired");
  return {&a, &b};
}

std::pair<WsClient*, WsClient*> HostileTest::Negotiated() {
  auto [a, b] = Pair();
  b->Send(Offer(kTestOffer));
  EXPECT_EQ(KindOf(a->Read()), "offer");
  a->Send(Answer(kTestAnswer));
  EXPECT_EQ(KindOf(b->Read()), "answer");
  return {a, b};
}

void HostileTest::ExpectNonFatal(WsClient& c, const std::string& expected) {
  EXPECT_EQ(KindOf(c.Read()), expected);
  c.Send(Ping("after"));
  auto pong = c.Read();
  EXPECT_EQ(KindOf(pong), "pong") << "the refusal must not be fatal";
}

}  // namespace signaling::testing
