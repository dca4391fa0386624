// Samples the servers under test; see server_sample.h.
#include "bench/loadgen/server_sample.h"

#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/metrics/proc_stat.h"

namespace signaling::loadgen {
namespace {

std::optional<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

ServerSample SampleServers(const std::vector<std::string>& pids) {
  ServerSample r;
  const double ticks_per_second = static_cast<double>(sysconf(_SC_CLK_TCK));
  for (const std::string& pid : pids) {
    if (auto text = ReadFile(absl::StrCat("/proc/", pid, "/stat"))) {
      if (auto stat = metrics::proc::ParseProcStat(*text); stat.ok()) {
        r.cpu_s += (stat->utime_ticks + stat->stime_ticks) / ticks_per_second;
      }
    }
    if (auto text = ReadFile(absl::StrCat("/proc/", pid, "/status"))) {
      if (auto rss = metrics::proc::ParseStatusKb(*text, "VmRSS"); rss.ok()) {
        r.rss_kib += static_cast<int64_t>(*rss / 1024);
      }
    }
  }
  return r;
}

}  // namespace signaling::loadgen
