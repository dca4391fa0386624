// The token verifier of protocol section 5: each algorithm, every claim
// rule, key selection by kid, and the classic attacks (alg none, HS/RS
// confusion, a kid that looks like a path).
#include "services/auth/jwt.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"

namespace signaling::auth {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);
const int64_t kNowS = 1'800'000'000;

class JwtTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/jwt-test-XXXXXX";
    dir_ = mkdtemp(dir);
    for (const char* alg : {"HS256", "RS256", "ES256", "EdDSA"}) {
      auto material = GenerateKeyMaterial(alg);
      ASSERT_TRUE(material.ok()) << alg;
      const std::string kid = absl::StrCat("k-", alg);
      const std::string private_path = absl::StrCat(dir_, "/", kid, ".key");
      std::ofstream(private_path, std::ios::binary) << *material;
      signing_[alg] = SigningKey{kid, alg, *material};
      std::string verify_path = private_path;
      if (std::string(alg) != "HS256") {  // verify with the public half only
        auto pub = PublicKeyPem(*material);
        ASSERT_TRUE(pub.ok());
        public_pem_[alg] = *pub;
        verify_path = absl::StrCat(dir_, "/", kid, ".pub");
        std::ofstream(verify_path, std::ios::binary) << *pub;
      }
      specs_.push_back({kid, alg, verify_path});
    }
    auto verifier = JwtVerifier::Create(specs_, options_);
    ASSERT_TRUE(verifier.ok()) << verifier.status();
    verifier_ = *std::move(verifier);
  }

  void TearDown() override { std::filesystem::remove_all(dir_); }

  static nlohmann::json Claims() {
    return {{"sub", "alice"},
            {"aud", "signaling"},
            {"exp", kNowS + 600},
            {"grants", {{"accept", {"kiosk-7", "room-*"}}, {"offer", {"kiosk-*"}}}}};
  }

  std::string Sign(const std::string& alg, const nlohmann::json& claims) {
    auto token = SignJwt(signing_[alg], claims);
    EXPECT_TRUE(token.ok());
    return *token;
  }

  std::string Why(const std::string& token, absl::Time now = kNow) {
    auto result = verifier_->Verify(token, now);
    if (result.ok()) return "ok";
    EXPECT_EQ(result.status().code(), absl::StatusCode::kUnauthenticated);
    return std::string(result.status().message());
  }

  static std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

  std::string dir_;
  std::map<std::string, SigningKey> signing_;
  std::map<std::string, std::string> public_pem_;
  std::vector<KeySpec> specs_;
  VerifierOptions options_;
  std::unique_ptr<JwtVerifier> verifier_;
};

TEST_F(JwtTest, EachAlgorithmVerifiesAndYieldsThePrincipal) {
  for (const char* alg : {"HS256", "RS256", "ES256", "EdDSA"}) {
    auto principal = verifier_->Verify(Sign(alg, Claims()), kNow);
    ASSERT_TRUE(principal.ok()) << alg << ": " << principal.status();
    EXPECT_EQ(principal->subject, "alice");
    EXPECT_EQ(principal->accept, (std::vector<std::string>{"kiosk-7", "room-*"}));
    EXPECT_EQ(principal->offer, (std::vector<std::string>{"kiosk-*"}));
    EXPECT_EQ(principal->expires_at, kNow + absl::Seconds(600));
  }
}

TEST_F(JwtTest, TamperedPayloadOrSignatureIsRefused) {
  for (const char* alg : {"HS256", "RS256", "ES256", "EdDSA"}) {
    std::vector<std::string> parts = absl::StrSplit(Sign(alg, Claims()), '.');
    nlohmann::json evil = Claims();
    evil["sub"] = "mallory";
    EXPECT_EQ(Why(absl::StrCat(parts[0], ".", B64(evil.dump()), ".", parts[2])), "bad signature")
        << alg;
    std::string sig;
    ASSERT_TRUE(absl::WebSafeBase64Unescape(parts[2], &sig));
    sig[sig.size() / 2] ^= 0x01;
    EXPECT_EQ(Why(absl::StrCat(parts[0], ".", parts[1], ".", B64(sig))), "bad signature") << alg;
  }
}

