// Parsers for the /proc files behind the process_* metrics. Pure functions
// over the file contents so that they can be tested without /proc.
#ifndef COMMON_METRICS_PROC_STAT_H_
#define COMMON_METRICS_PROC_STAT_H_

#include <cstdint>
#include <string_view>

#include "absl/status/statusor.h"

namespace signaling::metrics::proc {

// The fields of /proc/<pid>/stat that the process metrics use (proc(5)).
struct ProcStat {
  std::uint64_t utime_ticks = 0;       // field 14, clock ticks
  std::uint64_t stime_ticks = 0;       // field 15, clock ticks
  std::uint64_t start_time_ticks = 0;  // field 22, clock ticks after boot
  std::uint64_t vsize_bytes = 0;       // field 23
  std::int64_t rss_pages = 0;          // field 24
};

// Parses /proc/<pid>/stat. The command name (field 2) may hold spaces and
// parentheses, so fields are counted from its last ')'.
absl::StatusOr<ProcStat> ParseProcStat(std::string_view text);

// The value of a "Key:   123 kB" line of /proc/<pid>/status, in bytes.
absl::StatusOr<std::uint64_t> ParseStatusKb(std::string_view text, std::string_view key);

// The "btime" line of /proc/stat: boot time in seconds since the epoch.
absl::StatusOr<std::uint64_t> ParseBootTime(std::string_view text);

}  // namespace signaling::metrics::proc

#endif  // COMMON_METRICS_PROC_STAT_H_
