// EncodeServerJson's fast path against protobuf's JSON printer on the
// non-ASCII characters the printer escapes (C1 controls, soft hyphen,
// invisible and bidirectional format characters, the byte order mark): the
// relayed strings must reach a JSON peer byte for byte as protobuf writes
// them. Found by tests/fuzz/fuzz_proto_codec (an offer whose SDP carried
// U+009E).
#include <string>

#include "common/codec/codec.h"
#include "gtest/gtest.h"

namespace signaling::codec {
namespace {

TEST(EncodeServerJson, NonAsciiIsWrittenAsProtobufWritesIt) {
  for (const std::string text :
       {"\xc2\x80", "\xc2\x9e", "\xc2\x9f", "\xc2\xad", "\xe2\x80\x8b", "\xe2\x80\xa8",
        "\xe2\x80\xae", "\xef\xbb\xbf", "\xc3\xa9", "\xf0\x9f\x98\x80"}) {
    v1::ServerMessage offer;
    offer.mutable_offer()->set_sdp("v=0\r\na=x:" + text + "\r\n");
    v1::ServerMessage candidate;
    candidate.mutable_ice_candidate()->set_username_fragment(text);
    v1::ServerMessage paired;
    paired.mutable_paired()->mutable_peer()->set_subject(text);
    for (const v1::ServerMessage& message : {offer, candidate, paired}) {
      EXPECT_EQ(EncodeServerJson(message), internal::EncodeServerJsonGeneral(message))
          << message.ShortDebugString();
    }
  }
}

}  // namespace
}  // namespace signaling::codec