TEST_F(JwtTest, ClaimRules) {
  auto without = [](const char* name) {
    nlohmann::json c = Claims();
    c.erase(name);
    return c;
  };
  EXPECT_EQ(Why(Sign("HS256", without("exp"))), "missing exp");
  EXPECT_EQ(Why(Sign("HS256", without("sub"))), "missing sub");
  EXPECT_EQ(Why(Sign("HS256", without("aud"))), "wrong audience");
  nlohmann::json c = Claims();
  c["sub"] = "";
  EXPECT_EQ(Why(Sign("HS256", c)), "missing sub");
  c = Claims();
  c["exp"] = "tomorrow";
  EXPECT_EQ(Why(Sign("HS256", c)), "missing exp");
  c = Claims();
  c["aud"] = "other";
  EXPECT_EQ(Why(Sign("HS256", c)), "wrong audience");
  c["aud"] = {"other", "signaling"};
  EXPECT_EQ(Why(Sign("HS256", c)), "ok");
}

TEST_F(JwtTest, ExpiryAndNotBeforeWithLeeway) {
  nlohmann::json c = Claims();
  c["exp"] = kNowS - 29;  // inside the 30 s leeway
  EXPECT_EQ(Why(Sign("HS256", c)), "ok");
  c["exp"] = kNowS - 30;  // just past it
  EXPECT_EQ(Why(Sign("HS256", c)), "token expired");
  c = Claims();
  c["nbf"] = kNowS + 29;
  EXPECT_EQ(Why(Sign("HS256", c)), "ok");
  c["nbf"] = kNowS + 31;
  EXPECT_EQ(Why(Sign("HS256", c)), "token not yet valid");
}

TEST_F(JwtTest, IssuerCheckedOnlyWhenConfigured) {
  nlohmann::json c = Claims();
  c["iss"] = "somebody";
  EXPECT_EQ(Why(Sign("HS256", c)), "ok");
  VerifierOptions options;
  options.issuer = "https://id.example.com";
  auto strict = JwtVerifier::Create(specs_, options);
  ASSERT_TRUE(strict.ok());
  EXPECT_EQ((*strict)->Verify(Sign("HS256", c), kNow).status().message(), "wrong issuer");
  c["iss"] = "https://id.example.com";
  EXPECT_TRUE((*strict)->Verify(Sign("HS256", c), kNow).ok());
  EXPECT_EQ((*strict)->Verify(Sign("HS256", Claims()), kNow).status().message(), "wrong issuer");
}

TEST_F(JwtTest, AlgNoneIsRefused) {
  const std::string header = B64(R"({"alg":"none","typ":"JWT","kid":"k-HS256"})");
  const std::string payload = B64(Claims().dump());
  EXPECT_EQ(Why(absl::StrCat(header, ".", payload, ".")), "algorithm not allowed for this key");
  EXPECT_EQ(Why(absl::StrCat(header, ".", payload, ".", B64("x"))),
            "algorithm not allowed for this key");
  const std::string no_kid = B64(R"({"alg":"none"})");
  EXPECT_EQ(Why(absl::StrCat(no_kid, ".", payload, ".")), "missing kid");
}

TEST_F(JwtTest, RsPublicKeyUsedAsHmacSecretIsRefused) {
  // The classic confusion: sign HS256 with the RSA public key as the secret
  // and name the RSA key's kid. The key is bound to RS256, so it fails.
  SigningKey forged{"k-RS256", "HS256", public_pem_["RS256"]};
  auto token = SignJwt(forged, Claims());
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(Why(*token), "algorithm not allowed for this key");
}

TEST_F(JwtTest, AlgorithmMustMatchTheKey) {
  // A valid ES256 signature presented under the EdDSA key's kid.
  SigningKey mislabelled = signing_["ES256"];
  mislabelled.kid = "k-EdDSA";
  EXPECT_EQ(Why(*SignJwt(mislabelled, Claims())), "algorithm not allowed for this key");
  // Header says RS256 but the signature is HMAC under the RS kid.
  SigningKey hs = signing_["HS256"];
  hs.kid = "k-RS256";
  EXPECT_EQ(Why(*SignJwt(hs, Claims(), "RS256")), "bad signature");
}

