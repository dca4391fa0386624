// The engine's own views in the admin API's wire form (admin_wire.h): every
// field carried, the id under peerId or targetId by role, times as
// timestamps; and the cluster's answers merged from its replicas': sessions
// tagged with their replica, every count summed, the silent ones listed.
#include "services/matching/admin_wire.h"

#include "google/protobuf/util/time_util.h"
#include "gtest/gtest.h"

namespace signaling::matching {
namespace {

using google::protobuf::util::TimeUtil;

TEST(AdminWire, StatsCarryEveryCount) {
  const v1::Stats wire = ToWire(EngineStats{.sessions = 6,
                                            .ids = 5,
                                            .pairings = 4,
                                            .waiting_offerers = 3,
                                            .pending_verifications = 2,
                                            .timers = 1});
  EXPECT_EQ(wire.sessions(), 6u);
  EXPECT_EQ(wire.ids(), 5u);
  EXPECT_EQ(wire.pairings(), 4u);
  EXPECT_EQ(wire.waiting_offerers(), 3u);
  EXPECT_EQ(wire.pending_verifications(), 2u);
  EXPECT_EQ(wire.timers(), 1u);
}

TEST(AdminWire, SessionCarriesEveryFieldAndItsIdByRole) {
  const absl::Time connected = absl::FromUnixMillis(1'700'000'000'123);
  SessionView view{.session_id = "s_1",
                   .role = v1::ACCEPTOR,
                   .id = "kiosk-7",
                   .subject = "owner",
                   .state = "registered",
                   .client_ip = "192.0.2.1",
                   .connected_at = connected,
                   .last_activity = connected + absl::Seconds(2),
                   .messages_in = 7,
                   .messages_out = 9};
  v1::SessionInfo wire = ToWire(view);
  EXPECT_EQ(wire.session_id(), "s_1");
  EXPECT_EQ(wire.role(), v1::ACCEPTOR);
  EXPECT_EQ(wire.peer_id(), "kiosk-7");
  EXPECT_EQ(wire.target_id(), "");
  EXPECT_EQ(wire.subject(), "owner");
  EXPECT_EQ(wire.state(), "registered");
  EXPECT_EQ(wire.client_ip(), "192.0.2.1");
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(wire.connected_at()), 1'700'000'000'123);
  EXPECT_EQ(TimeUtil::TimestampToMilliseconds(wire.last_activity()), 1'700'000'002'123);
  EXPECT_EQ(wire.messages_in(), 7u);
  EXPECT_EQ(wire.messages_out(), 9u);

  view.role = v1::OFFERER;
  wire = ToWire(view);
  EXPECT_EQ(wire.peer_id(), "");
  EXPECT_EQ(wire.target_id(), "kiosk-7");

  view.role = v1::ROLE_UNSPECIFIED;  // not joined yet: no id either way
  view.id.clear();
  const std::vector<v1::SessionInfo> list = ToWire(std::vector<SessionView>{view, view});
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[1].peer_id(), "");
  EXPECT_EQ(list[1].target_id(), "");
  const v1::ListSessionsResponse response = ToWireList(std::vector<SessionView>{view, view});
  ASSERT_EQ(response.sessions_size(), 2);
  EXPECT_EQ(response.sessions(1).session_id(), "s_1");
  EXPECT_EQ(response.sessions(1).replica(), "") << "alone, no replica";
}

v1::ListSessionsResponse SessionsOf(std::vector<std::string> ids) {
  v1::ListSessionsResponse response;
  for (const std::string& id : ids) {
    v1::SessionInfo* session = response.add_sessions();
    session->set_session_id("s_" + id);
    session->set_peer_id(id);
  }
  return response;
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& list) {
  return {list.begin(), list.end()};
}

