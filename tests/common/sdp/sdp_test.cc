// Tests for ValidateSdp on what it accepts: every browser description in
// corpus/ as its kind (and not as the other), the offer/answer a=setup rule,
// and the RFC 8866 forms browsers do not write but the grammar allows.
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
#include "absl/strings/str_replace.h"
#include "gtest/gtest.h"
#include "tests/common/sdp/sdp_test_lines.h"

namespace signaling::sdp::testing_sdp {
namespace {

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
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

// ------------------------------------------------------------ accepted forms

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

}  // namespace
}  // namespace signaling::sdp::testing_sdp
