// The service binaries as child processes; see process_stack.h.
#include "tests/integration/process_stack.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "services/auth/token_minting.h"
#include "signaling/v1/matching.grpc.pb.h"
#include "tests/integration/log_lines.h"
#include "tests/integration/wait.h"

namespace signaling::testing {
namespace {

std::string Port(uint16_t p) { return std::to_string(p); }

std::vector<std::string> Concat(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

}  // namespace

ProcessStack::ProcessStack(ProcessStackOptions options) : options_(std::move(options)) {
  char dir[] = "/tmp/signaling-procs-XXXXXX";
  dir_ = mkdtemp(dir);
  key_path_ = dir_ + "/dev.key";
  auto material = auth::GenerateKeyMaterial("HS256");
  EXPECT_TRUE(material.ok());
  if (material.ok()) std::ofstream(key_path_, std::ios::binary) << *material;
  auth_port = FreePort();
  matching_port = FreePort();
  gateway_port = FreePort();
  auth_admin = FreePort();
  matching_admin = FreePort();
  gateway_admin = FreePort();
}

ProcessStack::~ProcessStack() {
  gateway.Kill();
  matching.Kill();
  auth.Kill();
  // Every line the services wrote must be a JSON log line.
  for (const char* name : {"auth", "matching", "gateway"}) {
    ExpectJsonLogLines(dir_ + "/" + name + ".log");
  }
  if (::testing::Test::HasFailure()) {
    for (const char* name : {"auth", "matching", "gateway"}) {
      std::string log = ReadFile(dir_ + "/" + name + ".log");
      if (log.size() > 4000) log = log.substr(log.size() - 4000);
      std::fprintf(stderr, "---- %s.log (tail) ----\n%s\n", name, log.c_str());
    }
  }
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

bool ProcessStack::Start() { return StartAuth() && StartMatching() && StartGateway(); }

bool ProcessStack::StartAuth() {
  if (!auth.Spawn(
          Concat({SIGNALING_AUTH_BIN, "--listen", "127.0.0.1:" + Port(auth_port), "--key",
                  "dev:HS256:" + key_path_, "--grpc_insecure", "--admin_port", Port(auth_admin)},
                 options_.auth_flags),
          dir_ + "/auth.log")) {
    ADD_FAILURE() << "cannot spawn " << SIGNALING_AUTH_BIN;
    return false;
  }
  return WaitReady(auth_admin);
}

bool ProcessStack::StartMatching() {
  if (!matching.Spawn(
          Concat({SIGNALING_MATCHING_BIN, "--listen", "127.0.0.1:" + Port(matching_port),
                  "--auth_target", "127.0.0.1:" + Port(auth_port), "--grpc_insecure",
                  "--admin_port", Port(matching_admin)},
                 options_.matching_flags),
          dir_ + "/matching.log")) {
    ADD_FAILURE() << "cannot spawn " << SIGNALING_MATCHING_BIN;
    return false;
  }
  return WaitReady(matching_admin);
}

bool ProcessStack::StartGateway() {
  if (!gateway.Spawn(
          Concat({SIGNALING_GATEWAY_BIN, "--address", "127.0.0.1", "--port", Port(gateway_port),
                  "--matching_target", "127.0.0.1:" + Port(matching_port), "--grpc_insecure",
                  "--dev_mode", "--admin_port", Port(gateway_admin), "--drain_grace_ms",
                  std::to_string(options_.drain_grace_ms), "--go_away_reconnect_ms",
                  std::to_string(options_.go_away_reconnect_ms)},
                 options_.gateway_flags),
          dir_ + "/gateway.log")) {
    ADD_FAILURE() << "cannot spawn " << SIGNALING_GATEWAY_BIN;
    return false;
  }
  return WaitReady(gateway_admin);
}

bool ProcessStack::WaitReady(uint16_t admin_port, int status, absl::Duration timeout) {
  int last = -1;
  if (WaitFor(
          [&] {
            return (last = HttpGet(admin_port, "/readyz", absl::Milliseconds(500)).status) ==
                   status;
          },
          timeout, absl::Milliseconds(20))) {
    return true;
  }
  ADD_FAILURE() << "admin port " << admin_port << ": /readyz " << last << ", not " << status
                << " within " << timeout;
  return false;
}

std::string ProcessStack::Token(const std::string& subject, const std::vector<std::string>& accept,
                                const std::vector<std::string>& offer, absl::Duration ttl) {
  auto key = auth::LoadSigningKey("dev", "HS256", key_path_);
  EXPECT_TRUE(key.ok()) << key.status();
  if (!key.ok()) return "";
  auto token = auth::MintToken(
      *key, {.subject = subject, .accept = accept, .offer = offer, .ttl = ttl}, absl::Now());
  EXPECT_TRUE(token.ok()) << token.status();
  return token.ok() ? *token : "";
}

std::unique_ptr<WsClient> ProcessStack::Connect(const std::string& subprotocol) {
  auto c = WsClient::Connect(gateway_port, subprotocol, {{"Origin", "http://x"}});
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

std::optional<v1::Stats> ProcessStack::MatchingStats() {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + Port(matching_port), grpc::InsecureChannelCredentials());
  auto stub = v1::MatchingAdmin::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::Stats stats;
  if (!stub->GetStats(&context, v1::StatsRequest(), &stats).ok()) return std::nullopt;
  return stats;
}

std::optional<double> ProcessStack::Metric(uint16_t admin_port, const std::string& key) {
  const HttpResult r = HttpGet(admin_port, "/metrics");
  if (r.status != 200) return std::nullopt;
  const auto metrics = ParseMetrics(r.body);
  auto it = metrics.find(key);
  if (it == metrics.end()) return std::nullopt;
  return it->second;
}

bool ProcessStack::WaitForZero(absl::Duration timeout) {
  return WaitFor(
      [&] {
        const auto m = MatchingStats();
        const auto connections = Metric(gateway_admin, "signaling_gateway_connections");
        return m && m->sessions() == 0 && m->ids() == 0 && m->pairings() == 0 &&
               m->waiting_offerers() == 0 && m->pending_verifications() == 0 && m->timers() == 0 &&
               connections == 0.0;
      },
      timeout, absl::Milliseconds(50));
}

std::string ProcessStack::DescribeState() {
  std::string out = "matching: ";
  if (const auto m = MatchingStats()) {
    absl::StrAppend(&out, "sessions=", m->sessions(), " ids=", m->ids(),
                    " pairings=", m->pairings(), " waiting=", m->waiting_offerers(),
                    " verifying=", m->pending_verifications(), " timers=", m->timers());
  } else {
    out += "no answer";
  }
  const auto connections = Metric(gateway_admin, "signaling_gateway_connections");
  absl::StrAppend(&out, "; gateway: connections=",
                  connections ? absl::StrCat(*connections) : std::string("no answer"));
  return out;
}

}  // namespace signaling::testing
