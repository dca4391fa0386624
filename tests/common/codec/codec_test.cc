// The JSON and protobuf codecs of protocol v1: shapes of section 3 (an
// unknown kind decodes to a message without a kind, for the engine to
// refuse without closing), and the refusals of section 6 (malformed, nested,
// several kinds).
#include "common/codec/codec.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace signaling::codec {
namespace {

TEST(DecodeClientJson, JoinWithAllFields) {
  auto m = DecodeClientJson(
      R"({"join":{"sessionToken":"t","role":"OFFERER","targetId":"kiosk-7","waitMs":1500}})");
  ASSERT_TRUE(m.ok()) << m.status();
  ASSERT_EQ(m->kind_case(), v1::ClientMessage::kJoin);
  EXPECT_EQ(m->join().session_token(), "t");
  EXPECT_EQ(m->join().role(), v1::OFFERER);
  EXPECT_EQ(m->join().target_id(), "kiosk-7");
  EXPECT_EQ(m->join().wait_ms(), 1500u);
}

TEST(DecodeClientJson, CandidateFieldsUseBrowserNames) {
  auto m = DecodeClientJson(
      R"({"iceCandidate":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}})");
  ASSERT_TRUE(m.ok()) << m.status();
  const auto& c = m->ice_candidate();
  EXPECT_EQ(c.sdp_mid(), "0");
  ASSERT_TRUE(c.has_sdp_m_line_index());
  EXPECT_EQ(c.sdp_m_line_index(), 0u);
  EXPECT_EQ(c.username_fragment(), "abcd");
}

TEST(DecodeClientJson, OfferWithInlineCandidates) {
  auto m = DecodeClientJson(
      R"({"offer":{"sdp":"v=0\r\n","iceCandidates":[{"candidate":"","sdpMid":"0"}]}})");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->offer().sdp(), "v=0\r\n");
  EXPECT_EQ(m->offer().ice_candidates_size(), 1);
}

TEST(DecodeClientJson, EmptyKindsAndUnknownFieldsInside) {
  EXPECT_EQ(DecodeClientJson(R"({"leave":{}})")->kind_case(), v1::ClientMessage::kLeave);
  EXPECT_EQ(DecodeClientJson(R"({"ping":{"nonce":"n","extra":[1,2]}})")->ping().nonce(), "n");
}

TEST(DecodeClientJson, Refusals) {
  const char* bad[] = {
      "",
      "{",
      "[]",
      "\"join\"",
      "{}",
      R"({"join":{},"leave":{}})",
      R"({"bogus":{},"join":{}})",
      R"({"bogus":5})",
      R"({"bogus":null})",
      R"({"bogus":[]})",
      R"({"bogus":"x"})",
      R"({"bogus":{})",
      R"({"bogus":{}} trailing)",
      R"({"join":{"waitMs":"soon"}})",
      R"({"join":{"waitMs":1e400}})",
      R"({"join":{"waitMs":99999999999999999999999}})",
      R"({"iceCandidate":{"sdpMLineIndex":-1}})",
      R"({"offer":{"sdp":5}})",
      R"({"leave":{}} trailing)",
  };
  for (const char* input : bad) {
    EXPECT_FALSE(DecodeClientJson(input).ok()) << input;
  }
}

// Contract section 3: a well-formed message of a kind this server does not
// know (a newer client's) is not malformed; it decodes to a message with no
// kind set, which the engine answers with a non-fatal INVALID_MESSAGE.
TEST(DecodeClientJson, UnknownKindDecodesToNoKind) {
  for (const char* input : {
           R"({"bogus":{}})",
           R"({"resume":{"resumeToken":"r","sessionToken":"t"}})",
           R"( { "futureKind" : { "a" : [ 1, { "b" : null } ], "c" : true } } )",
       }) {
    auto m = DecodeClientJson(input);
    ASSERT_TRUE(m.ok()) << input << ": " << m.status();
    EXPECT_EQ(m->kind_case(), v1::ClientMessage::KIND_NOT_SET) << input;
    EXPECT_EQ(m->ByteSizeLong(), 0u) << input;  // nothing of it is kept
  }
}

TEST(DecodeClientJson, UnknownKindIsStillBoundedAndChecked) {
  std::string deep = R"({"bogus":)";
  for (int i = 0; i < 100; ++i) deep += R"({"a":)";
  deep += "1";
  for (int i = 0; i < 100; ++i) deep += "}";
  deep += "}";
  auto result = DecodeClientJson(deep);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "JSON nested too deeply");
  EXPECT_FALSE(DecodeClientJson("{\"bogus\":{\"a\":\"\xc3\"}}").ok());  // invalid UTF-8
}

