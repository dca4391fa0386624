// Tests of the per-cause rate limit of log lines (log::ShouldLog).
#include <string>

#include "absl/strings/str_cat.h"
#include "absl/time/time.h"
#include "common/log/log.h"
#include "gtest/gtest.h"

namespace signaling::log {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'800'000'000);

TEST(ShouldLog, OncePerCausePerInterval) {
  const absl::Duration interval = absl::Seconds(10);
  EXPECT_TRUE(ShouldLog("test-once", interval, kT0));
  EXPECT_FALSE(ShouldLog("test-once", interval, kT0));
  EXPECT_FALSE(ShouldLog("test-once", interval, kT0 + absl::Seconds(9)));
  EXPECT_TRUE(ShouldLog("test-once", interval, kT0 + absl::Seconds(10)));
  EXPECT_FALSE(ShouldLog("test-once", interval, kT0 + absl::Seconds(19)));
  EXPECT_TRUE(ShouldLog("test-once", interval, kT0 + absl::Seconds(25)));
}

TEST(ShouldLog, CausesAreIndependent) {
  const absl::Duration interval = absl::Seconds(10);
  EXPECT_TRUE(ShouldLog("test-a", interval, kT0));
  EXPECT_TRUE(ShouldLog("test-b", interval, kT0));
  EXPECT_FALSE(ShouldLog("test-a", interval, kT0 + absl::Seconds(1)));
  EXPECT_FALSE(ShouldLog("test-b", interval, kT0 + absl::Seconds(1)));
}

TEST(ShouldLog, AFloodOfLinesGivesOne) {
  int allowed = 0;
  for (int i = 0; i < 10000; ++i) {
    allowed += ShouldLog("test-flood", absl::Seconds(10), kT0 + absl::Milliseconds(i));
  }
  EXPECT_EQ(allowed, 1);  // 10,000 attempts within 10 s
}

TEST(ShouldLog, ManyCausesStayBounded) {
  // More causes than the table holds: it is emptied, not grown, and the
  // rate limit keeps working afterwards.
  for (size_t i = 0; i < 3 * kMaxCauses; ++i) {
    EXPECT_TRUE(ShouldLog(absl::StrCat("test-cause-", i), absl::Seconds(10), kT0));
  }
  EXPECT_TRUE(ShouldLog("test-after", absl::Seconds(10), kT0));
  EXPECT_FALSE(ShouldLog("test-after", absl::Seconds(10), kT0));
}

}  // namespace
}  // namespace signaling::log
