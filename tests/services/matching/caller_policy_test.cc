// CallerPolicy: which identity may call which RPC of the matching service.
#include "services/matching/caller_policy.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"

namespace signaling::matching {
namespace {

using Ids = std::vector<std::string>;

CallerPolicy Make(CallerIdentities identities) {
  auto policy = CallerPolicy::Create(identities);
  EXPECT_TRUE(policy.ok()) << policy.status();
  return policy.ok() ? *std::move(policy) : CallerPolicy();
}

TEST(CallerPolicyTest, EachClassOfRpcHasItsOwnList) {
  const CallerPolicy policy =
      Make({.relay = {"gateway"}, .session = {"recorder"}, .admin = {"ops"}});
  EXPECT_TRUE(policy.Allowed(MatchingRpc::kRelay, Ids{"gateway"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kSession, Ids{"gateway"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kListSessions, Ids{"gateway"}));

  EXPECT_TRUE(policy.Allowed(MatchingRpc::kSession, Ids{"recorder"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{"recorder"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kDisconnectPeer, Ids{"recorder"}));

  for (MatchingRpc admin :
       {MatchingRpc::kListSessions, MatchingRpc::kGetStats, MatchingRpc::kDisconnectPeer}) {
    EXPECT_TRUE(policy.Allowed(admin, Ids{"ops"})) << RpcName(admin);
  }
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{"ops"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kSession, Ids{"ops"}));
}

TEST(CallerPolicyTest, AnyOfTheCallersIdentitiesMayMatch) {
  // A certificate gives its CN and every SAN; one listed is enough.
  const CallerPolicy policy = Make({.relay = {"gw.signaling.svc", "spiffe://c/gw"}});
  EXPECT_TRUE(policy.Allowed(MatchingRpc::kRelay, Ids{"gateway-cn", "gw.signaling.svc"}));
  EXPECT_TRUE(policy.Allowed(MatchingRpc::kRelay, Ids{"spiffe://c/gw"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{"gateway-cn", "10.0.0.1"}));
}

TEST(CallerPolicyTest, ComparesExactly) {
  const CallerPolicy policy = Make({.relay = {"gateway"}});
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{"Gateway"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{"gateway2"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{"gatew"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{"gateway "}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kRelay, Ids{std::string("gateway\0", 8)}));
}

TEST(CallerPolicyTest, EmptyListsLetNobodyIn) {
  const CallerPolicy configured = Make({.relay = {"gateway"}});
  const CallerPolicy unconfigured;
  for (MatchingRpc rpc : kAllMatchingRpcs) {
    if (rpc != MatchingRpc::kRelay) {
      EXPECT_FALSE(configured.Allowed(rpc, Ids{"gateway"})) << RpcName(rpc);
    }
    EXPECT_FALSE(unconfigured.Allowed(rpc, Ids{"gateway"})) << RpcName(rpc);
    EXPECT_FALSE(unconfigured.Allowed(rpc, Ids{""})) << RpcName(rpc);
  }
  EXPECT_FALSE(configured.open());
}

TEST(CallerPolicyTest, ACallerWithoutIdentitiesIsRefused) {
  const CallerPolicy policy = Make({.relay = {"gateway"}, .session = {"a"}, .admin = {"b"}});
  for (MatchingRpc rpc : kAllMatchingRpcs) EXPECT_FALSE(policy.Allowed(rpc, Ids{}));
}

TEST(CallerPolicyTest, OpenLetsEveryoneIn) {
  const CallerPolicy open = CallerPolicy::Open();
  EXPECT_TRUE(open.open());
  for (MatchingRpc rpc : kAllMatchingRpcs) EXPECT_TRUE(open.Allowed(rpc, Ids{})) << RpcName(rpc);
}

TEST(CallerPolicyTest, EntriesAreTrimmedAndBadOnesRefused) {
  const CallerPolicy policy = Make({.relay = {" gateway\t"}});
  EXPECT_TRUE(policy.Allowed(MatchingRpc::kRelay, Ids{"gateway"}));

  for (const Ids& bad :
       {Ids{""}, Ids{"a", " "}, Ids{"gate\nway"}, Ids{std::string("a\0b", 3)}, Ids{"del\x7f"}}) {
    EXPECT_FALSE(CallerPolicy::Create({.relay = bad}).ok());
    EXPECT_FALSE(CallerPolicy::Create({.session = bad}).ok());
    const auto admin = CallerPolicy::Create({.admin = bad});
    ASSERT_FALSE(admin.ok());
    EXPECT_NE(admin.status().message().find("admin_identities"), std::string::npos)
        << admin.status();
  }
}

TEST(CallerPolicyTest, RpcNamesAreTheProtoMethodNames) {
  EXPECT_EQ(RpcName(MatchingRpc::kRelay), "Relay");
  EXPECT_EQ(RpcName(MatchingRpc::kSession), "Session");
  EXPECT_EQ(RpcName(MatchingRpc::kListSessions), "ListSessions");
  EXPECT_EQ(RpcName(MatchingRpc::kGetStats), "GetStats");
  EXPECT_EQ(RpcName(MatchingRpc::kDisconnectPeer), "DisconnectPeer");
  EXPECT_EQ(RpcName(MatchingRpc::kEvict), "Evict");
  EXPECT_EQ(RpcName(MatchingRpc::kAcceptorArrived), "AcceptorArrived");
  EXPECT_EQ(RpcName(MatchingRpc::kPeerListSessions), "PeerListSessions");
  EXPECT_EQ(RpcName(MatchingRpc::kPeerGetStats), "PeerGetStats");
  EXPECT_EQ(RpcName(MatchingRpc::kPeerDisconnect), "PeerDisconnect");
}

TEST(CallerPolicyTest, ThePeerRpcsAreForTheOtherReplicasOnly) {
  const CallerPolicy policy = Make(
      {.relay = {"gateway"}, .session = {"recorder"}, .admin = {"ops"}, .peer = {"replica-1"}});
  for (MatchingRpc rpc :
       {MatchingRpc::kEvict, MatchingRpc::kAcceptorArrived, MatchingRpc::kPeerListSessions,
        MatchingRpc::kPeerGetStats, MatchingRpc::kPeerDisconnect}) {
    EXPECT_TRUE(policy.Allowed(rpc, Ids{"replica-1"})) << RpcName(rpc);
    for (const char* other : {"gateway", "recorder", "ops"}) {
      EXPECT_FALSE(policy.Allowed(rpc, Ids{other})) << RpcName(rpc) << " " << other;
    }
  }
  for (MatchingRpc rpc : {MatchingRpc::kSession, MatchingRpc::kListSessions}) {
    EXPECT_FALSE(policy.Allowed(rpc, Ids{"replica-1"})) << RpcName(rpc);
  }
}

TEST(CallerPolicyTest, AReplicaMayOpenRelayStreamsToCarrySessionsOn) {
  const CallerPolicy policy = Make({.relay = {"gateway"}, .peer = {"replica-1"}});
  EXPECT_TRUE(policy.Allowed(MatchingRpc::kRelay, Ids{"replica-1"}));
  EXPECT_TRUE(policy.Allowed(MatchingRpc::kRelay, Ids{"gateway"}));
  EXPECT_FALSE(policy.Allowed(MatchingRpc::kEvict, Ids{"gateway"})) << "not the other way round";
}

}  // namespace
}  // namespace signaling::matching
