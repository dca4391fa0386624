// Tests of the redaction of ids and addresses (common/log/redact.h).
#include "common/log/redact.h"

#include <set>
#include <string>

#include "gtest/gtest.h"

namespace signaling::log {
namespace {

struct IpCase {
  std::string in;
  std::string out;
};

TEST(RedactIp, KeepsOnlyTheNetworkOfTheParsedAddress) {
  const IpCase cases[] = {
      // IPv4: the /24.
      {"203.0.113.77", "203.0.113.0/24"},
      {"10.1.2.3", "10.1.2.0/24"},
      {"0.0.0.0", "0.0.0.0/24"},
      {"255.255.255.255", "255.255.255.0/24"},
      // IPv6, compressed or not: the /48, printed canonically.
      {"fd00::1", "fd00::/48"},
      {"::1", "::/48"},
      {"::", "::/48"},
      {"2001:db8:85a3::8a2e:370:7334", "2001:db8:85a3::/48"},
      {"2001:0DB8:85A3:0000:0000:8A2E:0370:7334", "2001:db8:85a3::/48"},
      {"2001:db8::1", "2001:db8::/48"},
      {"2001:db8:1:2:3:4:5:6", "2001:db8:1::/48"},
      // IPv4-mapped IPv6: the IPv4 /24.
      {"::ffff:198.51.100.9", "198.51.100.0/24"},
      {"::FFFF:c633:6409", "198.51.100.0/24"},
      // Zone ids are dropped; brackets and a port are accepted.
      {"fe80::1%eth0", "fe80::/48"},
      {"fe80::abcd:1%25", "fe80::/48"},
      {"[2001:db8:aa::1]", "2001:db8:aa::/48"},
      {"[2001:db8:aa::1]:443", "2001:db8:aa::/48"},
      {"[::ffff:192.0.2.1]:80", "192.0.2.0/24"},
      // Garbage: nothing of it.
      {"", "?"},
      {"?", "?"},
      {"not an ip", "?"},
      {"1.2.3", "?"},
      {"1.2.3.4.5", "?"},
      {"256.1.1.1", "?"},
      {"01.2.3.4", "?"},
      {"1.2.3.4:80", "?"},
      {"1.2.3.4%eth0", "?"},
      {"fd00::1::2", "?"},
      {"fd00:::1", "?"},
      {"[fd00::1", "?"},
      {"[fd00::1]x", "?"},
      {"2001:db8::g", "?"},
      {std::string("10.0.0.1\0.9", 11), "?"},
      {"10.0.0.1\n", "?"},
      {"<script>", "?"},
  };
  for (const IpCase& c : cases) {
    EXPECT_EQ(RedactIp(c.in), c.out) << "input: \"" << c.in << "\"";
  }
}

TEST(RedactIp, NeverContainsTheHostPart) {
  for (const char* ip : {"fd00::1234:5678", "2001:db8:1:2:3:4:5:abcd", "fe80::dead:beef%eth0"}) {
    const std::string r = RedactIp(ip);
    EXPECT_EQ(r.find("5678"), std::string::npos) << ip << " -> " << r;
    EXPECT_EQ(r.find("abcd"), std::string::npos) << ip << " -> " << r;
    EXPECT_EQ(r.find("beef"), std::string::npos) << ip << " -> " << r;
    EXPECT_EQ(r.find("eth0"), std::string::npos) << ip << " -> " << r;
  }
}

TEST(Redact, IsStableAcrossProcessesAndBuilds) {
  // Fixed values: the gateway's and matching's lines are joined on them,
  // so they must not depend on a per-process seed.
  EXPECT_EQ(Redact(""), Redact(""));
  EXPECT_EQ(Redact("kiosk-7"), Redact(std::string("kiosk-") + "7"));
  EXPECT_EQ(Redact("kiosk-7"), "#38282554f8d7");
}

TEST(Redact, LooksNothingLikeTheId) {
  std::set<std::string> seen;
  for (const std::string id :
       {"kiosk-7", "kiosk-8", "a", "b", "0f8e3c1e-7b0c-4d51-9d0a-5c3b1b2e9a77",
        "0f8e3c1e-7b0c-4d51-9d0a-5c3b1b2e9a78"}) {
    const std::string r = Redact(id);
    ASSERT_EQ(r.size(), 13u) << r;
    EXPECT_EQ(r[0], '#');
    EXPECT_EQ(r.find_first_not_of("0123456789abcdef", 1), std::string::npos) << r;
    if (id.size() > 2) EXPECT_EQ(r.find(id), std::string::npos) << id << " -> " << r;
    EXPECT_TRUE(seen.insert(r).second) << "two ids share " << r;
  }
  // Ids one character apart differ in most digits, not only the last.
  const std::string a = Redact("kiosk-7"), b = Redact("kiosk-8");
  int same = 0;
  for (size_t i = 1; i < a.size(); ++i) same += a[i] == b[i];
  EXPECT_LT(same, 6) << a << " vs " << b;
}

}  // namespace
}  // namespace signaling::log
