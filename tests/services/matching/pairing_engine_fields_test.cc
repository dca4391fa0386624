// The field grammars on the pure engine: every field relayed or echoed to a
// peer is checked against its grammar (protocol v1 section 6; nonce and
// subject: docs/protocol.md section 9), not only its length: the
// candidate's sdpMid and usernameFragment, inline candidates, the ping
// nonce, the token subject; a protobuf client's unknown fields are not
// relayed, and refusals never echo the refused field. The same through the
// real stack: tests/hostile/field_grammar_test.cc.
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/unknown_field_set.h"
#include "tests/services/matching/pairing_engine_fixture.h"

namespace signaling::matching::testing_engine {
namespace {

using testing_fields::CandidateWith;
using testing_fields::HasUnknownFields;

// kOffer with a second (audio) section whose a=mid is "1".
constexpr char kTwoSectionOffer[] =
    "v=0\r\no=- 1 3 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=mid:0\r\na=sctp-port:5000\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=setup:actpass\r\na=mid:1\r\n"
    "a=rtpmap:111 opus/48000/2\r\n";

v1::ClientMessage PingWith(const std::string& nonce) {
  v1::ClientMessage m;
  m.mutable_ping()->set_nonce(nonce);
  return m;
}

std::vector<std::string> BadSdpMids() {
  return {"<script>", "0\r\n", std::string("0\0", 2), "a b",        "\"0\"",
          "0\\",      "",      std::string(33, 'm'),  "caf\xc3\xa9"};
}

std::vector<std::string> BadUsernameFragments() {
  return {"<b>EsAw", "EsAw\r\n", std::string("Es\0Aw", 5), "Es Aw",      "Es-Aw",
          "abc",     "",         std::string(257, 'u'),    "Es\xc3\xa9w"};
}

// Before any description the mids are unknown: only the grammar applies.
TEST_F(EngineTest, SdpMidOutsideTheIdentificationTagGrammarIsInvalidCandidateAndNotRelayed) {
  auto [a, b] = PairUp();
  for (const std::string& mid : BadSdpMids()) {
    outcomes_[b].messages.clear();
    Send(b, CandidateWith(mid, std::nullopt));
    EXPECT_EQ(Kinds(b), "error:INVALID_CANDIDATE") << "sdpMid " << absl::CEscape(mid);
    now_ += absl::Seconds(1);
  }
  EXPECT_EQ(Kinds(a), "joined paired") << "nothing was relayed";
  EXPECT_FALSE(CloseCode(b).has_value());
  // Every token character is an identification-tag character.
  for (const std::string& mid :
       {std::string("0"), std::string("!#$%&'*+-.^_`{|}~"), std::string(32, 'm')}) {
    Send(b, CandidateWith(mid, std::nullopt));
    ASSERT_EQ(outcomes_[a].messages.back().ice_candidate().sdp_mid(), mid);
  }
  EXPECT_EQ(Kinds(a), "joined paired iceCandidate iceCandidate iceCandidate");
}

TEST_F(EngineTest, UsernameFragmentOutsideIceCharsIsInvalidCandidateAndNotRelayed) {
  auto [a, b] = PairUp();
  for (const std::string& ufrag : BadUsernameFragments()) {
    outcomes_[b].messages.clear();
    Send(b, CandidateWith("0", 0, ufrag));
    EXPECT_EQ(Kinds(b), "error:INVALID_CANDIDATE") << "usernameFragment " << absl::CEscape(ufrag);
    now_ += absl::Seconds(1);
  }
  EXPECT_EQ(Kinds(a), "joined paired") << "nothing was relayed";
  for (const std::string& ufrag :
       {std::string("EsAw"), std::string("a+b/"), std::string(256, 'u')}) {
    Send(b, CandidateWith("0", 0, ufrag));
    ASSERT_EQ(outcomes_[a].messages.back().ice_candidate().username_fragment(), ufrag);
  }
  EXPECT_EQ(Kinds(a), "joined paired iceCandidate iceCandidate iceCandidate");
}

// Once a description is known, an sdpMid must name one of its a=mid values,
// on both sides of the pairing; a renegotiation replaces the set.
TEST_F(EngineTest, SdpMidMustNameAnAMidOfTheLastDescription) {
  auto [a, b] = PairUp();
  Send(b, OfferMsg());
  Send(a, AnswerMsg());
  Send(b, CandidateWith("1", std::nullopt));
  Send(a, CandidateWith("1", std::nullopt));
  Send(b, CandidateWith("audio", std::nullopt));
  EXPECT_EQ(Kinds(b), "joined paired answer error:INVALID_CANDIDATE error:INVALID_CANDIDATE");
  EXPECT_EQ(Kinds(a), "joined paired offer error:INVALID_CANDIDATE");
  Send(b, CandidateWith("0", 0));
  Send(a, CandidateWith("0", 0));
  EXPECT_EQ(Kinds(a), "joined paired offer error:INVALID_CANDIDATE iceCandidate");
  EXPECT_EQ(Kinds(b),
            "joined paired answer error:INVALID_CANDIDATE error:INVALID_CANDIDATE iceCandidate");

  Send(b, OfferMsg(kTwoSectionOffer));  // renegotiation: mids 0 and 1
  Send(b, CandidateWith("1", 1));
  Send(a, CandidateWith("1", 1));
  EXPECT_EQ(Kinds(a),
            "joined paired offer error:INVALID_CANDIDATE iceCandidate offer iceCandidate");
  EXPECT_EQ(outcomes_[a].messages.back().ice_candidate().sdp_mid(), "1");
  EXPECT_EQ(outcomes_[b].messages.back().ice_candidate().sdp_mid(), "1");
  Send(b, CandidateWith("2", std::nullopt));
  Send(b, CandidateWith(std::nullopt, 2));  // only two m-sections now
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  EXPECT_EQ(outcomes_[b].messages[outcomes_[b].messages.size() - 2].error().code(),
            v1::Error::INVALID_CANDIDATE);
}

// A description whose inline sdpMid values are checked against its own mids;
// a refused one leaves the known mids and section count as they were.
TEST_F(EngineTest, InlineCandidatesAreCheckedAgainstTheirOwnDescription) {
  auto [a, b] = PairUp();
  auto offer_with = [](const std::string& sdp, std::optional<std::string> mid,
                       std::optional<uint32_t> index, std::optional<std::string> ufrag) {
    v1::ClientMessage m = OfferMsg(sdp);
    *m.mutable_offer()->add_ice_candidates() = CandidateWith(mid, index, ufrag).ice_candidate();
    return m;
  };
  Send(b, offer_with(kOffer, "1", 0, std::nullopt));         // not an a=mid of the offer
  Send(b, offer_with(kOffer, "<script>", 0, std::nullopt));  // not an identification-tag
  Send(b, offer_with(kOffer, "0", 0, "Es\r\nAw"));           // not ice-chars
  Send(b, offer_with(kOffer, "0", 1, std::nullopt));         // one m-section only
  EXPECT_EQ(Kinds(b),
            "joined paired error:INVALID_CANDIDATE error:INVALID_CANDIDATE "
            "error:INVALID_CANDIDATE error:INVALID_CANDIDATE");
  EXPECT_EQ(Kinds(a), "joined paired");
  Send(b, offer_with(kOffer, "0", 0, "EsAw"));
  ASSERT_EQ(Kinds(a), "joined paired offer");
  EXPECT_EQ(outcomes_[a].messages.back().offer().ice_candidates(0).sdp_mid(), "0");

  // The answer's inline candidates too.
  v1::ClientMessage answer = AnswerMsg();
  *answer.mutable_answer()->add_ice_candidates() = CandidateWith("1", 0).ice_candidate();
  Send(a, answer);
  EXPECT_EQ(outcomes_[a].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  Send(a, AnswerMsg());
  ASSERT_TRUE(outcomes_[b].messages.back().has_answer());

  // A refused two-section offer does not make mid "1" or index 1 known.
  Send(b, offer_with(kTwoSectionOffer, "1", 1, "bad ufrag"));
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  Send(b, CandidateWith("1", std::nullopt));
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  Send(b, CandidateWith(std::nullopt, 1));
  EXPECT_EQ(outcomes_[b].messages.back().error().code(), v1::Error::INVALID_CANDIDATE);
  EXPECT_EQ(Kinds(a), "joined paired offer error:INVALID_CANDIDATE") << "nothing more relayed";
}

// The nonce is echoed in pong: 0-64 of A-Z a-z 0-9 - . _ ~ : + / =.
TEST_F(EngineTest, PingNonceOutsideItsGrammarIsInvalidMessageNotFatalAndNotEchoed) {
  auto [a, b] = PairUp();
  for (const std::string& nonce :
       {std::string("<script>"), std::string("a\r\nb"), std::string("a\0b", 3), std::string("a b"),
        std::string("\"n\""), std::string("n\\"), std::string("n'"), std::string(65, 'n'),
        std::string("caf\xc3\xa9"), std::string("n\x7f")}) {
    outcomes_[a].messages.clear();
    Send(a, PingWith(nonce));
    EXPECT_EQ(Kinds(a), "error:INVALID_MESSAGE") << "nonce " << absl::CEscape(nonce);
    now_ += absl::Seconds(1);
  }
  EXPECT_FALSE(CloseCode(a).has_value());
  for (const std::string& nonce :
       {std::string(), std::string("n-1"), std::string("550e8400-e29b-41d4-a716-446655440000"),
        std::string("dGVzdA=="), std::string("a_b.c~d:e+f/g"), std::string(64, 'n')}) {
    outcomes_[a].messages.clear();
    Send(a, PingWith(nonce));
    ASSERT_EQ(Kinds(a), "pong") << "nonce " << nonce;
    EXPECT_EQ(outcomes_[a].messages[0].pong().nonce(), nonce);
  }
  EXPECT_EQ(Kinds(b), "joined paired");
}

// The subject comes from the verifier (which an operator may replace) and is
// relayed in `paired`: 1-256 of visible ASCII except " \ < > `.
TEST_F(EngineTest, SubjectOutsideItsGrammarIsRefusedAtJoinAndNeverRelayed) {
  AddToken("A", "kiosk-owner", {"kiosk-*"}, {});
  const SessionKey a = JoinAcceptor("A", "kiosk-7");
  int n = 0;
  for (const std::string& subject :
       {std::string("user\r\n42"), std::string("<img src=x onerror=alert(1)>"),
        std::string("a\0b", 3), std::string("\"quoted\""), std::string("back\\slash"),
        std::string("has space"), std::string("tick`"), std::string(257, 's'),
        std::string("caf\xc3\xa9"), std::string("del\x7f")}) {
    const std::string token = absl::StrCat("bad-", n++);
    AddToken(token, subject, {"kiosk-*"}, {"kiosk-*"});
    const SessionKey offerer = JoinOfferer(token, "kiosk-7");
    EXPECT_EQ(Kinds(offerer), "error:UNAUTHENTICATED") << "subject " << absl::CEscape(subject);
    EXPECT_EQ(CloseCode(offerer), 4001u);
    const SessionKey acceptor = JoinAcceptor(token, "kiosk-8");
    EXPECT_EQ(Kinds(acceptor), "error:UNAUTHENTICATED") << "subject " << absl::CEscape(subject);
    EXPECT_EQ(CloseCode(acceptor), 4001u);
  }
  EXPECT_EQ(Kinds(a), "joined") << "no offerer with a bad subject was paired";
  for (const std::string& subject :
       {std::string("auth0|5f7c8ec7c33c6c004bbafe82"), std::string("alice+x@example.com"),
        std::string("https://id.example.com/users/1?v=2#k"), std::string(256, 's')}) {
    const std::string token = absl::StrCat("good-", n++);
    AddToken(token, subject, {}, {"kiosk-*"});
    const SessionKey offerer = JoinOfferer(token, "kiosk-7");
    ASSERT_EQ(Kinds(offerer), "joined paired") << subject;
    EXPECT_EQ(outcomes_[a].messages.back().paired().peer().subject(), subject);
    Send(offerer, LeaveMsg());
  }
  Apply(engine_.OnTransportClosed(a, now_));
  ExpectEmpty();
}

// A protobuf client's unknown fields (kept by the parser) never reach the
// peer: the relayed offer, its candidates and trickled candidates carry
// only the schema's fields.
TEST_F(EngineTest, UnknownFieldsAreNotRelayed) {
  auto [a, b] = PairUp();
  v1::ClientMessage offer = OfferMsg();
  auto* inline_candidate = offer.mutable_offer()->add_ice_candidates();
  *inline_candidate = CandidateWith("0", 0).ice_candidate();
  offer.mutable_offer()
      ->GetReflection()
      ->MutableUnknownFields(offer.mutable_offer())
      ->AddLengthDelimited(99, "<script>alert(1)</script>");
  inline_candidate->GetReflection()->MutableUnknownFields(inline_candidate)->AddVarint(77, 1);
  ASSERT_TRUE(HasUnknownFields(offer));
  Send(b, offer);
  v1::ClientMessage candidate = CandidateWith("0", 0);
  candidate.mutable_ice_candidate()
      ->GetReflection()
      ->MutableUnknownFields(candidate.mutable_ice_candidate())
      ->AddLengthDelimited(5, std::string("\0\r\n", 3));
  Send(b, candidate);
  ASSERT_EQ(Kinds(a), "joined paired offer iceCandidate");
  for (const v1::ServerMessage& m : outcomes_[a].messages) {
    EXPECT_FALSE(HasUnknownFields(m)) << m.DebugString();
  }
  EXPECT_EQ(outcomes_[a].messages[2].offer().sdp(), kOffer);
  EXPECT_EQ(outcomes_[a].messages[2].offer().ice_candidates_size(), 1);
}

TEST_F(EngineTest, RefusalMessagesNeverEchoTheRefusedField) {
  auto [a, b] = PairUp();
  Send(b, CandidateWith("<SECRET>", std::nullopt));
  Send(b, CandidateWith("0", 0, "<SECRET>"));
  Send(b, PingWith("<SECRET>"));
  ASSERT_EQ(Kinds(b),
            "joined paired error:INVALID_CANDIDATE error:INVALID_CANDIDATE error:INVALID_MESSAGE");
  for (const v1::ServerMessage& m : outcomes_[b].messages) {
    EXPECT_EQ(m.error().message().find("SECRET"), std::string::npos) << m.error().message();
  }
}

}  // namespace
}  // namespace signaling::matching::testing_engine