TEST(DecodeClientJson, UnknownEnumNameLeavesRoleUnsetForTheEngineToRefuse) {
  auto m = DecodeClientJson(R"({"join":{"role":"KING","peerId":"a"}})");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->join().role(), v1::ROLE_UNSPECIFIED);
}

TEST(DecodeClientJson, NulByteAndDeepNestingRefused) {
  std::string with_nul = R"({"leave":{}})";
  with_nul.insert(3, 1, '\0');
  EXPECT_FALSE(DecodeClientJson(with_nul).ok());

  std::string deep = R"({"ping":)";
  for (int i = 0; i < 10000; ++i) deep += R"({"a":)";
  deep += "1";
  for (int i = 0; i < 10000; ++i) deep += "}";
  deep += "}";
  auto result = DecodeClientJson(deep);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(), "JSON nested too deeply");
}

TEST(EncodeServerJson, MatchesTheContractShapes) {
  v1::ServerMessage joined;
  joined.mutable_joined()->set_session_id("s_1");
  joined.mutable_joined()->set_role(v1::ACCEPTOR);
  joined.mutable_joined()->set_peer_id("kiosk-7");
  EXPECT_EQ(EncodeServerJson(joined),
            R"({"joined":{"sessionId":"s_1","role":"ACCEPTOR","peerId":"kiosk-7"}})");

  v1::ServerMessage left;
  left.mutable_peer_left()->set_reason(v1::PeerLeft::DISCONNECTED);
  EXPECT_EQ(EncodeServerJson(left), R"({"peerLeft":{"reason":"DISCONNECTED"}})");

  v1::ServerMessage error;
  error.mutable_error()->set_code(v1::Error::PEER_BUSY);
  error.mutable_error()->set_message("busy");
  EXPECT_EQ(EncodeServerJson(error), R"({"error":{"code":"PEER_BUSY","message":"busy"}})");

  v1::ServerMessage candidate;
  candidate.mutable_ice_candidate()->set_candidate("");
  candidate.mutable_ice_candidate()->set_sdp_m_line_index(0);
  EXPECT_EQ(EncodeServerJson(candidate), R"({"iceCandidate":{"sdpMLineIndex":0}})");
}

TEST(Codec, JsonAndProtoRoundTripAgree) {
  auto from_json = DecodeClientJson(
      R"({"answer":{"sdp":"v=0\r\n","iceCandidates":[{"candidate":"c","sdpMLineIndex":2}]}})");
  ASSERT_TRUE(from_json.ok());
  auto from_proto = DecodeClientProto(from_json->SerializeAsString());
  ASSERT_TRUE(from_proto.ok());
  EXPECT_EQ(from_proto->SerializeAsString(), from_json->SerializeAsString());
  EXPECT_EQ(
      EncodeClientJson(*from_proto),
      R"({"answer":{"sdp":"v=0\r\n","iceCandidates":[{"candidate":"c","sdpMLineIndex":2}]}})");
}

// The fast path (canonical form) and protobuf's JSON parser agree, on what
// the fast path takes and on what it leaves to the general path.
TEST(DecodeClientJson, FastPathAgreesWithTheGeneralParser) {
  const char* inputs[] = {
      R"({"iceCandidate":{"candidate":"candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host","sdpMid":"0","sdpMLineIndex":0,"usernameFragment":"abcd"}})",
      R"({"iceCandidate":{"candidate":"","sdpMid":""}})",
      R"({"iceCandidate":{}})",
      R"( { "offer" : { "sdp" : "v=0\r\n\u00e9\u20ac\/\"\\\b\f\t" , "iceCandidates" : [ ] } } )",
      R"({"answer":{"sdp":"v=0\r\n","iceCandidates":[{"candidate":"c","sdpMLineIndex":4294967295},{"sdpMid":"1"}]}})",
      R"({"join":{"sessionToken":"t","role":"ACCEPTOR","peerId":"kiosk-7"}})",
      R"({"join":{"role":"ROLE_UNSPECIFIED","waitMs":0}})",
      R"({"join":{"role":"KING"}})",
      R"({"join":{"role":1}})",
      R"({"join":{"session_token":"snake"}})",
      R"({"join":{"waitMs":"15"}})",
      R"({"join":{"waitMs":1.0}})",
      R"({"join":{"waitMs":1e3}})",
      R"({"join":{"waitMs":01}})",
      R"({"join":{"waitMs":4294967296}})",
      R"({"join":{"peerId":"a","peerId":"b"}})",
      R"({"join":{"peerId":null}})",
      R"({"leave":{}})",
      R"({"leave":{"x":1}})",
      R"({"leave":null})",
      R"({"ping":{"nonce":"n"}})",
      R"({"ping":{}})",
      R"({"refresh":{"sessionToken":"t"}})",
      R"({"iceCandidate":{"candidate":"\ud83d\ude00"}})",
      R"({"iceCandidate":{"candidate":"\u0000"}})",
      "{\"iceCandidate\":{\"candidate\":\"\xc3\xa9\xf0\x9f\x98\x80\"}}",
      "{\"iceCandidate\":{\"candidate\":\"\xc3\"}}",
      "{\"iceCandidate\":{\"candidate\":\"\xed\xa0\x80\"}}",
      "{\"iceCandidate\":{\"candidate\":\"a\tb\"}}",
      R"({"iceCandidate":{"candidate":"x"}} )",
      R"({"iceCandidate":{"candidate":"x"}},)",
      R"({"iceCandidate":{"candidate":"x",}})",
      R"({"offer":{"iceCandidates":[{"candidate":"a"},]}})",
      R"({"offer":{"iceCandidates":[1]}})",
      R"({"bogus":{}})",
      R"({"bogus":{"sdp":"x"}})",
      R"({"ice_candidate":{"candidate":"x"}})",
  };
  for (const char* input : inputs) {
    auto fast = DecodeClientJson(input);
    auto general = internal::DecodeClientJsonGeneral(input);
    ASSERT_EQ(fast.ok(), general.ok()) << input;
    if (fast.ok()) {
      EXPECT_EQ(fast->SerializeAsString(), general->SerializeAsString()) << input;
      EXPECT_EQ(fast->DebugString(), general->DebugString()) << input;
    }
  }
}

