// Helpers for tests that run the real service binaries as child processes:
// a posix_spawn'd child with its output in a log file, a free loopback port,
// a minimal blocking HTTP GET for the admin endpoints, and a parser for the
// Prometheus text format.
#ifndef TESTS_INTEGRATION_CHILD_PROCESS_H_
#define TESTS_INTEGRATION_CHILD_PROCESS_H_

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"

namespace signaling::testing {

// A child process started with posix_spawn; stdout and stderr go to `log`.
// The destructor ends it (SIGTERM, a bounded wait, then SIGKILL).
class Child {
 public:
  Child() = default;
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { Kill(); }

  // Starts `args[0]` with `args`; false if it could not be spawned.
  bool Spawn(const std::vector<std::string>& args, const std::string& log);

  bool running() const { return pid_ > 0; }
  pid_t pid() const { return pid_; }
  const std::string& log() const { return log_; }
  void Signal(int sig);

  // The exit status (as from waitpid) once the child ended within `timeout`;
  // nullopt if it is still running. Polls; no fixed sleep.
  std::optional<int> WaitExitStatus(absl::Duration timeout);

  // SIGTERM, a bounded wait, then SIGKILL.
  void Kill();

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::string log_;
};

// "exit N", "signal N", or "still running".
std::string DescribeStatus(const std::optional<int>& status);

// A free TCP port on loopback: bind port 0, read it back, release it.
uint16_t FreePort();

struct HttpResult {
  int status = -1;  // -1: no response
  std::string body;
};

// A minimal blocking HTTP/1.1 GET on loopback, bounded by `timeout` per I/O.
HttpResult HttpGet(uint16_t port, const std::string& target,
                   absl::Duration timeout = absl::Seconds(2));

// Sample lines of a Prometheus text exposition: "name{labels}" -> value.
std::map<std::string, double> ParseMetrics(const std::string& body);

// The whole file, or "" when it cannot be read.
std::string ReadFile(const std::string& path);

}  // namespace signaling::testing

#endif  // TESTS_INTEGRATION_CHILD_PROCESS_H_