TEST(AdminWire, MergedSessionsAreTaggedWithTheirReplicaAndTheSilentOnesListed) {
  v1::ListSessionsResponse from_c = SessionsOf({"kiosk-3", "kiosk-4"});
  from_c.mutable_sessions(0)->set_replica("what c said");  // the name asked wins
  std::vector<ReplicaAnswer<v1::ListSessionsResponse>> answers = {
      {"10.0.0.3:7001", from_c},
      {"10.0.0.1:7001", SessionsOf({"kiosk-1"})},
      {"10.0.0.2:7001", std::nullopt},
      {"10.0.0.4:7001", SessionsOf({})},
  };
  const v1::ListSessionsResponse merged = MergeSessions(answers);
  ASSERT_EQ(merged.sessions_size(), 3);
  EXPECT_EQ(merged.sessions(0).peer_id(), "kiosk-1");
  EXPECT_EQ(merged.sessions(0).replica(), "10.0.0.1:7001");
  EXPECT_EQ(merged.sessions(1).peer_id(), "kiosk-3");
  EXPECT_EQ(merged.sessions(1).replica(), "10.0.0.3:7001");
  EXPECT_EQ(merged.sessions(2).peer_id(), "kiosk-4");
  EXPECT_EQ(merged.sessions(2).replica(), "10.0.0.3:7001");
  EXPECT_EQ(merged.sessions(2).session_id(), "s_kiosk-4") << "the rest of the session kept";
  EXPECT_EQ(Strings(merged.unreachable()), std::vector<std::string>{"10.0.0.2:7001"});

  EXPECT_EQ(MergeSessions({}).sessions_size(), 0);
  EXPECT_EQ(MergeSessions({}).unreachable_size(), 0);
}

v1::Stats StatsOf(uint64_t base) {
  return ToWire(EngineStats{.sessions = base + 1,
                            .ids = base + 2,
                            .pairings = base + 3,
                            .waiting_offerers = base + 4,
                            .pending_verifications = base + 5,
                            .timers = base + 6});
}

TEST(AdminWire, SummedStatsAddEveryCountAndKeepEachReplicasOwn) {
  const v1::Stats sum = SumStats({{"10.0.0.2:7001", StatsOf(10)},
                                  {"10.0.0.3:7001", std::nullopt},
                                  {"10.0.0.1:7001", StatsOf(0)}});
  EXPECT_EQ(sum.sessions(), 11u + 1);
  EXPECT_EQ(sum.ids(), 12u + 2);
  EXPECT_EQ(sum.pairings(), 13u + 3);
  EXPECT_EQ(sum.waiting_offerers(), 14u + 4);
  EXPECT_EQ(sum.pending_verifications(), 15u + 5);
  EXPECT_EQ(sum.timers(), 16u + 6);
  ASSERT_EQ(sum.replicas_size(), 2);
  EXPECT_EQ(sum.replicas(0).replica(), "10.0.0.1:7001");
  EXPECT_EQ(sum.replicas(0).stats().sessions(), 1u);
  EXPECT_EQ(sum.replicas(1).replica(), "10.0.0.2:7001");
  EXPECT_EQ(sum.replicas(1).stats().timers(), 16u);
  EXPECT_EQ(Strings(sum.unreachable()), std::vector<std::string>{"10.0.0.3:7001"});
}

TEST(AdminWire, EveryCountOfStatsIsSummedIncludingOnesAddedLater) {
  // Every singular number of Stats, set through reflection: a count added
  // to the message and forgotten in SumStats fails here.
  const auto* descriptor = v1::Stats::descriptor();
  v1::Stats one;
  int counts = 0;
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->is_repeated() || field->cpp_type() != field->CPPTYPE_UINT64) continue;
    one.GetReflection()->SetUInt64(&one, field, i + 1);
    ++counts;
  }
  EXPECT_GE(counts, 6) << "the loop saw the counts";
  const v1::Stats sum = SumStats({{"a", one}, {"b", one}, {"c", one}});
  for (int i = 0; i < descriptor->field_count(); ++i) {
    const auto* field = descriptor->field(i);
    if (field->is_repeated() || field->cpp_type() != field->CPPTYPE_UINT64) continue;
    EXPECT_EQ(sum.GetReflection()->GetUInt64(sum, field), 3u * (i + 1)) << field->name();
  }
}

TEST(AdminWire, AReplicasOwnStatsCarryNoNestedClusterFigures) {
  v1::Stats odd = StatsOf(0);
  odd.add_unreachable("elsewhere");
  *odd.add_replicas() = v1::ReplicaStats();
  const v1::Stats sum = SumStats({{"a", odd}});
  ASSERT_EQ(sum.replicas_size(), 1);
  EXPECT_EQ(sum.replicas(0).stats().replicas_size(), 0);
  EXPECT_EQ(sum.replicas(0).stats().unreachable_size(), 0);
  EXPECT_EQ(sum.unreachable_size(), 0);
}

}  // namespace
}  // namespace signaling::matching
