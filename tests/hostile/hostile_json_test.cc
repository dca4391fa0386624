// Bad JSON and bad ids against the real stack: malformed, wrongly typed,
// nested 10,000 deep, NUL bytes, two kinds, a binary frame on the JSON
// subprotocol, bad peerId / targetId. Each gets error INVALID_MESSAGE, then
// close 1007 (protocol-v1 sections 6-7, docs/protocol.md section 9).
#include <string>
#include <utility>

#include "absl/strings/escaping.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_fixture.h"

namespace signaling::testing {
namespace {

class HostileJsonTest : public HostileTest,
                        public ::testing::WithParamInterface<std::pair<const char*, std::string>> {
};

std::string Nested(int depth) {
  return std::string("{\"join\":") + std::string(depth, '[') + std::string(depth, ']') + "}";
}

INSTANTIATE_TEST_SUITE_P(
    Json, HostileJsonTest,
    ::testing::Values(
        std::make_pair("Malformed", std::string(R"({"join":{"role":"ACCEPTOR",)")),
        std::make_pair("NotAnObject", std::string(R"(["join"])")),
        std::make_pair("Nesting10000", Nested(10000)),
        std::make_pair("RawNulByte",
                       std::string("{\"join\":{\"role\":\"ACCEPTOR\",\"peerId\":\"a\0b\"}}", 41)),
        std::make_pair(
            "EscapedNulInPeerId",
            std::string(R"({"join":{"sessionToken":"x","role":"ACCEPTOR","peerId":"a\u0000b"}})")),
        std::make_pair("TwoKinds", std::string(R"({"ping":{},"leave":{}})")),
        std::make_pair("KindNotAnObject", std::string(R"({"hello":5})")),
        std::make_pair(
            "WrongFieldTypes",
            std::string(R"({"join":{"sessionToken":5,"role":["ACCEPTOR"],"peerId":{}}})")),
        std::make_pair(
            "HugeNumber",
            std::string(
                R"({"join":{"sessionToken":"x","role":"OFFERER","targetId":"k","waitMs":1e400}})")),
        std::make_pair(
            "HugeInteger",
            std::string(
                R"({"join":{"sessionToken":"x","role":"OFFERER","targetId":"k","waitMs":99999999999999999999999999}})"))),
    [](const auto& info) { return std::string(info.param.first); });

TEST_P(HostileJsonTest, IsInvalidMessageThen1007) {
  auto raw = Upgraded();
  raw->SendText(GetParam().second);
  auto text = raw->ReadText();
  ASSERT_TRUE(text.has_value()) << "no error before the close";
  EXPECT_EQ(ErrorCodeOf(*text), "error:INVALID_MESSAGE") << *text;
  EXPECT_EQ(CodeText(raw->WaitClose()), "1007");
}

TEST_F(HostileTest, JsonBinaryFrameOnJsonSubprotocolIsInvalidMessageThen1007) {
  auto raw = Upgraded();
  raw->Write(BuildFrame(0x2, R"({"ping":{}})"));
  auto text = raw->ReadText();
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(ErrorCodeOf(*text), "error:INVALID_MESSAGE") << *text;
  EXPECT_EQ(CodeText(raw->WaitClose()), "1007");
}

TEST_F(HostileTest, MalformedJsonAfterJoinIsInvalidMessageThen1007) {
  auto [a, b] = Pair();
  b->SendRaw("{\"offer\":{\"sdp\":", true);
  EXPECT_EQ(KindOf(b->Read()), "error:INVALID_MESSAGE");
  EXPECT_EQ(CodeText(b->WaitClose()), "1007");
  EXPECT_EQ(KindOf(a->Read()), "peerLeft:DISCONNECTED");
}

TEST_F(HostileTest, BadPeerAndTargetIdsAreInvalidMessageThen1007) {
  const std::string acceptor = stack().Token("kiosk-owner", {"*"}, {});
  const std::string offerer = stack().Token("user-42", {}, {"*"});
  for (const std::string id : {std::string(129, 'k'), std::string("kiosk/7"), std::string(""),
                               std::string("kiosk 7"), std::string("kiosk-\xc3\xa9")}) {
    SCOPED_TRACE(absl::CEscape(id));
    EXPECT_EQ(JoinOutcome(stack(), acceptor, id), "error:INVALID_MESSAGE close:1007");
    WsClient& c = Connect();
    c.Send(JoinOfferer(offerer, id));
    EXPECT_EQ(KindOf(c.Read()), "error:INVALID_MESSAGE");
    EXPECT_EQ(CodeText(c.WaitClose()), "1007");
  }
  // 128 characters of the whole alphabet is fine.
  std::string longest = "AZaz09._~:@-";
  while (longest.size() < 128) longest += 'k';
  EXPECT_EQ(JoinOutcome(stack(), acceptor, longest), "joined");
}

}  // namespace
}  // namespace signaling::testing
