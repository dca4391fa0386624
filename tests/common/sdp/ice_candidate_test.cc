// Tests for ValidateCandidate, ValidateSdpMid and ValidateUsernameFragment:
// candidates as Chrome and Firefox trickle them, and each way a hostile
// client can break the grammar.
#include "common/sdp/ice_candidate.h"

#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"

namespace signaling::sdp {
namespace {

const CandidateLimits kDefaults;

absl::Status Validate(absl::string_view candidate) {
  return ValidateCandidate(candidate, kDefaults);
}

// ------------------------------------------------------------------ valid

class ValidCandidateTest : public testing::TestWithParam<const char*> {};

TEST_P(ValidCandidateTest, IsAccepted) {
  EXPECT_TRUE(Validate(GetParam()).ok()) << Validate(GetParam());
}

INSTANTIATE_TEST_SUITE_P(ChromeAndFirefox, ValidCandidateTest,
                         testing::Values(
                             // The protocol's own example.
                             "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host",
                             // Chrome: host behind mDNS, as trickled (with ufrag and network info).
                             "candidate:3169254384 1 udp 2113937151 "
                             "8a3f1c2e-5b6d-4e7f-9a0b-1c2d3e4f5a6b.local 54400 typ host "
                             "generation 0 ufrag EsAw network-id 1 network-cost 10",
                             // Chrome: IPv4 host, IPv6 host.
                             "candidate:2999745851 1 udp 2122260223 192.168.1.23 61010 typ host "
                             "generation 0 ufrag EsAw network-id 1",
                             "candidate:2999745851 1 udp 2122197247 "
                             "2001:db8:1f70::999:de8:7648:6e8 61011 typ host generation 0 "
                             "ufrag EsAw network-id 2",
                             // Chrome: srflx (related address hidden behind 0.0.0.0 with mDNS).
                             "candidate:842163049 1 udp 1677729535 203.0.113.77 54400 typ srflx "
                             "raddr 0.0.0.0 rport 0 generation 0 ufrag EsAw network-cost 999",
                             // Chrome: relay over UDP, TURN/TCP and TURN/TLS priorities.
                             "candidate:3745357826 1 udp 41885439 198.51.100.20 61234 typ relay "
                             "raddr 203.0.113.77 rport 54400 generation 0 ufrag EsAw "
                             "network-id 1 network-cost 10",
                             "candidate:1191385233 1 udp 25108223 198.51.100.20 49152 typ relay "
                             "raddr 203.0.113.77 rport 54400 generation 0 ufrag EsAw",
                             // Chrome: TCP host candidates of each tcptype.
                             "candidate:1467250027 1 tcp 1518283007 192.168.1.23 9 typ host "
                             "tcptype active generation 0 ufrag EsAw network-id 1",
                             "candidate:1467250027 1 tcp 1518283007 192.168.1.23 50000 typ host "
                             "tcptype passive generation 0",
                             "candidate:1467250027 1 tcp 1518283007 192.168.1.23 50001 typ host "
                             "tcptype so",
                             // Chrome: RTCP component.
                             "candidate:3169254384 2 udp 2113937150 192.168.1.23 54401 typ host",
                             // Firefox: host, TCP, mDNS, IPv6, srflx, relay, prflx.
                             "candidate:0 1 UDP 2122252543 192.168.1.5 51712 typ host",
                             "candidate:1 1 TCP 2105524479 192.168.1.5 9 typ host tcptype active",
                             "candidate:0 1 UDP 2122252543 "
                             "8644b14f-11b5-43f3-9562-55150d2bec0d.local 51712 typ host",
                             "candidate:2 1 UDP 2122187007 2001:db8:85a3::8a2e:370:7334 60133 "
                             "typ host",
                             "candidate:3 1 UDP 1686052863 192.0.2.44 51712 typ srflx "
                             "raddr 192.168.1.5 rport 51712",
                             "candidate:4 1 UDP 92217343 198.51.100.9 49873 typ relay "
                             "raddr 192.0.2.44 rport 51712",
                             "candidate:5 1 UDP 1853824767 192.0.2.44 61000 typ prflx "
                             "raddr 192.168.1.5 rport 51712",
                             // Grammar corners: ice-chars in the foundation, 32-char foundation,
                             // bounds of each number, IPv6 forms, host names, unknown type token.
                             "candidate:a+b/C9 1 udp 1 192.0.2.1 0 typ host",
                             "candidate:abcdefghijklmnopqrstuvwxyz012345 256 udp 2147483647 "
                             "192.0.2.1 65535 typ host",
                             "candidate:1 1 udp 2122260223 ::1 5000 typ host",
                             "candidate:1 1 udp 2122260223 :: 5000 typ host",
                             "candidate:1 1 udp 2122260223 ::ffff:192.0.2.1 5000 typ host",
                             "candidate:1 1 udp 2122260223 fe80:0:0:0:20c:29ff:fe9c:1b2a 5000 "
                             "typ host",
                             "candidate:1 1 udp 2122260223 turn.example.com. 5000 typ host",
                             "candidate:1 1 sctp 2122260223 192.0.2.1 5000 typ future-type "
                             "some-ext x"));

TEST(ValidateCandidateTest, EmptyStringIsEndOfCandidates) {
  EXPECT_TRUE(IsEndOfCandidates(""));
  EXPECT_FALSE(IsEndOfCandidates("candidate:1 1 udp 1 192.0.2.1 1 typ host"));
  EXPECT_TRUE(Validate("").ok());
}

TEST(ValidateCandidateTest, ExtensionLimitIsInclusive) {
  std::string candidate = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";
  for (size_t i = 0; i < kDefaults.max_extensions; ++i) {
    absl::StrAppend(&candidate, " x", i, " ", i);
  }
  EXPECT_TRUE(Validate(candidate).ok()) << Validate(candidate);
  absl::StrAppend(&candidate, " one more");
  EXPECT_TRUE(absl::IsInvalidArgument(Validate(candidate)));
}

TEST(ValidateCandidateTest, ThousandsOfExtensionsAreRefusedByCount) {
  std::string candidate = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";
  for (int i = 0; i < 3000; ++i) absl::StrAppend(&candidate, " a b");
  CandidateLimits roomy;
  roomy.max_bytes = 1 << 20;  // so that only the extension count can refuse
  const absl::Status status = ValidateCandidate(candidate, roomy);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("extensions"), absl::string_view::npos) << status;
  EXPECT_TRUE(absl::IsInvalidArgument(Validate(candidate)));  // and by size
}

TEST(ValidateCandidateTest, SizeLimitIsInclusive) {
  std::string candidate = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host x ";
  candidate.append(kDefaults.max_bytes - candidate.size(), 'y');
  ASSERT_EQ(candidate.size(), kDefaults.max_bytes);
  EXPECT_TRUE(Validate(candidate).ok()) << Validate(candidate);
  candidate.push_back('y');
  const absl::Status status = Validate(candidate);
  EXPECT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_NE(status.message().find("longer"), absl::string_view::npos) << status;
}

// ---------------------------------------------------------------- invalid

struct InvalidCase {
  const char* name;
  std::string candidate;
};

class InvalidCandidateTest : public testing::TestWithParam<InvalidCase> {};

TEST_P(InvalidCandidateTest, IsRefusedWithInvalidArgument) {
  const absl::Status status = Validate(GetParam().candidate);
  EXPECT_TRUE(absl::IsInvalidArgument(status)) << status;
}

// A valid candidate with one field replaced.
std::string With(absl::string_view foundation, absl::string_view component,
                 absl::string_view priority, absl::string_view address, absl::string_view port,
                 absl::string_view tail = "typ host") {
  return absl::StrCat("candidate:", foundation, " ", component, " udp ", priority, " ", address,
                      " ", port, " ", tail);
}

INSTANTIATE_TEST_SUITE_P(
    Hostile, InvalidCandidateTest,
    testing::Values(
        InvalidCase{"Foundation33Chars", With(std::string(33, 'a'), "1", "1", "192.0.2.1", "1")},
        InvalidCase{"FoundationBadChar", With("ab-c", "1", "1", "192.0.2.1", "1")},
        InvalidCase{"Component0", With("1", "0", "1", "192.0.2.1", "1")},
        InvalidCase{"Component257", With("1", "257", "1", "192.0.2.1", "1")},
        InvalidCase{"Component4Digits", With("1", "0001", "1", "192.0.2.1", "1")},
        InvalidCase{"Priority0", With("1", "1", "0", "192.0.2.1", "1")},
        InvalidCase{"Priority2Pow31", With("1", "1", "2147483648", "192.0.2.1", "1")},
        InvalidCase{"Priority2Pow32", With("1", "1", "4294967296", "192.0.2.1", "1")},
        InvalidCase{"PriorityHugeDigits", With("1", "1", std::string(5000, '9'), "192.0.2.1", "1")},
        InvalidCase{"PriorityNegative", With("1", "1", "-5", "192.0.2.1", "1")},
        InvalidCase{"Port70000", With("1", "1", "1", "192.0.2.1", "70000")},
        InvalidCase{"Port65536", With("1", "1", "1", "192.0.2.1", "65536")},
        InvalidCase{"PortHugeDigits", With("1", "1", "1", "192.0.2.1", "184467440737095516161")},
        InvalidCase{"RaddrWithoutRport",
                    With("1", "1", "1", "192.0.2.1", "1", "typ srflx raddr 10.0.0.1")},
        InvalidCase{"RaddrThenOtherName",
                    With("1", "1", "1", "192.0.2.1", "1", "typ srflx raddr 10.0.0.1 generation 0")},
        InvalidCase{"RportWithoutRaddr",
                    With("1", "1", "1", "192.0.2.1", "1", "typ srflx rport 5")},
        InvalidCase{"RportOutOfRange",
                    With("1", "1", "1", "192.0.2.1", "1", "typ srflx raddr 10.0.0.1 rport 70000")},
        InvalidCase{"BadRaddr",
                    With("1", "1", "1", "192.0.2.1", "1", "typ srflx raddr 10.0.0.300 rport 5")},
        InvalidCase{"RaddrAfterExtension", With("1", "1", "1", "192.0.2.1", "1",
                                                "typ srflx generation 0 raddr 10.0.0.1 rport 5")},
        InvalidCase{"BadTcptype",
                    With("1", "1", "1", "192.0.2.1", "9", "typ host tcptype sideways")},
        InvalidCase{"MissingTyp", With("1", "1", "1", "192.0.2.1", "1", "host")},
        InvalidCase{"TypWithoutType", With("1", "1", "1", "192.0.2.1", "1", "typ")},
        InvalidCase{"TruncatedAfterAddress", "candidate:1 1 udp 2122260223 192.0.2.1"},
        InvalidCase{"ExtensionWithoutValue",
                    With("1", "1", "1", "192.0.2.1", "1", "typ host generation")},
        InvalidCase{"WithSdpAttributePrefix",
                    "a=candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host"},
        InvalidCase{"NoPrefix", "1 1 udp 2122260223 192.0.2.10 54400 typ host"},
        InvalidCase{"OnlyPrefix", "candidate:"},
        InvalidCase{"DoubleSpace", "candidate:1  1 udp 2122260223 192.0.2.10 54400 typ host"},
        InvalidCase{"TrailingSpace", "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host "},
        InvalidCase{"TrailingCrLf", "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host\r\n"},
        InvalidCase{"NulByte", absl::StrCat("candidate:1 1 udp 2122260223 192.0.2.10 "
                                            "54400 typ host generation ",
                                            std::string(1, '\0'))},
        InvalidCase{"NonAscii", "candidate:1 1 udp 2122260223 h\xc3\xb6st.local 5 typ host"},
        InvalidCase{"Ipv4ThreeParts", With("1", "1", "1", "192.0.2", "1")},
        InvalidCase{"Ipv4Octet256", With("1", "1", "1", "256.0.2.1", "1")},
        InvalidCase{"Ipv4FiveParts", With("1", "1", "1", "1.2.3.4.5", "1")},
        InvalidCase{"Ipv6TwoGaps", With("1", "1", "1", "1::2::3", "1")},
        InvalidCase{"Ipv6LongGroup", With("1", "1", "1", "12345::1", "1")},
        InvalidCase{"Ipv6NineGroups", With("1", "1", "1", "1:2:3:4:5:6:7:8:9", "1")},
        InvalidCase{"Ipv6SevenGroups", With("1", "1", "1", "1:2:3:4:5:6:7", "1")},
        InvalidCase{"Ipv6Zone", With("1", "1", "1", "fe80::1%eth0", "1")},
        InvalidCase{"Ipv6Bracketed", With("1", "1", "1", "[::1]", "1")},
        InvalidCase{"HostUnderscore", With("1", "1", "1", "bad_host.local", "1")},
        InvalidCase{"HostEmptyLabel", With("1", "1", "1", "a..local", "1")},
        InvalidCase{"HostTooLong", With("1", "1", "1", std::string(254, 'a'), "1")}),
    [](const testing::TestParamInfo<InvalidCase>& info) { return std::string(info.param.name); });

TEST(ValidateCandidateTest, ErrorDoesNotEchoTheInput) {
  const absl::Status status = Validate("candidate:1 1 udp 2122260223 SECRET_MARKER 5 typ host");
  ASSERT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message().find("SECRET"), absl::string_view::npos) << status;
}

