// gateway/replica_resolver.h: which --matching_target forms are accepted
// (fixed lists, dns:///host:port, dns:host:port) and which are refused,
// and the system resolver writing addresses as replicas advertise them.
#include "gateway/replica_resolver.h"

#include <algorithm>
#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace signaling::gateway {
namespace {

TEST(ParseMatchingTargetTest, AFixedListKeepsItsOrder) {
  auto target = ParseMatchingTarget(" a:1, b:2 ,c:3");
  ASSERT_TRUE(target.ok()) << target.status();
  EXPECT_FALSE(target->dynamic);
  EXPECT_EQ(target->fixed, (std::vector<std::string>{"a:1", "b:2", "c:3"}));
}

TEST(ParseMatchingTargetTest, BothDnsSpellingsNameOneHostAndPort) {
  for (const char* spelling : {"dns:///matching.ns.svc:7001", "dns:matching.ns.svc:7001"}) {
    auto target = ParseMatchingTarget(spelling);
    ASSERT_TRUE(target.ok()) << spelling << ": " << target.status();
    EXPECT_TRUE(target->dynamic);
    EXPECT_EQ(target->host, "matching.ns.svc");
    EXPECT_EQ(target->port, "7001");
    EXPECT_TRUE(target->fixed.empty());
  }
  auto v6 = ParseMatchingTarget("dns:///[::1]:7001");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->port, "7001");
}

TEST(ParseMatchingTargetTest, RefusesWhatItCannotResolve) {
  for (const char* bad : {
           "",                           // nothing
           " , ",                        // nothing either
           "a:1,a:1",                    // twice
           "a:1,dns:///b:2",             // a name inside a list
           "dns:///host",                // no port
           "dns:///host:",               // empty port
           "dns:///host:0",              // out of range
           "dns:///host:65536",          // out of range
           "dns:///host:+7",             // not decimal
           "dns:///:7001",               // no host
           "dns:///a,b:7001",            // a list behind dns:
           "dns:///::1:7001",            // unbracketed IPv6
           "dns:///[::1]7001",           // no colon after the brackets
           "dns://8.8.8.8/host:7001",    // a DNS server authority
           "dns://8.8.8.8:53/host:7001"  // the same with a port
       }) {
    EXPECT_FALSE(ParseMatchingTarget(bad).ok()) << "accepted: " << bad;
  }
}

TEST(ResolveWithGetaddrinfoTest, WritesAddressesAsReplicasAdvertiseThem) {
  auto v4 = ResolveWithGetaddrinfo("127.0.0.1", "7001");
  ASSERT_TRUE(v4.ok()) << v4.status();
  EXPECT_EQ(*v4, std::vector<std::string>{"127.0.0.1:7001"});
  auto v6 = ResolveWithGetaddrinfo("::1", "7001");
  ASSERT_TRUE(v6.ok()) << v6.status();
  EXPECT_EQ(*v6, std::vector<std::string>{"[::1]:7001"});
  // localhost comes from /etc/hosts (no DNS server needed): its IPv4 entry
  // is among the answers, once.
  auto local = ResolveWithGetaddrinfo("localhost", "7001");
  ASSERT_TRUE(local.ok()) << local.status();
  EXPECT_EQ(std::count(local->begin(), local->end(), "127.0.0.1:7001"), 1);
}

}  // namespace
}  // namespace signaling::gateway
