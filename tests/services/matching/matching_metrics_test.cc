// MatchingMetrics: a snapshot of the engine's counters mirrored into the
// Prometheus families, counters raised to its totals, samples observed
// once; the scrape's collector takes the snapshot, then mirrors it.
#include "services/matching/matching_metrics.h"

#include <string>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace signaling::matching {
namespace {

EngineSnapshot Snapshot(uint64_t joins, std::vector<double> offer_to_answer) {
  EngineSnapshot s;
  s.stats.ids = 3;
  s.stats.pairings = 2;
  s.sessions_by_role = {1, 3, 2};
  s.counters.joins = joins;
  s.counters.relayed[2] = 7;
  s.counters.refused["INVALID_MESSAGE"] = 4;
  s.counters.offer_to_answer_seconds = std::move(offer_to_answer);
  return s;
}

TEST(MatchingMetricsTest, MirrorsASnapshot) {
  metrics::Registry registry;
  MatchingMetrics m;
  ASSERT_TRUE(m.Register(registry).ok());
  m.Mirror(Snapshot(5, {0.01, 0.02}));
  const std::string text = registry.Serialize();
  for (const char* line : {
           "signaling_matching_joins_total 5\n",
           "signaling_matching_ids 3\n",
           "signaling_matching_pairings 2\n",
           "signaling_matching_sessions{role=\"ACCEPTOR\"} 3\n",
           "signaling_matching_sessions{role=\"NONE\"} 1\n",
           "signaling_matching_messages_relayed_total{kind=\"iceCandidate\"} 7\n",
           "signaling_matching_refused_total{code=\"INVALID_MESSAGE\"} 4\n",
           "signaling_matching_offer_to_answer_seconds_count 2\n",
       }) {
    EXPECT_TRUE(absl::StrContains(text, line)) << line << " not in:\n" << text;
  }
}

TEST(MatchingMetricsTest, CollectMirrorsWhatTakeReturnsAndCountsSamplesOnce) {
  metrics::Registry registry;
  MatchingMetrics m;
  ASSERT_TRUE(m.Register(registry).ok());
  int takes = 0;
  m.Collect([&] {
    ++takes;
    return Snapshot(5, {0.01});
  });
  m.Collect([&] {
    ++takes;
    return Snapshot(6, {});  // the next scrape: newer totals, no new samples
  });
  EXPECT_EQ(takes, 2);
  const std::string text = registry.Serialize();
  EXPECT_TRUE(absl::StrContains(text, "signaling_matching_joins_total 6\n")) << text;
  EXPECT_TRUE(absl::StrContains(text, "signaling_matching_offer_to_answer_seconds_count 1\n"))
      << text;
}

}  // namespace
}  // namespace signaling::matching
