// The three REAL service binaries (auth, matching, gateway in dev mode) as
// child processes on fixed loopback ports chosen at construction, so that
// any one of them can be killed and started again on the same port. Each
// logs to a file in a temporary directory; the tails are printed when the
// test failed.
#ifndef TESTS_INTEGRATION_PROCESS_STACK_H_
#define TESTS_INTEGRATION_PROCESS_STACK_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "signaling/v1/matching.pb.h"
#include "tests/integration/child_process.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {

struct ProcessStackOptions {
  int drain_grace_ms = 1500;                // gateway --drain_grace_ms
  int go_away_reconnect_ms = 500;           // gateway --go_away_reconnect_ms
  std::vector<std::string> auth_flags;      // extra flags, appended
  std::vector<std::string> matching_flags;  // extra flags, appended
  std::vector<std::string> gateway_flags;   // extra flags, appended
};

class ProcessStack {
 public:
  explicit ProcessStack(ProcessStackOptions options = {});
  ~ProcessStack();
  ProcessStack(const ProcessStack&) = delete;
  ProcessStack& operator=(const ProcessStack&) = delete;

  // Starts the three services and waits (bounded) until all are ready.
  bool Start();
  // Each starts one service on its port and waits (bounded, 20 s) until its
  // /readyz answers 200. Restarting a stopped service reuses its ports.
  bool StartAuth();
  bool StartMatching();
  bool StartGateway();
  // Waits (bounded) until the admin endpoint on `admin_port` answers
  // /readyz with `status`.
  bool WaitReady(uint16_t admin_port, int status = 200, absl::Duration timeout = absl::Seconds(20));

  // An HS256 token of the stack's key for `subject` with grants.
  std::string Token(const std::string& subject, const std::vector<std::string>& accept,
                    const std::vector<std::string>& offer, absl::Duration ttl = absl::Minutes(10));
  // The key file the auth service verifies with.
  const std::string& key_path() const { return key_path_; }

  // A WebSocket client of the gateway (Origin set); nullptr (and a test
  // failure) when the upgrade failed.
  std::unique_ptr<WsClient> Connect(const std::string& subprotocol = "signaling.v1.json");

  // The matching service's counts from its admin gRPC API (GetStats);
  // nullopt when it does not answer.
  std::optional<v1::Stats> MatchingStats();
  // One sample of the /metrics of the service on `admin_port`; nullopt
  // when the service or the sample is missing.
  std::optional<double> Metric(uint16_t admin_port, const std::string& key);
  // Waits until matching holds no session, id, pairing, verification or
  // timer and the gateway reports no connection. False on timeout.
  bool WaitForZero(absl::Duration timeout = absl::Seconds(10));
  std::string DescribeState();

  const std::string& dir() const { return dir_; }

  uint16_t auth_port, matching_port, gateway_port;
  uint16_t auth_admin, matching_admin, gateway_admin;
  Child auth, matching, gateway;

 private:
  ProcessStackOptions options_;
  std::string dir_;
  std::string key_path_;
};

}  // namespace signaling::testing

#endif  // TESTS_INTEGRATION_PROCESS_STACK_H_