TEST(EncodeServerJson, FastPathWritesWhatProtobufWrites) {
  std::vector<v1::ServerMessage> messages(12);
  messages[0].mutable_ice_candidate()->set_candidate("candidate:1 1 udp 1 192.0.2.1 1 typ host");
  messages[0].mutable_ice_candidate()->set_sdp_mid("");
  messages[0].mutable_ice_candidate()->set_sdp_m_line_index(0);
  messages[0].mutable_ice_candidate()->set_username_fragment("u<>&\"\\\x7f\x01\n\xc3\xa9");
  auto* offer = messages[1].mutable_offer();
  offer->set_sdp("v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\n");
  offer->add_ice_candidates()->set_candidate("c");
  offer->add_ice_candidates()->set_sdp_m_line_index(3);
  messages[2].mutable_answer()->set_sdp("v=0\r\n");
  messages[3].mutable_joined()->set_session_id("s_1");
  messages[3].mutable_joined()->set_role(v1::OFFERER);
  messages[3].mutable_joined()->set_target_id("kiosk-7");
  messages[4].mutable_paired()->mutable_peer()->set_subject("alice");
  messages[5].mutable_paired();
  messages[6].mutable_peer_left()->set_reason(v1::PeerLeft::TIMEOUT);
  messages[7].mutable_error()->set_code(v1::Error::RATE_LIMITED);
  messages[7].mutable_error()->set_message("slow down");
  messages[8].mutable_go_away()->set_reconnect_after_ms(1000);
  messages[9].mutable_pong()->set_nonce("");
  messages[10].mutable_pong();
  messages[11].mutable_joined()->set_role(static_cast<v1::Role>(7));  // no name
  for (const auto& message : messages) {
    EXPECT_EQ(EncodeServerJson(message), internal::EncodeServerJsonGeneral(message))
        << message.DebugString();
  }
  EXPECT_EQ(EncodeServerJson(v1::ServerMessage()), "{}");
}

TEST(DecodeClientProto, RefusesGarbage) {
  EXPECT_FALSE(DecodeClientProto("\xff\xff\xff").ok());
  EXPECT_FALSE(DecodeClientProto(std::string("\x0a\x05\x0a", 3)).ok());  // truncated join
}

// The protobuf form of an unknown kind: a ClientMessage with no kind set
// (empty, or only fields this server does not know) is well-formed.
TEST(DecodeClientProto, NoKindOrOnlyUnknownFieldsDecodesToNoKind) {
  // Field 99 (a kind of a newer version), length-delimited, holding field 1.
  const std::string unknown_kind("\x9a\x06\x02\x08\x01", 5);
  for (const std::string& bytes : {std::string(), unknown_kind}) {
    auto m = DecodeClientProto(bytes);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_EQ(m->kind_case(), v1::ClientMessage::KIND_NOT_SET);
    EXPECT_EQ(m->ByteSizeLong(), 0u);  // the unknown bytes are not passed on
  }
}

}  // namespace
}  // namespace signaling::codec
