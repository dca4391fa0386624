// Parsers of the /proc files behind the process metrics.
#include "common/metrics/proc_stat.h"

#include "gtest/gtest.h"

namespace signaling::metrics::proc {
namespace {

// A real line, with a command name holding spaces and parentheses.
constexpr std::string_view kStat =
    "4242 (a) (b c) S 1 4242 4242 0 -1 4194560 1262 0 0 0 "
    "1500 250 0 0 20 0 3 0 123456 987654144 2048 18446744073709551615 1 1 0 "
    "0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n";

TEST(ParseProcStat, ReadsFieldsAfterTheLastParenthesis) {
  auto s = ParseProcStat(kStat);
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->utime_ticks, 1500u);
  EXPECT_EQ(s->stime_ticks, 250u);
  EXPECT_EQ(s->start_time_ticks, 123456u);
  EXPECT_EQ(s->vsize_bytes, 987654144u);
  EXPECT_EQ(s->rss_pages, 2048);
}

TEST(ParseProcStat, RejectsTruncatedAndMalformed) {
  EXPECT_FALSE(ParseProcStat("").ok());
  EXPECT_FALSE(ParseProcStat("4242 (x S 1 2 3").ok());
  EXPECT_FALSE(ParseProcStat("4242 (x) S 1 2 3").ok());
  std::string bad(kStat);
  bad.replace(bad.find("1500"), 4, "15x0");
  EXPECT_FALSE(ParseProcStat(bad).ok());
}

TEST(ParseStatusKb, ReadsTheNamedLineInBytes) {
  constexpr std::string_view kStatus =
      "Name:\tadmin\nVmRSSX:\t1 kB\nVmPeak:\t  200 kB\nVmRSS:\t    1234 kB\n"
      "Threads:\t3\n";
  auto rss = ParseStatusKb(kStatus, "VmRSS");
  ASSERT_TRUE(rss.ok()) << rss.status();
  EXPECT_EQ(*rss, 1234u * 1024);
  EXPECT_EQ(ParseStatusKb(kStatus, "VmSwap").status().code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ParseStatusKb(kStatus, "Threads").status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(ParseBootTime, ReadsBtime) {
  auto boot = ParseBootTime("cpu  1 2 3\nintr 5\nbtime 1700000000\nprocs 9\n");
  ASSERT_TRUE(boot.ok()) << boot.status();
  EXPECT_EQ(*boot, 1700000000u);
  EXPECT_FALSE(ParseBootTime("cpu 1 2 3\n").ok());
  EXPECT_FALSE(ParseBootTime("btime soon\n").ok());
}

}  // namespace
}  // namespace signaling::metrics::proc
