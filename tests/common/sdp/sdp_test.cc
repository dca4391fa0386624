// Tests for ValidateSdp: every browser description in corpus/ is accepted as
// its kind, and each hostile description is refused with InvalidArgument.
#include "common/sdp/sdp.h"

#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"

namespace signaling::sdp {
namespace {

const SdpLimits kDefaults;

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Joins lines with CRLF, the last one terminated too.
std::string Sdp(const std::vector<std::string>& lines) {
  return absl::StrCat(absl::StrJoin(lines, "\r\n"), "\r\n");
}

// The smallest description a browser would produce: one data channel.
std::vector<std::string> MinimalOfferLines() {
  return {"v=0",
          "o=- 4611731400430051336 2 IN IP4 127.0.0.1",
          "s=-",
          "t=0 0",
          "a=group:BUNDLE 0",
          "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
          "c=IN IP4 0.0.0.0",
          "a=ice-ufrag:EsAw",
          "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y",
          "a=setup:actpass",
          "a=mid:0",
          "a=sctp-port:5000",
          "a=max-message-size:262144"};
}

// An audio section, appended to MinimalOfferLines() by some tests.
std::vector<std::string> AudioSectionLines(absl::string_view mid) {
  return {"m=audio 9 UDP/TLS/RTP/SAVPF 111 0",
          "c=IN IP4 0.0.0.0",
          "a=setup:actpass",
          absl::StrCat("a=mid:", mid),
          "a=sendrecv",
          "a=rtcp-mux",
          "a=rtpmap:111 opus/48000/2",
          "a=rtcp-fb:111 transport-cc",
          "a=fmtp:111 minptime=10;useinbandfec=1",
          "a=rtpmap:0 PCMU/8000"};
}

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// Replaces the first line that starts with `prefix`.
std::vector<std::string> Replace(std::vector<std::string> lines, absl::string_view prefix,
                                 std::string replacement) {
  for (std::string& line : lines) {
    if (absl::string_view(line).substr(0, prefix.size()) == prefix) {
      line = std::move(replacement);
      return lines;
    }
  }
  ADD_FAILURE() << "no line starts with " << prefix;
  return lines;
}

absl::Status Offer(absl::string_view sdp, const SdpLimits& limits = kDefaults) {
  return ValidateSdp(sdp, SdpType::kOffer, limits).status();
}

TEST(ValidateSdpTest, MinimalOfferIsAccepted) {
  const absl::StatusOr<SdpInfo> info =
      ValidateSdp(Sdp(MinimalOfferLines()), SdpType::kOffer, kDefaults);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->media_sections, 1);
  EXPECT_EQ(info->mids, std::vector<std::string>{"0"});
  EXPECT_EQ(info->candidates, 0);
}

// ------------------------------------------------------------------ corpus

struct CorpusFile {
  const char* name;
  SdpType type;
  int media_sections;
  int candidates;
};

const CorpusFile kCorpus[] = {
    {"chrome_offer_audio_video_data.sdp", SdpType::kOffer, 3, 0},
    {"chrome_answer_audio_video_data.sdp", SdpType::kAnswer, 3, 0},
    {"chrome_offer_with_candidates.sdp", SdpType::kOffer, 2, 5},
    {"chrome_offer_datachannel_only.sdp", SdpType::kOffer, 1, 0},
    {"chrome_answer_datachannel_only.sdp", SdpType::kAnswer, 1, 0},
    {"chrome_offer_16_sections.sdp", SdpType::kOffer, 16, 0},
    {"firefox_offer_audio_video_data.sdp", SdpType::kOffer, 3, 0},
    {"firefox_answer_audio_video_data.sdp", SdpType::kAnswer, 3, 0},
    {"firefox_offer_with_candidates.sdp", SdpType::kOffer, 2, 5},
    {"firefox_offer_datachannel_only.sdp", SdpType::kOffer, 1, 0},
};

std::filesystem::path CorpusPath(absl::string_view name) {
  return std::filesystem::path(SDP_CORPUS_DIR) / std::string(name);
}

TEST(SdpCorpusTest, ListsEveryFileInTheCorpus) {
  std::set<std::string> listed;
  for (const CorpusFile& file : kCorpus) listed.insert(file.name);
  std::set<std::string> on_disk;
  for (const auto& entry : std::filesystem::directory_iterator(SDP_CORPUS_DIR)) {
    if (entry.path().extension() == ".sdp") {
      on_disk.insert(entry.path().filename().string());
    }
  }
  EXPECT_EQ(listed, on_disk);
}

class SdpCorpusFileTest : public testing::TestWithParam<CorpusFile> {};

TEST_P(SdpCorpusFileTest, IsAcceptedAsItsKind) {
  const CorpusFile& file = GetParam();
  const std::string sdp = ReadFile(CorpusPath(file.name));
  ASSERT_FALSE(sdp.empty()) << file.name;
  ASSERT_NE(sdp.find("\r\n"), std::string::npos) << "browsers use CRLF";
  const absl::StatusOr<SdpInfo> info = ValidateSdp(sdp, file.type, kDefaults);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->media_sections, file.media_sections);
  EXPECT_EQ(info->candidates, file.candidates);
  ASSERT_EQ(info->mids.size(), static_cast<size_t>(file.media_sections));
  for (int i = 0; i < file.media_sections; ++i) {
    EXPECT_EQ(info->mids[i], absl::StrCat(i));
  }
}