// ---------------------------------------------------------------- sdpMid

TEST(ValidateSdpMidTest, AcceptsBrowserMids) {
  for (absl::string_view mid : {"0", "1", "15", "audio", "sdparta_0", "data"}) {
    EXPECT_TRUE(ValidateSdpMid(mid).ok()) << mid;
  }
  EXPECT_TRUE(ValidateSdpMid(std::string(kMaxSdpMidLength, 'm')).ok());
}

TEST(ValidateSdpMidTest, RefusesEmptyLongAndNonToken) {
  for (const std::string& mid : {std::string(), std::string(kMaxSdpMidLength + 1, 'm'),
                                 std::string("a b"), std::string("a:b"), std::string("\xc3\xa9"),
                                 std::string("0\r\n"), std::string("a\0b", 3)}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateSdpMid(mid))) << mid;
  }
}

// RFC 5888 identification-tag = RFC 4566 token: every token character is
// accepted, including the punctuation browsers never use.
TEST(ValidateSdpMidTest, AcceptsEveryTokenCharacter) {
  EXPECT_TRUE(ValidateSdpMid("!#$%&'*+-.^_`{|}~").ok());
  EXPECT_TRUE(ValidateSdpMid("AZaz09").ok());
}

TEST(ValidateSdpMidTest, RefusesMarkupQuotesAndSeparators) {
  for (absl::string_view mid : {"<script>", "0>", "\"0\"", "0\\", "0/1", "(0)", "0,1", "0;", "0=1",
                                "a@b", "[0]", "0?", "\x7f", "\t0"}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateSdpMid(mid))) << mid;
  }
}

