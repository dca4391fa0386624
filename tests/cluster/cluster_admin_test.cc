// The admin API answering for the whole cluster, with the real binaries
// (redis-server, auth, three matching replicas; the test is the gateway,
// one Relay stream per replica): ListSessions on any replica lists every
// replica's sessions, each with its replica; GetStats sums the counts and
// gives each replica's own; DisconnectPeer on one replica closes the holder
// on another as the contract says (1008 to it, peerLeft DISCONNECTED to its
// peer); a paused replica is reported unreachable within the admin
// deadline while the call still answers; Redis gone is UNAVAILABLE.
#include <csignal>
#include <filesystem>
#include <future>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "signaling/v1/matching.grpc.pb.h"
#include "tests/cluster/cluster_stack.h"
#include "tests/cluster/relay_stream.h"
#include "tests/integration/wait.h"

namespace signaling::testing {
namespace {

// The admin API's wait for the members (matching's default), and the
// test's margin for a loaded machine.
constexpr absl::Duration kAdminDeadline = absl::Seconds(1);
constexpr absl::Duration kMargin = absl::Milliseconds(800);

// Every thread of process `pid` is stopped (state T in /proc).
bool AllThreadsStopped(pid_t pid) {
  std::error_code error;
  int threads = 0;
  for (const auto& task :
       std::filesystem::directory_iterator(absl::StrCat("/proc/", pid, "/task"), error)) {
    const std::string stat = ReadFile(task.path().string() + "/stat");
    const size_t end = stat.rfind(") ");  // after the command name, which may hold blanks
    if (end == std::string::npos || stat.size() <= end + 2 || stat[end + 2] != 'T') return false;
    ++threads;
  }
  return !error && threads > 0;
}

class ClusterAdminTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(stack_.Start());
    for (int i = 0; i < 3; ++i) {
      streams_.push_back(std::make_unique<RelayStream>(stack_.address(i)));
      admins_.push_back(v1::MatchingAdmin::NewStub(
          grpc::CreateChannel(stack_.address(i), grpc::InsecureChannelCredentials())));
    }
    owner_ = stack_.Token("kiosk-owner", {"kiosk-*"}, {});
    user_ = stack_.Token("user-42", {}, {"kiosk-*"});
  }

  std::string Join(int replica, uint64_t conn, const std::string& token, v1::Role role,
                   const std::string& id) {
    RelayStream& stream = *streams_[replica];
    stream.Open(conn);
    stream.Send(conn, JoinMessage(token, role, id));
    return Describe(stream.Next(conn));
  }

  // An acceptor kiosk-<i> on every replica i, and on replica 2 an offerer
  // paired with it: four sessions, three ids, one pairing.
  void SessionsOnEveryReplica() {
    for (int i = 0; i < 3; ++i) {
      ASSERT_EQ(Join(i, 1, owner_, v1::ACCEPTOR, absl::StrCat("kiosk-", i)), "joined");
    }
    ASSERT_EQ(Join(2, 2, user_, v1::OFFERER, "kiosk-2"), "joined");
    ASSERT_EQ(Describe(streams_[2]->Next(2)), "paired");
    ASSERT_EQ(Describe(streams_[2]->Next(1)), "paired");
  }

  // Calls to the admin API of replica `i` (from any thread); the client's
  // own deadline is long, so that the server's is what bounds the call.
  v1::MatchingAdmin::Stub& Admin(int i) { return *admins_[i]; }
  static void LongDeadline(grpc::ClientContext& context) {
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  }
  grpc::Status ListSessions(int i, v1::ListSessionsResponse* out) {
    grpc::ClientContext context;
    LongDeadline(context);
    return Admin(i).ListSessions(&context, v1::ListSessionsRequest(), out);
  }
  grpc::Status GetStats(int i, v1::Stats* out) {
    grpc::ClientContext context;
    LongDeadline(context);
    return Admin(i).GetStats(&context, v1::StatsRequest(), out);
  }
  grpc::Status Disconnect(int i, const std::string& id, v1::DisconnectPeerResponse* out) {
    grpc::ClientContext context;
    LongDeadline(context);
    v1::DisconnectPeerRequest request;
    request.set_peer_id(id);
    return Admin(i).DisconnectPeer(&context, request, out);
  }