TEST_P(SdpCorpusFileTest, IsAcceptedWithLfLineEnds) {
  const CorpusFile& file = GetParam();
  const std::string sdp = absl::StrReplaceAll(ReadFile(CorpusPath(file.name)), {{"\r\n", "\n"}});
  EXPECT_TRUE(ValidateSdp(sdp, file.type, kDefaults).ok());
}

TEST_P(SdpCorpusFileTest, IsRefusedAsTheOtherKind) {
  // Every corpus file carries a=setup, so its kind is recognisable.
  const CorpusFile& file = GetParam();
  const SdpType other = file.type == SdpType::kOffer ? SdpType::kAnswer : SdpType::kOffer;
  const absl::Status status =
      ValidateSdp(ReadFile(CorpusPath(file.name)), other, kDefaults).status();
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
  EXPECT_NE(status.message().find("a=setup"), absl::string_view::npos) << status;
}

TEST_P(SdpCorpusFileTest, IsRefusedWhenTruncatedMidLine) {
  const CorpusFile& file = GetParam();
  const std::string sdp = ReadFile(CorpusPath(file.name));
  const std::string truncated = sdp.substr(0, sdp.size() - 3);
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSdp(truncated, file.type, kDefaults).status()));
}

INSTANTIATE_TEST_SUITE_P(Browsers, SdpCorpusFileTest, testing::ValuesIn(kCorpus),
                         [](const testing::TestParamInfo<CorpusFile>& info) {
                           std::string name = info.param.name;
                           return name.substr(0, name.find('.'));
                         });

// ------------------------------------------------------------- offer/answer

TEST(ValidateSdpTest, AnswerWithSetupActiveIsNotAnOffer) {
  const std::string answer = Sdp(Replace(MinimalOfferLines(), "a=setup:", "a=setup:active"));
  EXPECT_TRUE(ValidateSdp(answer, SdpType::kAnswer, kDefaults).ok());
  const absl::Status status = Offer(answer);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
}

TEST(ValidateSdpTest, AnswerMayUseSetupPassive) {
  const std::string answer = Sdp(Replace(MinimalOfferLines(), "a=setup:", "a=setup:passive"));
  EXPECT_TRUE(ValidateSdp(answer, SdpType::kAnswer, kDefaults).ok());
  EXPECT_TRUE(absl::IsInvalidArgument(Offer(answer)));
}

TEST(ValidateSdpTest, OfferWithActpassIsNotAnAnswer) {
  EXPECT_TRUE(absl::IsInvalidArgument(
      ValidateSdp(Sdp(MinimalOfferLines()), SdpType::kAnswer, kDefaults).status()));
}

TEST(ValidateSdpTest, WithoutSetupEitherKindIsAccepted) {
  const std::string sdp = Sdp(Replace(MinimalOfferLines(), "a=setup:", "a=sendrecv"));
  EXPECT_TRUE(ValidateSdp(sdp, SdpType::kOffer, kDefaults).ok());
  EXPECT_TRUE(ValidateSdp(sdp, SdpType::kAnswer, kDefaults).ok());
}

TEST(ValidateSdpTest, OneAnswerSectionInAnOfferRefusesIt) {
  const std::string sdp = Sdp(
      Concat(MinimalOfferLines(), Replace(AudioSectionLines("1"), "a=setup:", "a=setup:active")));
  EXPECT_TRUE(absl::IsInvalidArgument(Offer(sdp)));
}

TEST(ValidateSdpTest, SetupHoldconnIsRefused) {
  const std::string sdp = Sdp(Replace(MinimalOfferLines(), "a=setup:", "a=setup:holdconn"));
  EXPECT_TRUE(absl::IsInvalidArgument(Offer(sdp)));
  EXPECT_TRUE(absl::IsInvalidArgument(ValidateSdp(sdp, SdpType::kAnswer, kDefaults).status()));
}

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