// ------------------------------------------------------ usernameFragment

TEST(ValidateUsernameFragmentTest, AcceptsBrowserUfragsAndTheLengthBounds) {
  for (absl::string_view ufrag : {"EsAw", "Xk9f", "b93020d5", "a+b/", "C7YQ+/9z"}) {
    EXPECT_TRUE(ValidateUsernameFragment(ufrag).ok()) << ufrag;
  }
  EXPECT_TRUE(ValidateUsernameFragment(std::string(kMinUsernameFragmentLength, 'u')).ok());
  EXPECT_TRUE(ValidateUsernameFragment(std::string(kMaxUsernameFragmentLength, 'u')).ok());
}

TEST(ValidateUsernameFragmentTest, RefusesLengthsOutsideFourTo256) {
  for (size_t n : {size_t{0}, size_t{1}, kMinUsernameFragmentLength - 1,
                   kMaxUsernameFragmentLength + 1, size_t{10000}}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateUsernameFragment(std::string(n, 'u')))) << n;
  }
}

TEST(ValidateUsernameFragmentTest, RefusesAnythingButIceChars) {
  for (const std::string& ufrag :
       {std::string("<b>EsAw"), std::string("EsAw\r\n"), std::string("Es\0Aw", 5),
        std::string("Es Aw"), std::string("Es-Aw"), std::string("Es_Aw"), std::string("EsAw="),
        std::string("\"EsAw\""), std::string("Es\\Aw"), std::string("Es\xc3\xa9w"),
        std::string("EsAw\x7f")}) {
    EXPECT_TRUE(absl::IsInvalidArgument(ValidateUsernameFragment(ufrag))) << ufrag;
  }
}

TEST(ValidateUsernameFragmentTest, ErrorDoesNotEchoTheInput) {
  const absl::Status status = ValidateUsernameFragment("SECRET<b>");
  ASSERT_TRUE(absl::IsInvalidArgument(status));
  EXPECT_EQ(status.message().find("SECRET"), absl::string_view::npos) << status;
}

}  // namespace
}  // namespace signaling::sdp
