// The upgrade decisions: exact Origin match, client IP from trusted
// proxies only, subprotocol choice.
#include "gateway/upgrade_policy.h"

#include "gtest/gtest.h"

namespace signaling::gateway {
namespace {

TEST(OriginAllowed, ExactMatchOnly) {
  const std::vector<std::string> allowed = {"https://app.example.com", "http://localhost:8080"};
  EXPECT_TRUE(OriginAllowed(allowed, "https://app.example.com", true));
  EXPECT_TRUE(OriginAllowed(allowed, "http://localhost:8080", true));
  for (const char* bad : {"https://app.example.com.evil.com", "http://app.example.com",
                          "https://app.example.com:8443", "https://APP.example.com", "null", "",
                          "https://app.example.com/", "http://localhost"}) {
    EXPECT_FALSE(OriginAllowed(allowed, bad, true)) << bad;
  }
  EXPECT_FALSE(OriginAllowed(allowed, "", false));  // missing
  EXPECT_TRUE(OriginAllowed({}, "", false));        // no list: dev mode only
}

TEST(ClientIp, HeaderOnlyFromTrustedProxies) {
  EXPECT_EQ(ClientIp("198.51.100.7", {}, "203.0.113.9"), "198.51.100.7");
  EXPECT_EQ(ClientIp("198.51.100.7", {"10.0.0.1"}, "203.0.113.9"), "198.51.100.7");
  EXPECT_EQ(ClientIp("10.0.0.1", {"10.0.0.1"}, "203.0.113.9"), "203.0.113.9");
  // The proxy appends the address it saw: the last entry counts, not what
  // the client claimed first.
  EXPECT_EQ(ClientIp("10.0.0.1", {"10.0.0.1"}, "1.2.3.4, 203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(ClientIp("10.0.0.1", {"10.0.0.1"}, ""), "10.0.0.1");
  EXPECT_EQ(ClientIp("10.0.0.1", {"10.0.0.1"}, std::string(100, 'x')), "10.0.0.1");
}

TEST(ChooseSubprotocol, FirstKnownOneOrJson) {
  EXPECT_EQ(ChooseSubprotocol("", false), Subprotocol::kJson);
  EXPECT_EQ(ChooseSubprotocol("signaling.v1.proto", true), Subprotocol::kProto);
  EXPECT_EQ(ChooseSubprotocol("x, signaling.v1.json , signaling.v1.proto", true), Subprotocol::kJson);
  EXPECT_EQ(ChooseSubprotocol("chat, superchat", true), std::nullopt);
  EXPECT_EQ(ChooseSubprotocol("", true), std::nullopt);
}

}  // namespace
}  // namespace signaling::gateway