  // "<role> <id>" -> the replica that listed it.
  static std::map<std::string, std::string> Where(const v1::ListSessionsResponse& list) {
    std::map<std::string, std::string> where;
    for (const v1::SessionInfo& s : list.sessions()) {
      const std::string key =
          s.role() == v1::ACCEPTOR ? "acceptor " + s.peer_id() : "offerer " + s.target_id();
      where[key] = s.replica();
    }
    return where;
  }

  ClusterStack stack_{3};
  std::vector<std::unique_ptr<RelayStream>> streams_;
  // Made before any call: the calls run on several threads at once.
  std::vector<std::unique_ptr<v1::MatchingAdmin::Stub>> admins_;
  std::string owner_;  // accepts kiosk-*
  std::string user_;   // offers to kiosk-*
};

TEST_F(ClusterAdminTest, ListSessionsOnAnyReplicaListsEveryReplicasSessionsWithTheirReplica) {
  SessionsOnEveryReplica();
  const std::map<std::string, std::string> expected = {{"acceptor kiosk-0", stack_.address(0)},
                                                       {"acceptor kiosk-1", stack_.address(1)},
                                                       {"acceptor kiosk-2", stack_.address(2)},
                                                       {"offerer kiosk-2", stack_.address(2)}};
  for (int i = 0; i < 3; ++i) {
    v1::ListSessionsResponse list;
    ASSERT_TRUE(ListSessions(i, &list).ok()) << "replica " << i;
    EXPECT_EQ(Where(list), expected) << "asked replica " << i;
    EXPECT_EQ(list.sessions_size(), 4) << "asked replica " << i;
    EXPECT_EQ(list.unreachable_size(), 0) << "asked replica " << i;
  }
}

TEST_F(ClusterAdminTest, GetStatsOnAnyReplicaSumsTheCountsAndGivesEachReplicasOwn) {
  SessionsOnEveryReplica();
  for (int i = 0; i < 3; ++i) {
    v1::Stats stats;
    ASSERT_TRUE(GetStats(i, &stats).ok()) << "replica " << i;
    EXPECT_EQ(stats.sessions(), 4u) << "asked replica " << i;
    EXPECT_EQ(stats.ids(), 3u);
    EXPECT_EQ(stats.pairings(), 1u);
    EXPECT_EQ(stats.unreachable_size(), 0);
    ASSERT_EQ(stats.replicas_size(), 3);
    std::map<std::string, uint64_t> sessions;
    for (const v1::ReplicaStats& own : stats.replicas()) {
      sessions[own.replica()] = own.stats().sessions();
    }
    EXPECT_EQ(sessions,
              (std::map<std::string, uint64_t>{
                  {stack_.address(0), 1}, {stack_.address(1), 1}, {stack_.address(2), 2}}));
  }
}

TEST_F(ClusterAdminTest, DisconnectPeerOnOneReplicaClosesTheHolderOnAnother) {
  ASSERT_EQ(Join(1, 1, owner_, v1::ACCEPTOR, "kiosk-7"), "joined");
  ASSERT_EQ(Join(1, 2, user_, v1::OFFERER, "kiosk-7"), "joined");
  ASSERT_EQ(Describe(streams_[1]->Next(2)), "paired");
  ASSERT_EQ(Describe(streams_[1]->Next(1)), "paired");

  v1::DisconnectPeerResponse response;
  ASSERT_TRUE(Disconnect(0, "kiosk-7", &response).ok());
  EXPECT_TRUE(response.disconnected());
  EXPECT_EQ(response.replica(), stack_.address(1));
  EXPECT_EQ(response.unreachable_size(), 0);
  // The contract's close: the acceptor's socket closed (1008), its peer
  // told peerLeft DISCONNECTED.
  EXPECT_EQ(Describe(streams_[1]->Next(1)), "close:1008");
  EXPECT_EQ(Describe(streams_[1]->Next(2)), "peer_left:DISCONNECTED");

  // Nothing more to disconnect, anywhere (B's release of the id may still
  // be on its way to Redis: then B is asked, and has nothing either).
  response.Clear();
  ASSERT_TRUE(Disconnect(2, "kiosk-7", &response).ok());
  EXPECT_FALSE(response.disconnected());
  EXPECT_EQ(response.unreachable_size(), 0);
  // A holder on the replica asked is closed there.
  ASSERT_EQ(Join(0, 3, owner_, v1::ACCEPTOR, "kiosk-8"), "joined");
  response.Clear();
  ASSERT_TRUE(Disconnect(0, "kiosk-8", &response).ok());
  EXPECT_TRUE(response.disconnected());
  EXPECT_EQ(response.replica(), stack_.address(0));
  EXPECT_EQ(Describe(streams_[0]->Next(3)), "close:1008");
}

