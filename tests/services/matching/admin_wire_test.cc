// The engine's own views in the admin API's wire form (admin_wire.h): every
// field carried, the id under peerId or targetId by role, times as
// timestamps.
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
}

}  // namespace
}  // namespace signaling::matching