std::string MinimalWith(absl::string_view prefix, std::string line) {
  return Sdp(Replace(MinimalOfferLines(), prefix, std::move(line)));
}

// The minimal offer with `line` inserted before the line at `index`.
std::string MinimalInserting(size_t index, std::string line) {
  std::vector<std::string> lines = MinimalOfferLines();
  lines.insert(lines.begin() + index, std::move(line));
  return Sdp(lines);
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

TEST(ValidateSdpTest, TabAndUtf8InValuesAreAccepted) {
  EXPECT_TRUE(Offer(MinimalWith("s=", "s=Caf\xc3\xa9\tsession")).ok());
}

TEST(ValidateSdpTest, LfLineEndsAreAccepted) {
  EXPECT_TRUE(Offer(absl::StrReplaceAll(Sdp(MinimalOfferLines()), {{"\r\n", "\n"}})).ok());
}

TEST(ValidateSdpTest, SessionLevelFieldsInRfcOrderAreAccepted) {
  const std::string sdp = Sdp({"v=0",
                               "o=jdoe 3724394400 3724394405 IN IP4 198.51.100.1",
                               "s=Call to John Smith",
                               "i=SDP Offer #1",
                               "u=http://www.jdoe.example.com/home.html",
                               "e=Jane Doe <jane@jdoe.example.com>",
                               "p=+1 617 555-6011",
                               "c=IN IP4 198.51.100.1",
                               "b=AS:2000",
                               "t=0 0",
                               "r=604800 3600 0 90000",
                               "z=2882844526 -1h 2898848070 0",
                               "t=3724394400 3724398000",
                               "k=prompt",
                               "a=recvonly",
                               "m=audio 49170 RTP/AVP 0",
                               "i=Audio stream",
                               "c=IN IP4 198.51.100.1",
                               "b=AS:64",
                               "k=prompt",
                               "a=rtpmap:0 PCMU/8000",
                               "m=video 51372 RTP/AVP 99 102",
                               "c=IN IP6 2001:db8::2",
                               "c=IN IP6 2001:db8::3",
                               "a=rtpmap:99 h263-1998/90000",
                               "a=rtpmap:102 H264/90000",
                               "m=application 5000/2 TCP/MSRP *"});
  const absl::StatusOr<SdpInfo> info = ValidateSdp(sdp, SdpType::kOffer, kDefaults);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->media_sections, 3);
  EXPECT_EQ(info->mids, (std::vector<std::string>{"", "", ""}));
}

// RFC 8839 §5.4: ufrag 4-256 ice-chars, pwd 22-256; the bounds are inclusive.
TEST(ValidateSdpTest, IceUfragAndPwdAtTheirLengthBoundsAreAccepted) {
  for (const auto& [ufrag, pwd] :
       {std::make_pair(std::string(4, 'u'), std::string(22, 'p')),
        std::make_pair(std::string(256, 'u'), std::string(256, 'p')),
        std::make_pair(std::string("a+b/"), std::string("5PKmxt+7mUzms+RnR8YL+kJ9"))}) {
    const std::string sdp = Sdp(
        Replace(Replace(MinimalOfferLines(), "a=ice-ufrag:", absl::StrCat("a=ice-ufrag:", ufrag)),
                "a=ice-pwd:", absl::StrCat("a=ice-pwd:", pwd)));
    EXPECT_TRUE(Offer(sdp).ok()) << Offer(sdp);
  }
}

// Identification tags of a=group follow the a=mid grammar, up to 32 characters.
TEST(ValidateSdpTest, GroupTagsOfTokenCharactersUpTo32AreAccepted) {
  EXPECT_TRUE(Offer(MinimalWith("a=group:", "a=group:BUNDLE 0 " + std::string(32, 'm'))).ok());
  EXPECT_TRUE(Offer(MinimalWith("a=group:", "a=group:LS")).ok());
}

TEST(ValidateSdpTest, NonRtpSectionAcceptsTokenFormats) {
  EXPECT_TRUE(Offer(MinimalWith("m=", "m=application 9 UDP/DTLS/SCTP webrtc-datachannel")).ok());
  EXPECT_TRUE(Offer(MinimalInserting(12, "a=fmtp:webrtc-datachannel x=1")).ok());
}

TEST(ValidateSdpTest, InlineCandidatesAreCounted) {
  const absl::StatusOr<SdpInfo> info = ValidateSdp(
      Sdp(Concat(MinimalOfferLines(), {"a=candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host",
                                       "a=candidate:2 1 tcp 1518280447 192.0.2.10 9 typ host "
                                       "tcptype active",
                                       "a=end-of-candidates"})),
      SdpType::kOffer, kDefaults);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->candidates, 2);
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

}  // namespace
}  // namespace signaling::sdp
