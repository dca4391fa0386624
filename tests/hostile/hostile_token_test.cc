// Forged, expired and misdirected tokens against the real stack (alg none,
// unknown or path kids, HS/RS confusion, audience, issuer, nbf, tampering,
// size), refused refreshes and expiry while paired. Each asserts the exact
// error and close code: UNAUTHENTICATED + 4001 or PERMISSION_DENIED + 4003
// (protocol-v1 sections 5-7, docs/protocol.md section 9).
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "services/auth/jwt.h"
#include "tests/hostile/hostile_fixture.h"

namespace signaling::testing {
namespace {

std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

nlohmann::json Claims(int64_t exp_offset = 3600) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return {{"sub", "kiosk-owner"},
          {"aud", "signaling"},
          {"exp", now + exp_offset},
          {"grants", {{"accept", {"kiosk-*"}}, {"offer", nlohmann::json::array()}}}};
}

class HostileTokenTest : public HostileTest {
 protected:
  auth::SigningKey DevKey() {
    auto key = auth::LoadSigningKey("dev", "HS256", stack().key_path());
    EXPECT_TRUE(key.ok()) << key.status();
    return *key;
  }
  std::string Sign(const auth::SigningKey& key, const nlohmann::json& claims,
                   const std::string& header_alg = "") {
    auto t = auth::SignJwt(key, claims, header_alg);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::string();
  }
  void ExpectRefused(const std::string& token, const std::string& error, uint16_t close,
                     const std::string& peer_id = "kiosk-7") {
    WsClient& c = Connect();
    c.Send(JoinAcceptor(token, peer_id));
    EXPECT_EQ(KindOf(c.Read()), error);
    EXPECT_EQ(CodeText(c.WaitClose()), std::to_string(close));
  }
  void ExpectUnauthenticated(const std::string& token) {
    ExpectRefused(token, "error:UNAUTHENTICATED", 4001);
  }
};

TEST_F(HostileTokenTest, ControlValidTokenJoins) {
  WsClient& c = Connect();
  c.Send(JoinAcceptor(Sign(DevKey(), Claims()), "kiosk-7"));
  EXPECT_EQ(KindOf(c.Read()), "joined");
}

TEST_F(HostileTokenTest, AlgNone) {
  const std::string token =
      B64(R"({"alg":"none","typ":"JWT","kid":"dev"})") + "." + B64(Claims().dump()) + ".";
  ExpectUnauthenticated(token);
  ExpectUnauthenticated(token.substr(0, token.size() - 1));  // no signature part at all
}

TEST_F(HostileTokenTest, Hs256UnderUnknownKid) {
  ExpectUnauthenticated(Sign({"rsa-prod", "HS256", std::string(32, 'k')}, Claims()));
}

TEST_F(HostileTokenTest, Rs256HeaderUnderHs256Kid) {
  // Signed with the real dev secret, but the header claims RS256.
  ExpectUnauthenticated(Sign(DevKey(), Claims(), "RS256"));
}

TEST_F(HostileTokenTest, ExpiredPastTheLeeway) {
  ExpectUnauthenticated(Sign(DevKey(), Claims(-40)));
  ExpectUnauthenticated(stack().Token("kiosk-owner", {"kiosk-*"}, {}, absl::Minutes(-5)));
}

TEST_F(HostileTokenTest, NotBeforeInTheFuture) {
  nlohmann::json c = Claims();
  c["nbf"] = absl::ToUnixSeconds(absl::Now()) + 600;
  ExpectUnauthenticated(Sign(DevKey(), c));
}

TEST_F(HostileTokenTest, WrongAudience) {
  nlohmann::json c = Claims();
  c["aud"] = "other";
  ExpectUnauthenticated(Sign(DevKey(), c));
}

TEST_F(HostileTokenTest, PathTraversalKid) {
  ExpectUnauthenticated(Sign({"../../etc/passwd", "HS256", std::string(32, 'k')}, Claims()));
  auth::SigningKey key = DevKey();
  key.kid = "../../etc/passwd";
  ExpectUnauthenticated(Sign(key, Claims()));
}

TEST_F(HostileTokenTest, TokenOver8KiB) {
  nlohmann::json c = Claims();
  c["pad"] = std::string(8 * 1024, 'p');
  ExpectUnauthenticated(Sign(DevKey(), c));  // validly signed, but too big
}

TEST_F(HostileTokenTest, TamperedPayload) {
  const std::string token = stack().Token("user-42", {}, {"kiosk-*"});
  const size_t d1 = token.find('.'), d2 = token.rfind('.');
  nlohmann::json c = Claims();
  c["sub"] = "user-42";
  c["grants"]["accept"] = {"*"};
  const std::string forged = token.substr(0, d1 + 1) + B64(c.dump()) + token.substr(d2);
  ExpectUnauthenticated(forged);
}

TEST_F(HostileTokenTest, GarbageTokens) {
  for (const std::string t : {"", "a", "a.b.c", "..", "eyJ.eyJ.eyJ", "\x01.\x02.\x03"}) {
    SCOPED_TRACE(absl::CEscape(t));
    ExpectUnauthenticated(t);
  }
}

TEST_F(HostileTokenTest, ValidTokenForAnotherPeerIdIsPermissionDenied4003) {
  ExpectRefused(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "error:PERMISSION_DENIED", 4003,
                "printer-1");
}

TEST_F(HostileTest, RefusedRefreshesAreNotFatal) {
  // Section 9: a refused refresh gets UNAUTHENTICATED or PERMISSION_DENIED
  // and the session goes on; a good one is silent.
  auto [a, b] = Pair();
  a->Send(Refresh("not.a.token"));
  ExpectNonFatal(*a, "error:UNAUTHENTICATED");
  a->Send(Refresh(stack().Token("someone-else", {"kiosk-*"}, {})));
  ExpectNonFatal(*a, "error:UNAUTHENTICATED");
  a->Send(Refresh(stack().Token("kiosk-owner", {"printer-*"}, {})));
  ExpectNonFatal(*a, "error:PERMISSION_DENIED");
  b->Send(Refresh(stack().Token("user-42", {}, {"printer-*"})));
  ExpectNonFatal(*b, "error:PERMISSION_DENIED");
  a->Send(Refresh(stack().Token("kiosk-owner", {"kiosk-*"}, {})));
  a->Send(Ping("silent"));
  auto pong = a->Read();
  ASSERT_EQ(KindOf(pong), "pong") << "a good refresh has no reply";
  EXPECT_EQ(pong->pong().nonce(), "silent");
  // The pairing is intact.
  b->Send(Offer(kTestOffer));
  EXPECT_EQ(KindOf(a->Read()), "offer");
}

// The tokens' lifetimes leave seconds for what must happen before they
// expire (a refresh verified, a pairing made), however slow the machine;
// exp is in whole seconds, so a token of n seconds lasts n-1 to n.
TEST(HostileTokenExpiry, ExpiryCloses4001PeerSeesDisconnectedRefusedRefreshDoesNotExtend) {
  Stack stack;
  {
    // Refreshed in time with a good token: outlives its first expiry.
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok());
    constexpr absl::Duration kFirstTtl = absl::Seconds(4);
    const absl::Time until = absl::Now() + kFirstTtl + absl::Seconds(1);
    (*c)->Send(JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}, kFirstTtl), "kiosk-8"));
    ASSERT_EQ(KindOf((*c)->Read()), "joined");
    (*c)->Send(Refresh(stack.Token("kiosk-owner", {"kiosk-*"}, {}, absl::Hours(1))));
    // A ping every 250 ms (under the rate limit) until a second past the
    // first expiry, each answered.
    int pings = 0;
    std::string last = "pong";
    WaitUntil(
        [&] {
          (*c)->Send(Ping(std::to_string(pings++)));
          last = KindOf((*c)->Read());
          return last != "pong";
        },
        until, absl::Milliseconds(250));
    ASSERT_EQ(last, "pong") << "after " << pings << " pings";
    (*c)->Close();
  }
  auto a = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(a.ok());
  (*a)->Send(
      JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}, absl::Seconds(6)), "kiosk-7"));
  ASSERT_EQ(KindOf((*a)->Read()), "joined");
  auto b = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(b.ok());
  (*b)->Send(JoinOfferer(stack.Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
  ASSERT_EQ(KindOf((*b)->Read()), "joined");
  ASSERT_EQ(KindOf((*a)->Read()), "paired");
  ASSERT_EQ(KindOf((*b)->Read()), "paired");
  (*a)->Send(Refresh("not.a.token"));
  EXPECT_EQ(KindOf((*a)->Read()), "error:UNAUTHENTICATED");
  // The old expiry stands: error UNAUTHENTICATED, close 4001; the peer gets
  // peerLeft DISCONNECTED and, being an offerer, close 1000.
  EXPECT_EQ(KindOf((*a)->Read(absl::Seconds(15))), "error:UNAUTHENTICATED");
  EXPECT_EQ(CodeText((*a)->WaitClose()), "4001");
  EXPECT_EQ(KindOf((*b)->Read(absl::Seconds(10))), "peerLeft:DISCONNECTED");
  EXPECT_EQ(CodeText((*b)->WaitClose()), "1000");
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

TEST(HostileTokenKeys, RsaPublicKeyAsHmacSecretIsUnauthenticated4001) {
  // HS/RS confusion through the gateway: an RS256 key is configured; a token
  // signed HS256 with that key's public PEM as the HMAC secret, under its kid.
  auto rsa = auth::GenerateKeyMaterial("RS256");
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  auto public_pem = auth::PublicKeyPem(*rsa);
  ASSERT_TRUE(public_pem.ok()) << public_pem.status();
  const std::string path =
      ::testing::TempDir() + "/hostile-rsa-" + std::to_string(getpid()) + ".pem";
  std::ofstream(path, std::ios::binary) << *rsa;
  Stack stack(StackOptions{.auth = [&](auth::AuthServerOptions& o) {
    o.keys.push_back({"rsa", "RS256", path});
  }});
  auto sign = [](const auth::SigningKey& key) {
    auto t = auth::SignJwt(key, Claims());
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::string();
  };
  EXPECT_EQ(JoinOutcome(stack, sign({"rsa", "RS256", *rsa}), "kiosk-7"), "joined");  // control
  EXPECT_EQ(JoinOutcome(stack, sign({"rsa", "HS256", *public_pem}), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  EXPECT_EQ(JoinOutcome(stack, sign({"dev", "HS256", *public_pem}), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  std::remove(path.c_str());
  ExpectHealthy(stack);
}

TEST(HostileTokenKeys, WrongOrMissingIssuerIsUnauthenticated4001) {
  Stack stack(StackOptions{
      .auth = [](auth::AuthServerOptions& o) { o.verifier.issuer = "https://id.example"; }});
  auto key = auth::LoadSigningKey("dev", "HS256", stack.key_path());
  ASSERT_TRUE(key.ok());
  auto sign = [&](const std::optional<std::string>& iss) {
    nlohmann::json c = Claims();
    if (iss) c["iss"] = *iss;
    auto t = auth::SignJwt(*key, c);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::string();
  };
  EXPECT_EQ(JoinOutcome(stack, sign("https://id.example"), "kiosk-7"), "joined");  // control
  EXPECT_EQ(JoinOutcome(stack, sign("https://evil.example"), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  EXPECT_EQ(JoinOutcome(stack, sign("https://id.example/"), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  EXPECT_EQ(JoinOutcome(stack, sign(std::nullopt), "kiosk-7"), "error:UNAUTHENTICATED close:4001");
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

}  // namespace
}  // namespace signaling::testing
