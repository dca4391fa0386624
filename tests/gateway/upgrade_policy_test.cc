// The upgrade decisions: exact Origin match, client IP from trusted
// proxies only, subprotocol choice, admission under the connection caps.
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

TrustedProxies Proxies(const std::vector<std::string>& entries) {
  auto proxies = TrustedProxies::Parse(entries);
  EXPECT_TRUE(proxies.ok()) << proxies.status();
  return proxies.ok() ? *proxies : TrustedProxies();
}

TEST(TrustedProxies, AddressesAndRanges) {
  const TrustedProxies proxies = Proxies({"10.0.0.1", "192.168.0.0/16", "fd00::/8", "2001:db8::7"});
  for (const char* in : {"10.0.0.1", "192.168.3.4", "192.168.255.255", "fd12::1", "2001:db8::7",
                         "::ffff:10.0.0.1", "::ffff:192.168.0.9"}) {
    EXPECT_TRUE(proxies.Contains(in)) << in;
  }
  for (const char* out : {"10.0.0.2", "192.169.0.1", "fe80::1", "2001:db8::8", "", "not-an-ip",
                          "10.0.0.1/32", "::ffff:10.0.0.2"}) {
    EXPECT_FALSE(proxies.Contains(out)) << out;
  }
  EXPECT_TRUE(Proxies({"0.0.0.0/0"}).Contains("203.0.113.9"));
  EXPECT_TRUE(Proxies({}).empty());
}

TEST(TrustedProxies, BadEntriesAreNamed) {
  for (const char* bad : {"10.0.0.0/33", "fd00::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0/8",
                          "proxy.example.com", "", "10.0.0.1/8x", "10.0.0.1/0008"}) {
    auto proxies = TrustedProxies::Parse({bad});
    ASSERT_FALSE(proxies.ok()) << bad;
    EXPECT_NE(proxies.status().message().find("trusted_proxies"), std::string::npos);
  }
}

TEST(ClientIp, HeaderOnlyFromTrustedProxies) {
  EXPECT_EQ(ClientIp("198.51.100.7", Proxies({}), "203.0.113.9"), "198.51.100.7");
  EXPECT_EQ(ClientIp("198.51.100.7", Proxies({"10.0.0.1"}), "203.0.113.9"), "198.51.100.7");
  EXPECT_EQ(ClientIp("10.0.0.1", Proxies({"10.0.0.1"}), "203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(ClientIp("10.1.2.3", Proxies({"10.0.0.0/8"}), "203.0.113.9"), "203.0.113.9");
  // The proxy appends the address it saw: the last entry counts, not what
  // the client claimed first.
  EXPECT_EQ(ClientIp("10.0.0.1", Proxies({"10.0.0.1"}), "1.2.3.4, 203.0.113.9"), "203.0.113.9");
  EXPECT_EQ(ClientIp("10.0.0.1", Proxies({"10.0.0.1"}), " 2001:db8::1 "), "2001:db8::1");
  // Anything but an address in the last entry: the proxy's own address.
  for (const char* bad : {"", "1.2.3.4, ", "unknown", "1.2.3.4:5678", "999.0.0.1"}) {
    EXPECT_EQ(ClientIp("10.0.0.1", Proxies({"10.0.0.1"}), bad), "10.0.0.1") << bad;
  }
  EXPECT_EQ(ClientIp("10.0.0.1", Proxies({"10.0.0.1"}), std::string(100, 'x')), "10.0.0.1");
}

TEST(ChooseSubprotocol, FirstKnownOneOrJson) {
  EXPECT_EQ(ChooseSubprotocol("", false), Subprotocol::kJson);
  EXPECT_EQ(ChooseSubprotocol("signaling.v1.proto", true), Subprotocol::kProto);
  EXPECT_EQ(ChooseSubprotocol("x, signaling.v1.json , signaling.v1.proto", true),
            Subprotocol::kJson);
  EXPECT_EQ(ChooseSubprotocol("chat, superchat", true), std::nullopt);
  EXPECT_EQ(ChooseSubprotocol("", true), std::nullopt);
}

TEST(AdmitConnection, AdmitsBelowBothCaps) {
  EXPECT_EQ(AdmitConnection(/*admitted=*/0, /*max_connections=*/10, /*from_ip=*/0,
                            /*max_connections_per_ip=*/2),
            Admission::kAdmitted);
  // The last free slot on each cap.
  EXPECT_EQ(AdmitConnection(9, 10, 1, 2), Admission::kAdmitted);
}

TEST(AdmitConnection, GatewayCapFirst) {
  EXPECT_EQ(AdmitConnection(10, 10, 0, 2), Admission::kAtCapacity);
  EXPECT_EQ(AdmitConnection(11, 10, 0, 2), Admission::kAtCapacity);
  // Both caps reached: the gateway's wins (a 503, not a 429).
  EXPECT_EQ(AdmitConnection(10, 10, 2, 2), Admission::kAtCapacity);
}

TEST(AdmitConnection, PerIpCap) {
  EXPECT_EQ(AdmitConnection(3, 10, 2, 2), Admission::kPerIpCap);
  EXPECT_EQ(AdmitConnection(3, 10, 5, 2), Admission::kPerIpCap);
}

TEST(AdmitConnection, ZeroCapsAdmitNobody) {
  EXPECT_EQ(AdmitConnection(0, 0, 0, 2), Admission::kAtCapacity);
  EXPECT_EQ(AdmitConnection(0, 10, 0, 0), Admission::kPerIpCap);
}

}  // namespace
}  // namespace signaling::gateway
