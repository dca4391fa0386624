// Bad SDP and bad ICE candidates between paired clients of the real stack:
// grammar, sizes, kinds, candidate fields and counts. Each gets
// INVALID_SDP, INVALID_CANDIDATE or RESOURCE_EXHAUSTED, is not fatal and is
// never relayed to the peer (protocol-v1 section 6); what is valid is
// relayed byte for byte.
#include <cstdint>
#include <string>
#include <tuple>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/codec/codec.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_fixture.h"

namespace signaling::testing {
namespace {

// ===========================================================================
// SDP (paired): INVALID_SDP, not fatal.

std::string OutOfOrder() {
  // o= before v=.
  std::string s = kTestOffer;
  s = Replace(s, "v=0\r\n", "");
  const size_t pos = s.find("s=-\r\n");
  s.insert(pos, "v=0\r\n");
  return s;
}

class HostileSdpTest : public HostileTest,
                       public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

INSTANTIATE_TEST_SUITE_P(
    Sdp, HostileSdpTest,
    ::testing::Values(
        std::make_pair("BareM", Replace(kTestOffer, "t=0 0\r\n", "t=0 0\r\nm\r\n")),
        std::make_pair("BareA", Replace(kTestOffer, "a=mid:0\r\n", "a\r\na=mid:0\r\n")),
        std::make_pair("AttributeWithoutValue",
                       Replace(kTestOffer, "a=mid:0\r\n", "a=\r\na=mid:0\r\n")),
        std::make_pair("NulInValue", Replace(kTestOffer, "a=ice-ufrag:Xk9f",
                                             std::string("a=ice-ufrag:Xk\0f", 16))),
        std::make_pair(
            "PayloadType2To32",
            Replace(kTestOffer, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                    "m=audio 9 UDP/TLS/RTP/SAVPF 4294967296\r\na=rtpmap:4294967296 opus/48000/2")),
        std::make_pair("OutOfOrder", OutOfOrder()),
        std::make_pair("CrOnlyLineEnds", Replace(kTestOffer, "\r\n", "\r")),
        std::make_pair("Empty", std::string()),
        std::make_pair("AnswerAsOffer", std::string(kTestAnswer)),
        std::make_pair("NoMediaSection",
                       std::string(kTestOffer).substr(0, std::string(kTestOffer).find("m=")))),
    [](const auto& info) { return std::string(info.param.first); });

TEST_P(HostileSdpTest, IsInvalidSdpAndNotFatal) {
  auto [a, b] = Pair();
  b->Send(Offer(GetParam().second));
  ExpectNonFatal(*b, "error:INVALID_SDP");
  // Nothing was relayed to the acceptor.
  EXPECT_EQ(KindOf(a->Read(absl::Milliseconds(200))), "<no message>");
}

TEST_F(HostileTest, SdpWith100KiBBundleLineHitsTheMessageLimit1009) {
  // 100 KiB of SDP is over the 64 KiB WebSocket message limit, which the
  // gateway enforces before the SDP limits (32 KiB, 4 KiB a line) are ever
  // consulted: the result is close 1009, and the acceptor sees the offerer
  // disconnect. The offerer is raw so the close frame is read while the
  // oversized message is still being written.
  WsClient& a = Connect();
  a.Send(JoinAcceptor(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf(a.Read()), "joined");
  Raw b(port());
  ASSERT_EQ(RawJoin(b, JoinJson(stack().Token("user-42", {}, {"kiosk-*"}), "OFFERER", "kiosk-7")),
            "joined");
  ASSERT_EQ(KindOf(a.Read()), "paired");
  std::string group = "a=group:BUNDLE";
  while (group.size() < 100 * 1024) group += " 0";
  nlohmann::json offer = {{"offer", {{"sdp", Replace(kTestOffer, "a=group:BUNDLE 0", group)}}}};
  EXPECT_EQ(CodeText(b.BlastAndWaitClose(BuildFrame(0x1, offer.dump()))), "1009");
  EXPECT_EQ(KindOf(a.Read()), "peerLeft:DISCONNECTED");
}

TEST_F(HostileTest, SdpWith30KiBBundleLineIsInvalidSdp) {
  // Under the message limit, a line over 4 KiB is an SDP-level refusal.
  auto [a, b] = Pair();
  std::string group = "a=group:BUNDLE";
  while (group.size() < 30 * 1024) group += " 0";
  b->Send(Offer(Replace(kTestOffer, "a=group:BUNDLE 0", group)));
  ExpectNonFatal(*b, "error:INVALID_SDP");
}

TEST_F(HostileTest, ThreeHundredAttributesInOneSectionAreRelayed) {
  auto [a, b] = Pair();
  std::string extra;
  for (int i = 0; i < 300; ++i) absl::StrAppend(&extra, "a=x-hostile-", i, ":value", i, "\r\n");
  const std::string sdp = std::string(kTestOffer) + extra;
  b->Send(Offer(sdp));
  auto got = a->Read();
  ASSERT_EQ(KindOf(got), "offer");
  EXPECT_EQ(got->offer().sdp(), sdp);
}

TEST_F(HostileTest, SdpOver32KiBIsInvalidSdp) {
  // Short lines (under the 4 KiB line limit), 40 KiB in all: under the 64 KiB
  // message limit, over the 32 KiB SDP limit.
  auto [a, b] = Pair();
  std::string sdp = kTestOffer;
  for (int i = 0; sdp.size() < 40 * 1024; ++i)
    absl::StrAppend(&sdp, "a=x-pad-", i, ":", std::string(40, 'p'), "\r\n");
  ASSERT_LT(codec::EncodeClientJson(Offer(sdp)).size(), 64u * 1024);
  b->Send(Offer(sdp));
  ExpectNonFatal(*b, "error:INVALID_SDP");
  EXPECT_EQ(KindOf(a->Read(absl::Milliseconds(200))), "<no message>");
}

TEST_F(HostileTest, OfferSdpSentAsAnswerIsInvalidSdp) {
  // a=setup:actpass in an answer (section 9: an answer is active or passive).
  auto [a, b] = Pair();
  b->Send(Offer(kTestOffer));
  ASSERT_EQ(KindOf(a->Read()), "offer");
  a->Send(Answer(kTestOffer));
  ExpectNonFatal(*a, "error:INVALID_SDP");
  EXPECT_EQ(KindOf(b->Read(absl::Milliseconds(200))), "<no message>");
}

// ===========================================================================
// Candidates (paired, after a 1-section offer/answer): INVALID_CANDIDATE.

std::string Extensions(int n) {
  std::string c = kCandidate;
  for (int i = 0; i < n; ++i) absl::StrAppend(&c, " x", i, " y");
  return c;
}

class HostileCandidateTest
    : public HostileTest,
      public ::testing::WithParamInterface<std::tuple<const char*, std::string, uint32_t>> {};

INSTANTIATE_TEST_SUITE_P(
    Candidates, HostileCandidateTest,
    ::testing::Values(
        std::make_tuple("Foundation33",
                        "candidate:" + std::string(33, 'f') +
                            " 1 udp 2122260223 192.0.2.10 54400 typ host",
                        0u),
        std::make_tuple("Component0",
                        std::string("candidate:1 0 udp 2122260223 192.0.2.10 54400 typ host"), 0u),
        std::make_tuple("Component257",
                        std::string("candidate:1 257 udp 2122260223 192.0.2.10 54400 typ host"),
                        0u),
        std::make_tuple("Priority2To32",
                        std::string("candidate:1 1 udp 4294967296 192.0.2.10 54400 typ host"), 0u),
        std::make_tuple("Port70000",
                        std::string("candidate:1 1 udp 2122260223 192.0.2.10 70000 typ host"), 0u),
        std::make_tuple(
            "RaddrWithoutRport",
            std::string("candidate:1 1 udp 1677729535 198.51.100.7 61000 typ srflx raddr 0.0.0.0"),
            0u),
        std::make_tuple("ThousandsOfExtensions", Extensions(3000), 0u),
        std::make_tuple("Extensions33", Extensions(33), 0u),
        std::make_tuple("MLineIndex99", std::string(kCandidate), 99u),
        std::make_tuple("Over1KiB", std::string(kCandidate) + " ufrag " + std::string(1024, 'u'),
                        0u)),
    [](const auto& info) { return std::string(std::get<0>(info.param)); });

TEST_P(HostileCandidateTest, IsInvalidCandidateAndNotFatal) {
  auto [a, b] = Negotiated();
  b->Send(Candidate(std::get<1>(GetParam()), std::get<2>(GetParam())));
  ExpectNonFatal(*b, "error:INVALID_CANDIDATE");
  EXPECT_EQ(KindOf(a->Read(absl::Milliseconds(200))), "<no message>");
}

// ===========================================================================
// Candidate counts: 100 a message, 500 a session.

TEST(HostileLimits, CandidatesPerMessageAndPerSession) {
  // The rate limit raised so that 500 candidates go through at once; the
  // candidate limits keep their defaults (100 a message, 500 a session).
  Stack stack(StackOptions{.matching = [](matching::MatchingServerOptions& o) {
    o.limits.rate_per_second = 1e6;
    o.limits.rate_burst = 1e6;
  }});
  auto a = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(a.ok());
  (*a)->Send(JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf((*a)->Read()), "joined");
  auto b = WsClient::Connect(stack.gateway_port(), "signaling.v1.proto");
  ASSERT_TRUE(b.ok());
  (*b)->Send(JoinOfferer(stack.Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
  ASSERT_EQ(KindOf((*b)->Read()), "joined");
  ASSERT_EQ(KindOf((*a)->Read()), "paired");
  ASSERT_EQ(KindOf((*b)->Read()), "paired");
  auto offer_with = [](int n) {
    v1::ClientMessage m = Offer(kTestOffer);
    for (int i = 0; i < n; ++i) {
      auto* c = m.mutable_offer()->add_ice_candidates();
      c->set_candidate(kCandidate);
      c->set_sdp_mid("0");
      c->set_sdp_m_line_index(0);
    }
    return m;
  };
  (*b)->Send(offer_with(101));
  EXPECT_EQ(KindOf((*b)->Read()), "error:INVALID_CANDIDATE");
  (*b)->Send(offer_with(100));
  auto offer = (*a)->Read();
  ASSERT_EQ(KindOf(offer), "offer") << "the 101-candidate offer must not be relayed";
  EXPECT_EQ(offer->offer().ice_candidates_size(), 100);
  (*a)->Send(Answer(kTestAnswer));
  ASSERT_EQ(KindOf((*b)->Read()), "answer");
  for (int i = 0; i < 400; ++i) (*b)->Send(Candidate(kCandidate));
  for (int i = 0; i < 400; ++i) ASSERT_EQ(KindOf((*a)->Read()), "iceCandidate") << i;
  (*b)->Send(Candidate(kCandidate));  // the 501st of this session
  EXPECT_EQ(KindOf((*b)->Read()), "error:RESOURCE_EXHAUSTED");
  (*b)->Send(Ping("b"));
  EXPECT_EQ(KindOf((*b)->Read()), "pong") << "RESOURCE_EXHAUSTED is not fatal";
  (*a)->Send(Ping("a"));
  EXPECT_EQ(KindOf((*a)->Read()), "pong") << "the 501st candidate must not be relayed";
  (*a)->Send(Candidate(kCandidate));  // the acceptor's own count is separate
  EXPECT_EQ(KindOf((*b)->Read()), "iceCandidate");
  (*b)->Send(Leave());
  EXPECT_EQ(KindOf((*a)->Read()), "peerLeft:LEFT");
  EXPECT_EQ(CodeText((*b)->WaitClose()), "1000");
  (*a)->Close();
  ExpectHealthy(stack);
}

}  // namespace
}  // namespace signaling::testing
