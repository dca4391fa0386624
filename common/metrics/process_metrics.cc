// The standard process_* metrics, sampled from /proc/self at scrape time.
#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <fstream>
#include <limits>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "common/metrics/metrics.h"
#include "common/metrics/proc_stat.h"

namespace signaling::metrics {
namespace proc {
namespace {

template <typename Int>
bool ParseInt(std::string_view s, Int* out) {
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), *out);
  return ec == std::errc() && end == s.data() + s.size();
}

std::string_view TrimSpace(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
    s.remove_prefix(1);
  }
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Calls `fn(line)` for each line until it returns true.
template <typename Fn>
bool ForEachLine(std::string_view text, Fn fn) {
  while (!text.empty()) {
    const size_t nl = text.find('\n');
    const std::string_view line = text.substr(0, nl);
    if (fn(line)) return true;
    if (nl == std::string_view::npos) break;
    text.remove_prefix(nl + 1);
  }
  return false;
}

}  // namespace

absl::StatusOr<ProcStat> ParseProcStat(std::string_view text) {
  const size_t paren = text.rfind(')');
  if (paren == std::string_view::npos) {
    return absl::InvalidArgumentError("stat: no command name");
  }
  // Fields after the command name, starting with field 3 (state).
  std::vector<std::string_view> fields;
  std::string_view rest = text.substr(paren + 1);
  while (!rest.empty()) {
    const size_t start = rest.find_first_not_of(" \n");
    if (start == std::string_view::npos) break;
    rest.remove_prefix(start);
    const size_t end = std::min(rest.find_first_of(" \n"), rest.size());
    fields.push_back(rest.substr(0, end));
    rest.remove_prefix(end);
  }
  auto field = [&](int n) { return fields[n - 3]; };
  if (fields.size() < 24 - 2) {
    return absl::InvalidArgumentError("stat: too few fields");
  }
  ProcStat s;
  if (!ParseInt(field(14), &s.utime_ticks) || !ParseInt(field(15), &s.stime_ticks) ||
      !ParseInt(field(22), &s.start_time_ticks) || !ParseInt(field(23), &s.vsize_bytes) ||
      !ParseInt(field(24), &s.rss_pages)) {
    return absl::InvalidArgumentError("stat: malformed number");
  }
  return s;
}

absl::StatusOr<std::uint64_t> ParseStatusKb(std::string_view text, std::string_view key) {
  std::optional<std::uint64_t> result;
  bool malformed = false;
  ForEachLine(text, [&](std::string_view line) {
    if (!line.starts_with(key) || line.size() <= key.size() || line[key.size()] != ':') {
      return false;
    }
    std::string_view value = TrimSpace(line.substr(key.size() + 1));
    if (!value.ends_with(" kB")) {
      malformed = true;
      return true;
    }
    value = TrimSpace(value.substr(0, value.size() - 3));
    std::uint64_t kb = 0;
    if (!ParseInt(value, &kb)) {
      malformed = true;
      return true;
    }
    result = kb * 1024;
    return true;
  });
  if (malformed) {
    return absl::InvalidArgumentError(absl::StrCat("status: malformed ", std::string(key)));
  }
  if (!result) return absl::NotFoundError(absl::StrCat("status: no ", std::string(key)));
  return *result;
}

absl::StatusOr<std::uint64_t> ParseBootTime(std::string_view text) {
  std::optional<std::uint64_t> result;
  ForEachLine(text, [&](std::string_view line) {
    if (!line.starts_with("btime ")) return false;
    std::uint64_t v = 0;
    if (ParseInt(TrimSpace(line.substr(6)), &v)) result = v;
    return true;
  });
  if (!result) return absl::NotFoundError("stat: no btime");
  return *result;
}

}  // namespace proc

namespace {

std::optional<std::string> ReadFile(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return ss.str();
}

std::optional<double> CountOpenFds() {
  DIR* dir = opendir("/proc/self/fd");
  if (dir == nullptr) return std::nullopt;
  const int own_fd = dirfd(dir);
  double n = 0;
  while (const dirent* e = readdir(dir)) {
    const std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    int fd = -1;
    const auto [end, ec] = std::from_chars(name.data(), name.data() + name.size(), fd);
    if (ec == std::errc() && fd == own_fd) continue;  // the listing itself
    ++n;
  }
  closedir(dir);
  return n;
}

}  // namespace

absl::Status AddProcessMetrics(Registry& registry) {
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (!(ticks_per_second > 0)) {
    return absl::InternalError("sysconf(_SC_CLK_TCK) failed");
  }
  auto resident =
      registry.AddGauge("process_resident_memory_bytes", "Resident memory size in bytes.");
  if (!resident.ok()) return resident.status();
  auto virtual_memory =
      registry.AddGauge("process_virtual_memory_bytes", "Virtual memory size in bytes.");
  if (!virtual_memory.ok()) return virtual_memory.status();
  auto open_fds = registry.AddGauge("process_open_fds", "Number of open file descriptors.");
  if (!open_fds.ok()) return open_fds.status();
  auto max_fds = registry.AddGauge("process_max_fds", "Maximum number of open file descriptors.");
  if (!max_fds.ok()) return max_fds.status();
  auto cpu = registry.AddCounter("process_cpu_seconds_total",
                                 "Total user and system CPU time spent in "
                                 "seconds.");
  if (!cpu.ok()) return cpu.status();
  auto start = registry.AddGauge("process_start_time_seconds",
                                 "Start time of the process since unix epoch in seconds.");
  if (!start.ok()) return start.status();

  // The start time does not change: compute it once.
  const std::optional<std::string> stat = ReadFile("/proc/self/stat");
  const std::optional<std::string> system_stat = ReadFile("/proc/stat");
  if (stat && system_stat) {
    auto parsed = proc::ParseProcStat(*stat);
    auto boot = proc::ParseBootTime(*system_stat);
    if (parsed.ok() && boot.ok()) {
      (*start)->With({}).Set(static_cast<double>(*boot) +
                             parsed->start_time_ticks / ticks_per_second);
    }
  }

  Gauge* resident_g = &(*resident)->With({});
  Gauge* virtual_g = &(*virtual_memory)->With({});
  Gauge* open_fds_g = &(*open_fds)->With({});
  Gauge* max_fds_g = &(*max_fds)->With({});
  Counter* cpu_c = &(*cpu)->With({});
  registry.AddCollector([=] {
    if (auto text = ReadFile("/proc/self/stat")) {
      if (auto s = proc::ParseProcStat(*text); s.ok()) {
        cpu_c->RaiseTo((s->utime_ticks + s->stime_ticks) / ticks_per_second);
        virtual_g->Set(static_cast<double>(s->vsize_bytes));
      }
    }
    if (auto text = ReadFile("/proc/self/status")) {
      if (auto rss = proc::ParseStatusKb(*text, "VmRSS"); rss.ok()) {
        resident_g->Set(static_cast<double>(*rss));
      }
    }
    if (auto n = CountOpenFds()) open_fds_g->Set(*n);
    rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      max_fds_g->Set(limit.rlim_cur == RLIM_INFINITY ? std::numeric_limits<double>::infinity()
                                                     : static_cast<double>(limit.rlim_cur));
    }
  });
  return absl::OkStatus();
}

}  // namespace signaling::metrics
