// The claims MintToken writes (exactly: the mint CLI's, the load generator's
// and the test stacks' tokens), and that the verifier accepts what it mints.
#include "services/auth/token_minting.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"

namespace signaling::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000) + absl::Milliseconds(700);
const int64_t kNowS = 1'800'000'000;
const SigningKey kKey{"dev", "HS256", std::string(32, 'k')};

// The decoded payload of `token`.
nlohmann::json Payload(const std::string& token) {
  const std::vector<std::string> parts = absl::StrSplit(token, '.');
  EXPECT_EQ(parts.size(), 3u);
  std::string payload;
  EXPECT_TRUE(parts.size() == 3 && absl::WebSafeBase64Unescape(parts[1], &payload));
  return nlohmann::json::parse(payload, nullptr, false);
}

nlohmann::json Minted(const TokenClaims& claims) {
  auto token = MintToken(kKey, claims, kNow);
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? Payload(*token) : nlohmann::json();
}

TEST(TokenMintingTest, DefaultsAreAnHourForTheSignalingAudienceWithIat) {
  const nlohmann::json expected = {
      {"sub", "alice"},
      {"aud", "signaling"},
      {"iat", kNowS},
      {"exp", kNowS + 3600},
      {"grants", {{"accept", {"kiosk-*"}}, {"offer", nlohmann::json::array()}}}};
  EXPECT_EQ(Minted({.subject = "alice", .accept = {"kiosk-*"}}), expected);
}

TEST(TokenMintingTest, IssuerAndNotBeforeOnlyWhenAskedFor) {
  const nlohmann::json expected = {
      {"sub", "bob"},
      {"aud", "other"},
      {"iss", "https://issuer"},
      {"iat", kNowS},
      {"nbf", kNowS - 5},
      {"exp", kNowS + 60},
      {"grants", {{"accept", nlohmann::json::array()}, {"offer", {"kiosk-7", "room-*"}}}}};
  EXPECT_EQ(Minted({.subject = "bob",
                    .offer = {"kiosk-7", "room-*"},
                    .ttl = absl::Seconds(60),
                    .audience = "other",
                    .issuer = "https://issuer",
                    .not_before = absl::Seconds(-5)}),
            expected);
}

TEST(TokenMintingTest, APastExpiry) {
  const nlohmann::json expected = {
      {"sub", "carol"},
      {"aud", "signaling"},
      {"exp", kNowS - 300},
      {"iat", kNowS},
      {"grants", {{"accept", nlohmann::json::array()}, {"offer", nlohmann::json::array()}}}};
  EXPECT_EQ(Minted({.subject = "carol", .ttl = absl::Minutes(-5)}), expected);
}

TEST(TokenMintingTest, TheVerifierAcceptsTheMintedTokenAndItsGrants) {
  char dir[] = "/tmp/token-minting-test-XXXXXX";
  const std::string path = std::string(mkdtemp(dir)) + "/dev.key";
  std::ofstream(path, std::ios::binary) << kKey.material;
  auto verifier = JwtVerifier::Create({{"dev", "HS256", path}}, VerifierOptions());
  std::filesystem::remove_all(dir);
  ASSERT_TRUE(verifier.ok()) << verifier.status();
  auto token = MintToken(kKey, {.subject = "dave", .accept = {"a-*"}, .offer = {"b-*"}}, kNow);
  ASSERT_TRUE(token.ok()) << token.status();
  auto principal = (*verifier)->Verify(*token, kNow);
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "dave");
  EXPECT_EQ(principal->accept, std::vector<std::string>{"a-*"});
  EXPECT_EQ(principal->offer, std::vector<std::string>{"b-*"});
  EXPECT_EQ(principal->expires_at, absl::FromUnixSeconds(kNowS + 3600));
}

TEST(TokenMintingTest, AKeyThatCannotSignIsAnError) {
  const SigningKey bad{"dev", "ES256", "not a PEM key"};
  EXPECT_EQ(MintToken(bad, {.subject = "erin"}, kNow).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace signaling::auth
