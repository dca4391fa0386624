// CPU time and resident memory of the servers under test, read from /proc
// with the parsers of common/metrics.
#ifndef BENCH_LOADGEN_SERVER_SAMPLE_H_
#define BENCH_LOADGEN_SERVER_SAMPLE_H_

#include <cstdint>
#include <string>
#include <vector>

namespace signaling::loadgen {

struct ServerSample {
  double cpu_s = 0;     // utime + stime, seconds
  int64_t rss_kib = 0;  // VmRSS
};

// The sums over `pids`; a process that cannot be read adds nothing.
ServerSample SampleServers(const std::vector<std::string>& pids);

}  // namespace signaling::loadgen

#endif  // BENCH_LOADGEN_SERVER_SAMPLE_H_