TEST_F(ClusterAdminTest, APausedReplicaIsReportedUnreachableWithinTheDeadline) {
  SessionsOnEveryReplica();
  stack_.replica(2).Signal(SIGSTOP);
  // SIGSTOP is taken by one of its threads first; until then the others
  // may still answer.
  ASSERT_TRUE(WaitFor([&] { return AllThreadsStopped(stack_.replica(2).pid()); }, absl::Seconds(1),
                      absl::Milliseconds(1)));
  // All three at once, while the paused replica's membership (3 s lease,
  // renewed every second) still names it a member.
  const absl::Time start = absl::Now();
  auto list = std::async(std::launch::async, [&] {
    v1::ListSessionsResponse out;
    EXPECT_TRUE(ListSessions(0, &out).ok());
    return std::make_pair(out, absl::Now() - start);
  });
  auto stats = std::async(std::launch::async, [&] {
    v1::Stats out;
    EXPECT_TRUE(GetStats(1, &out).ok());
    return std::make_pair(out, absl::Now() - start);
  });
  auto disconnect = std::async(std::launch::async, [&] {
    v1::DisconnectPeerResponse out;
    EXPECT_TRUE(Disconnect(0, "kiosk-2", &out).ok());
    return std::make_pair(out, absl::Now() - start);
  });
  const std::vector<std::string> paused = {stack_.address(2)};

  const auto [sessions, list_took] = list.get();
  EXPECT_EQ(Where(sessions),
            (std::map<std::string, std::string>{{"acceptor kiosk-0", stack_.address(0)},
                                                {"acceptor kiosk-1", stack_.address(1)}}));
  EXPECT_EQ(std::vector<std::string>(sessions.unreachable().begin(), sessions.unreachable().end()),
            paused);
  EXPECT_LT(list_took, kAdminDeadline + kMargin);

  const auto [counts, stats_took] = stats.get();
  EXPECT_EQ(counts.sessions(), 2u);
  EXPECT_EQ(counts.ids(), 2u);
  EXPECT_EQ(counts.replicas_size(), 2);
  EXPECT_EQ(std::vector<std::string>(counts.unreachable().begin(), counts.unreachable().end()),
            paused);
  EXPECT_LT(stats_took, kAdminDeadline + kMargin);

  const auto [disconnected, disconnect_took] = disconnect.get();
  EXPECT_FALSE(disconnected.disconnected());
  EXPECT_EQ(disconnected.replica(), stack_.address(2));
  EXPECT_EQ(std::vector<std::string>(disconnected.unreachable().begin(),
                                     disconnected.unreachable().end()),
            paused);
  EXPECT_LT(disconnect_took, kAdminDeadline + kMargin);
  stack_.replica(2).Signal(SIGCONT);
}

TEST_F(ClusterAdminTest, RedisGoneIsUnavailableAndSaysSo) {
  SessionsOnEveryReplica();
  stack_.redis().Kill();
  const absl::Time start = absl::Now();
  v1::ListSessionsResponse list;
  const grpc::Status listed = ListSessions(0, &list);
  EXPECT_EQ(listed.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_NE(listed.error_message().find("Redis"), std::string::npos) << listed.error_message();
  v1::Stats stats;
  EXPECT_EQ(GetStats(1, &stats).error_code(), grpc::StatusCode::UNAVAILABLE);
  v1::DisconnectPeerResponse response;
  EXPECT_EQ(Disconnect(2, "kiosk-0", &response).error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_LT(absl::Now() - start, 3 * (kAdminDeadline + kMargin));
  EXPECT_EQ(Describe(streams_[0]->Next(1, absl::Milliseconds(200))), "(nothing)")
      << "nobody was disconnected";
}

}  // namespace
}  // namespace signaling::testing