TEST_F(JwtTest, UnknownAndPathLikeKidsAreRefused) {
  SigningKey key = signing_["HS256"];
  key.kid = "nope";
  EXPECT_EQ(Why(*SignJwt(key, Claims())), "unknown key");
  key.kid = "../../etc/passwd";
  EXPECT_EQ(Why(*SignJwt(key, Claims())), "unknown key");
}

TEST_F(JwtTest, MalformedTokens) {
  EXPECT_EQ(Why(""), "malformed token");
  EXPECT_EQ(Why("a.b"), "malformed token");
  EXPECT_EQ(Why("a.b.c.d"), "malformed token");
  EXPECT_EQ(Why("!!.??.**"), "malformed token");
  EXPECT_EQ(Why(absl::StrCat(B64("not json"), ".", B64("{}"), ".")), "malformed token header");
  EXPECT_EQ(Why(absl::StrCat(B64("[1]"), ".", B64("{}"), ".")), "malformed token header");
  EXPECT_EQ(Why(absl::StrCat(B64(R"({"alg":5,"kid":"k-HS256"})"), ".", B64("{}"), ".")),
            "missing alg");
  nlohmann::json c = Claims();
  c["grants"] = {{"accept", "kiosk-7"}};  // not an array
  EXPECT_EQ(Why(Sign("HS256", c)), "malformed grants");
  c["grants"] = {{"accept", {1, 2}}};
  EXPECT_EQ(Why(Sign("HS256", c)), "malformed grants");
  c["grants"] = "all";
  EXPECT_EQ(Why(Sign("HS256", c)), "malformed grants");
}

TEST_F(JwtTest, OversizedTokenIsRefusedBeforeParsing) {
  nlohmann::json c = Claims();
  c["padding"] = std::string(8 * 1024, 'x');
  EXPECT_EQ(Why(Sign("HS256", c)), "token too large");
}

TEST_F(JwtTest, ReasonsNeverEchoTheToken) {
  const std::string token = Sign("HS256", Claims()) + "tampered";
  auto result = verifier_->Verify(token, kNow);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message().find("tampered"), absl::string_view::npos);
  EXPECT_LT(result.status().message().size(), 64u);
}

TEST_F(JwtTest, CreateRefusesBadConfiguration) {
  VerifierOptions options;
  options.leeway = absl::Seconds(61);
  EXPECT_FALSE(JwtVerifier::Create(specs_, options).ok());
  EXPECT_FALSE(JwtVerifier::Create({}, {}).ok());
  EXPECT_FALSE(JwtVerifier::Create({{"a", "HS512", specs_[0].path}}, {}).ok());
  EXPECT_FALSE(JwtVerifier::Create({specs_[0], specs_[0]}, {}).ok());  // duplicate kid
  const std::string short_secret = dir_ + "/short";
  std::ofstream(short_secret) << "too short";
  EXPECT_FALSE(JwtVerifier::Create({{"s", "HS256", short_secret}}, {}).ok());
  // An EdDSA key offered as RS256 is unsuitable.
  EXPECT_FALSE(JwtVerifier::Create({{"x", "RS256", specs_[3].path}}, {}).ok());
  EXPECT_FALSE(JwtVerifier::Create({{"x", "RS256", dir_ + "/missing"}}, {}).ok());
}

TEST(KeySpecTest, Parses) {
  auto spec = ParseKeySpec("dev:HS256:/keys/a:b");
  ASSERT_TRUE(spec.ok());
  EXPECT_EQ(spec->kid, "dev");
  EXPECT_EQ(spec->alg, "HS256");
  EXPECT_EQ(spec->path, "/keys/a:b");
  EXPECT_FALSE(ParseKeySpec("dev:none:/k").ok());
  EXPECT_FALSE(ParseKeySpec("dev:HS256").ok());
  EXPECT_FALSE(ParseKeySpec(":HS256:/k").ok());
}

}  // namespace
}  // namespace signaling::auth
