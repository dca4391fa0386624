// Tests for ValidateSdp on what it refuses: the size, line, section and
// candidate limits at their bounds, and hostile descriptions, each refused
// with InvalidArgument and a reason that names the line but never echoes it.
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/sdp/sdp.h"
#include "gtest/gtest.h"
#include "tests/common/sdp/sdp_test_lines.h"

namespace signaling::sdp::testing_sdp {
namespace {

// ------------------------------------------------------------------ limits

TEST(ValidateSdpTest, ThreeHundredAttributesInOneSectionPass) {
  std::vector<std::string> lines = MinimalOfferLines();
  for (int i = 0; i < 300; ++i) {
    lines.push_back(absl::StrCat("a=ssrc:", 1000 + i, " cname:abcdEFGHijkl"));
  }
  const absl::StatusOr<SdpInfo> info = ValidateSdp(Sdp(lines), SdpType::kOffer, kDefaults);
  EXPECT_TRUE(info.ok()) << info.status();
}

// Pads a valid offer with attributes to exactly `size` bytes.
std::string OfferOfSize(size_t size) {
  std::string sdp = Sdp(MinimalOfferLines());
  const std::string line = "a=x-padding:0123456789abcdef0123456789abcdef\r\n";
  while (sdp.size() + line.size() <= size) sdp += line;
  const size_t rest = size - sdp.size();
  if (rest > 0) {
    EXPECT_GE(rest, 5u);  // "a=y\r\n" is the shortest line
    sdp += "a=" + std::string(rest - 4, 'y') + "\r\n";
  }
  EXPECT_EQ(sdp.size(), size);
  return sdp;
}

TEST(ValidateSdpTest, SizeLimitIsInclusive) {
  EXPECT_TRUE(Offer(OfferOfSize(kDefaults.max_bytes)).ok());
  const absl::Status status = Offer(OfferOfSize(kDefaults.max_bytes + 1));
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_NE(status.message().find("larger"), absl::string_view::npos);
}

TEST(ValidateSdpTest, HundredKibBundleLineIsRefused) {
  std::string bundle = "a=group:BUNDLE 0";
  for (int i = 1; bundle.size() < 100 * 1024; ++i) absl::StrAppend(&bundle, " ", i);
  const std::string sdp = Sdp(Replace(MinimalOfferLines(), "a=group:", bundle));
  EXPECT_TRUE(absl::IsInvalidArgument(Offer(sdp)));
  // The line limit refuses it on its own, even when the size limit would not.
  SdpLimits roomy;
  roomy.max_bytes = 1 << 20;
  const absl::Status status = Offer(sdp, roomy);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_NE(status.message().find("line 5"), absl::string_view::npos) << status;
}

TEST(ValidateSdpTest, LineCountLimit) {
  SdpLimits limits;
  limits.max_lines = 20;
  std::vector<std::string> lines = MinimalOfferLines();
  while (lines.size() < 20) lines.push_back("a=sendrecv");
  EXPECT_TRUE(Offer(Sdp(lines), limits).ok());
  lines.push_back("a=sendrecv");
  EXPECT_TRUE(absl::IsInvalidArgument(Offer(Sdp(lines), limits)));
}

TEST(ValidateSdpTest, MediaSectionLimit) {
  std::vector<std::string> lines = MinimalOfferLines();
  for (size_t i = 1; i < kDefaults.max_media_sections; ++i) {
    lines = Concat(lines, AudioSectionLines(absl::StrCat(i)));
  }
  const absl::StatusOr<SdpInfo> info = ValidateSdp(Sdp(lines), SdpType::kOffer, kDefaults);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(static_cast<size_t>(info->media_sections), kDefaults.max_media_sections);
  SdpLimits roomy = kDefaults;
  roomy.max_bytes = 1 << 20;
  lines = Concat(lines, AudioSectionLines("extra"));
  EXPECT_TRUE(absl::IsInvalidArgument(Offer(Sdp(lines), roomy)));
}

TEST(ValidateSdpTest, CandidateLimitsApplyInsideSdp) {
  SdpLimits limits;
  limits.candidate.max_extensions = 1;
  const std::string sdp =
      MinimalInserting(7,
                       "a=candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host "
                       "generation 0 network-id 1");
  EXPECT_TRUE(Offer(sdp).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(Offer(sdp, limits)));
}

// ---------------------------------------------------------------- hostile

struct HostileCase {
  const char* name;
  std::string sdp;
};

class HostileSdpTest : public testing::TestWithParam<HostileCase> {};

TEST_P(HostileSdpTest, IsRefusedWithInvalidArgument) {
  const absl::Status status = Offer(GetParam().sdp);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_EQ(status.message().find("SECRET"), absl::string_view::npos)
      << "the reason must not echo the input: " << status;
}

std::string MinimalWithAudio(absl::string_view prefix, std::string line) {
  return Sdp(Concat(MinimalOfferLines(), Replace(AudioSectionLines("1"), prefix, std::move(line))));
}

std::vector<HostileCase> HostileCases() {
  const std::string minimal = Sdp(MinimalOfferLines());
  std::vector<HostileCase> cases = {
      {"Empty", ""},
      {"OnlyVersion", "v=0\r\n"},
      {"NoMediaSection",
       Sdp({"v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "t=0 0", "a=group:BUNDLE"})},
      {"BareM", MinimalInserting(5, "m")},
      {"BareA", MinimalInserting(8, "a")},
      {"EmptyAttribute", MinimalInserting(8, "a=")},
      {"EmptyMediaLine", MinimalInserting(5, "m=")},
      {"EmptyAttributeValue", MinimalInserting(8, "a=ice-options:")},
      {"AttributeWithoutName", MinimalInserting(8, "a=:SECRET")},
      {"NulInValue", MinimalInserting(8, std::string("a=ice-options:tr\0ickle SECRET", 29))},
      {"ControlCharInValue", MinimalInserting(8, "a=ice-options:\x01SECRET")},
      {"DelInValue", MinimalInserting(8, "a=ice-options:\x7fSECRET")},
      {"CrInsideLine", MinimalInserting(8, "a=ice-options:a\rSECRET")},
      {"CrOnlyLineEnds", absl::StrReplaceAll(minimal, {{"\r\n", "\r"}})},
      {"LfCrLineEnds", absl::StrReplaceAll(minimal, {{"\r\n", "\n\r"}})},
      {"LastLineUnterminated", minimal.substr(0, minimal.size() - 2)},
      {"EmptyLine", MinimalInserting(4, "")},
      {"TrailingEmptyLine", minimal + "\r\n"},
      {"LeadingBom", "\xef\xbb\xbf" + minimal},
      {"UppercaseType", MinimalInserting(8, "A=SECRET")},
      {"UnknownType", MinimalInserting(8, "x=SECRET")},
      {"NoEquals", MinimalInserting(8, "aSECRET")},
      {"SpaceBeforeEquals", MinimalInserting(8, "a =SECRET")},
      {"VersionNotFirst",
       Sdp(Concat({"o=- 1 2 IN IP4 127.0.0.1", "v=0"}, {"s=-", "t=0 0", "m=audio 9 RTP/AVP 0"}))},
      {"Version1", MinimalWith("v=", "v=1")},
      {"VersionTwice", MinimalInserting(1, "v=0")},
      {"SessionNameBeforeOrigin",
       Sdp({"v=0", "s=-", "o=- 1 2 IN IP4 127.0.0.1", "t=0 0", "m=audio 9 RTP/AVP 0"})},
      {"MissingOrigin", Sdp({"v=0", "s=-", "t=0 0", "m=audio 9 RTP/AVP 0"})},
      {"MissingSessionName",
       Sdp({"v=0", "o=- 1 2 IN IP4 127.0.0.1", "t=0 0", "m=audio 9 RTP/AVP 0"})},
      {"MissingTiming", Sdp({"v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "m=audio 9 RTP/AVP 0"})},
      {"MediaBeforeTiming",
       Sdp({"v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "m=audio 9 RTP/AVP 0", "t=0 0"})},
      {"OriginTwice", MinimalInserting(2, "o=- 1 2 IN IP4 127.0.0.1")},
      {"SessionAttributeBeforeTiming", MinimalInserting(3, "a=sendrecv")},
      {"ConnectionAfterTiming", MinimalInserting(4, "c=IN IP4 0.0.0.0")},
      {"RepeatWithoutTiming", MinimalInserting(3, "r=604800 3600 0 90000")},
      {"OriginInMediaSection", MinimalInserting(7, "o=- 1 2 IN IP4 127.0.0.1")},
      {"TimingInMediaSection", MinimalInserting(7, "t=0 0")},
      {"ConnectionAfterAttributeInMedia", Sdp(Concat(MinimalOfferLines(), {"c=IN IP4 0.0.0.0"}))},
      {"InformationAfterConnectionInMedia", MinimalInserting(7, "i=SECRET")},
      {"TwoConnectionsAtSession", Sdp({"v=0", "o=- 1 2 IN IP4 127.0.0.1", "s=-", "c=IN IP4 0.0.0.0",
                                       "c=IN IP4 0.0.0.0", "t=0 0", "m=audio 9 RTP/AVP 0"})},
      {"OriginFiveFields", MinimalWith("o=", "o=- 1 2 IN IP4")},
      {"OriginSevenFields", MinimalWith("o=", "o=- 1 2 IN IP4 127.0.0.1 x")},
      {"OriginDoubleSpace", MinimalWith("o=", "o=-  1 2 IN IP4 127.0.0.1")},
      {"OriginNonNumericId", MinimalWith("o=", "o=- SECRET 2 IN IP4 127.0.0.1")},
      {"ConnectionTwoFields", MinimalWith("c=", "c=IN IP4")},
      {"BandwidthNotNumber", MinimalInserting(7, "b=AS:SECRET")},
      {"TimingOneField", MinimalWith("t=", "t=0")},
      {"MediaPort70000", MinimalWith("m=", "m=application 70000 UDP/DTLS/SCTP webrtc-datachannel")},
      {"MediaPortHuge", MinimalWith("m=",
                                    "m=application 99999999999999999999999 UDP/DTLS/SCTP "
                                    "webrtc-datachannel")},
      {"MediaPortNotNumber", MinimalWith("m=", "m=application x UDP/DTLS/SCTP webrtc-datachannel")},
      {"MediaPortCountZero",
       MinimalWith("m=", "m=application 9/0 UDP/DTLS/SCTP webrtc-datachannel")},
      {"MediaWithoutFormats", MinimalWith("m=", "m=application 9 UDP/DTLS/SCTP")},
      {"MediaTrailingSpace",
       MinimalWith("m=", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel ")},
      {"MediaBadProto", MinimalWith("m=", "m=application 9 UDP//SCTP x")},
      {"RtpFormatNotNumber", MinimalWithAudio("m=", "m=audio 9 RTP/AVP opus")},
      {"RtpFormat128", MinimalWithAudio("m=", "m=audio 9 UDP/TLS/RTP/SAVPF 128")},
      {"RtpFormat4294967296", MinimalWithAudio("m=", "m=audio 9 UDP/TLS/RTP/SAVPF 4294967296")},
      {"RtpmapPayloadType4294967296",
       MinimalWithAudio("a=rtpmap:111", "a=rtpmap:4294967296 opus/48000/2")},
      {"RtpmapPayloadType128", MinimalWithAudio("a=rtpmap:111", "a=rtpmap:128 opus/48000/2")},
      {"RtpmapPayloadTypeNegative", MinimalWithAudio("a=rtpmap:111", "a=rtpmap:-1 opus/48000/2")},
      {"RtpmapWithoutCodec", MinimalWithAudio("a=rtpmap:111", "a=rtpmap:111")},
      {"RtpmapWithoutRate", MinimalWithAudio("a=rtpmap:111", "a=rtpmap:111 opus")},
      {"FmtpPayloadType4294967296", MinimalWithAudio("a=fmtp:", "a=fmtp:4294967296 minptime=10")},
      {"FmtpWithoutParameters", MinimalWithAudio("a=fmtp:", "a=fmtp:111")},
      {"RtcpFbPayloadType4294967296", MinimalWithAudio("a=rtcp-fb:", "a=rtcp-fb:4294967296 nack")},
      {"SsrcOver32Bits", MinimalWithAudio("a=rtcp-mux", "a=ssrc:4294967296 cname:x")},
      {"SctpPort70000", MinimalWith("a=sctp-port:", "a=sctp-port:70000")},
      {"BadCandidateInSdp", MinimalInserting(7, "a=candidate:1 1 udp 0 192.0.2.1 1 typ host")},
      {"CandidateRaddrWithoutRport", MinimalInserting(7,
                                                      "a=candidate:1 1 udp 1 192.0.2.1 1 typ srflx "
                                                      "raddr 10.0.0.1")},
      {"CandidateWithoutValue", MinimalInserting(7, "a=candidate")},
      {"MidTooLong", MinimalWith("a=mid:", "a=mid:" + std::string(33, 'm'))},
      {"MidNotToken", MinimalWith("a=mid:", "a=mid:a b")},
      {"MidTwiceInSection", MinimalInserting(11, "a=mid:1")},
      {"MidAtSessionLevel", MinimalInserting(5, "a=mid:0")},
      {"DuplicateMids", Sdp(Concat(MinimalOfferLines(), AudioSectionLines("0")))},
      {"MidMarkup", MinimalWith("a=mid:", "a=mid:<b>SECRET</b>")},
      {"MidQuoted", MinimalWith("a=mid:", "a=mid:\"SECRET\"")},
      {"MidNonAscii", MinimalWith("a=mid:", "a=mid:SECRET\xc3\xa9")},
      {"GroupTagMarkup", MinimalWith("a=group:", "a=group:BUNDLE <SECRET>")},
      {"GroupTagTooLong", MinimalWith("a=group:", "a=group:BUNDLE " + std::string(33, 'm'))},
      {"IceUfragTooShort", MinimalWith("a=ice-ufrag:", "a=ice-ufrag:SEC")},
      {"IceUfragTooLong", MinimalWith("a=ice-ufrag:", "a=ice-ufrag:" + std::string(257, 'u'))},
      {"IceUfragMarkup", MinimalWith("a=ice-ufrag:", "a=ice-ufrag:<SECRET>")},
      {"IceUfragSpace", MinimalWith("a=ice-ufrag:", "a=ice-ufrag:SECRET X")},
      {"IcePwdTooShort", MinimalWith("a=ice-pwd:", "a=ice-pwd:" + std::string(21, 'p'))},
      {"IcePwdTooLong", MinimalWith("a=ice-pwd:", "a=ice-pwd:" + std::string(257, 'p'))},
      {"IcePwdMarkup", MinimalWith("a=ice-pwd:", "a=ice-pwd:SECRET<script>ppppppppppppp")},
      {"BadAttributeName", MinimalInserting(8, "a=ice options:x")},
  };
  return cases;
}

INSTANTIATE_TEST_SUITE_P(Refused, HostileSdpTest, testing::ValuesIn(HostileCases()),
                         [](const testing::TestParamInfo<HostileCase>& info) {
                           return std::string(info.param.name);
                         });

TEST(ValidateSdpTest, ErrorNamesTheLineNumber) {
  const absl::Status status = Offer(MinimalInserting(8, std::string("a=x:\0", 5)));
  ASSERT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("line 9"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace signaling::sdp::testing_sdp
