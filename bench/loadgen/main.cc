// signaling-loadgen: a WebSocket load generator for the signaling gateway
// (protocol v1, JSON or protobuf subprotocol) and, for comparison, for a
// PeerJS server. Many connections per thread (Asio/Beast, callbacks), source
// sockets spread over several loopback addresses, open-loop arrivals for
// `pairing` and `relay`, latencies in a log-linear histogram. Prints one JSON
// object on stdout. Scenarios: idle, pairing, relay, churn (see --help).
//
// This file holds the flags and the run's set-up; the rooms are
// ws_client (connections), wire (framings), sessions (pair and single state
// machines), worker (threads and stats), scenarios (drivers and reports),
// histogram and server_sample (/proc via common/metrics).
#include <sys/resource.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "bench/loadgen/scenarios.h"
#include "bench/loadgen/wire.h"
#include "bench/loadgen/worker.h"
#include "bench/loadgen/ws_client.h"
#include "boost/asio.hpp"
#include "nlohmann/json.hpp"
#include "services/auth/jwt.h"
#include "services/auth/token_minting.h"

namespace {

// The run's settings take their defaults from Params.
const signaling::loadgen::Params kParams;

}  // namespace

ABSL_FLAG(std::string, target, "signaling", "signaling | peerjs");
ABSL_FLAG(std::string, scenario, "pairing", "idle | pairing | relay | churn");
ABSL_FLAG(std::string, host, "127.0.0.1", "server address (loopback only)");
ABSL_FLAG(int, port, 8443, "server port");
ABSL_FLAG(int, offerer_port, 0,
          "port the pairs' offerers connect to (another gateway); 0: --port");
ABSL_FLAG(std::string, subprotocol, "json", "json | proto (signaling only)");
ABSL_FLAG(std::string, key_file, "", "HS256 secret used to mint tokens (signaling only)");
ABSL_FLAG(std::string, kid, "dev", "key id of --key_file");
ABSL_FLAG(int, threads, 2, "I/O threads of the load generator");
ABSL_FLAG(int, source_addresses, 8, "spread sockets over 127.0.0.2 .. 127.0.0.(1+N)");
ABSL_FLAG(double, duration_s, kParams.duration_s,
          "pairing/relay/churn: measuring time; idle: hold time");
ABSL_FLAG(double, rate, kParams.rate, "pairing: pairs/s; relay: candidate messages/s (total)");
ABSL_FLAG(int, sessions, kParams.sessions, "idle: joined acceptors to hold");
ABSL_FLAG(int, pairs, kParams.pairs, "relay: paired sessions");
ABSL_FLAG(int, concurrency, kParams.concurrency,
          "churn: concurrent loops; idle: connects in flight");
ABSL_FLAG(double, drain_s, kParams.drain_s,
          "pairing/relay: grace for in-flight work after the run");
ABSL_FLAG(double, setup_timeout_s, kParams.setup_timeout_s,
          "idle/relay: time allowed to set up sessions");
ABSL_FLAG(std::string, hold_until_file, kParams.hold_until_file,
          "idle: the hold also ends once this file exists (several loadgens ending together)");
ABSL_FLAG(int, setup_inflight, kParams.setup_inflight,
          "relay: pairs negotiating at a time during the set-up (1: in order)");
ABSL_FLAG(int, max_inflight, static_cast<int>(kParams.max_inflight),
          "pairing: in-flight pairs above which a start is dropped");
ABSL_FLAG(std::vector<std::string>, server_pids, kParams.server_pids,
          "server processes whose CPU time (utime+stime) over the measured window and "
          "RSS (VmRSS) are reported");
ABSL_FLAG(std::string, run_id, "", "prefix of peer ids (default: random)");

namespace signaling::loadgen {
namespace {

using json = nlohmann::json;

void RaiseNofile() {
  rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

Params ParamsFromFlags() {
  Params p;
  p.duration_s = absl::GetFlag(FLAGS_duration_s);
  p.rate = absl::GetFlag(FLAGS_rate);
  p.sessions = absl::GetFlag(FLAGS_sessions);
  p.pairs = absl::GetFlag(FLAGS_pairs);
  p.concurrency = absl::GetFlag(FLAGS_concurrency);
  p.drain_s = absl::GetFlag(FLAGS_drain_s);
  p.setup_timeout_s = absl::GetFlag(FLAGS_setup_timeout_s);
  p.setup_inflight = absl::GetFlag(FLAGS_setup_inflight);
  p.hold_until_file = absl::GetFlag(FLAGS_hold_until_file);
  p.max_inflight = absl::GetFlag(FLAGS_max_inflight);
  p.server_pids = absl::GetFlag(FLAGS_server_pids);
  return p;
}

// The tokens of the bench's acceptors and offerers (any id), valid 1 h.
absl::StatusOr<std::pair<std::string, std::string>> MintTokens() {
  auto key = auth::LoadSigningKey(absl::GetFlag(FLAGS_kid), "HS256", absl::GetFlag(FLAGS_key_file));
  if (!key.ok()) return key.status();
  const absl::Time now = absl::Now();
  const std::vector<std::string> any = {"*"};
  auto mint = [&](const std::string& sub, bool acceptor) {
    auto t = auth::MintToken(*key,
                             {.subject = sub,
                              .accept = acceptor ? any : std::vector<std::string>(),
                              .offer = acceptor ? std::vector<std::string>() : any},
                             now);
    return t.ok() ? *t : std::string();
  };
  return std::pair{mint("bench-acceptor", true), mint("bench-offerer", false)};
}

int Main() {
  RaiseNofile();
  const std::string scenario_name = absl::GetFlag(FLAGS_scenario);
  const std::optional<Scenario> scenario = ParseScenario(scenario_name);
  if (!scenario) {
    std::fprintf(stderr, "unknown scenario %s\n", scenario_name.c_str());
    return 2;
  }
  const bool peerjs = absl::GetFlag(FLAGS_target) == "peerjs";
  const bool proto = absl::GetFlag(FLAGS_subprotocol) == "proto";
  const auto host = boost::asio::ip::make_address(absl::GetFlag(FLAGS_host));
  if (!host.is_loopback()) {
    std::fprintf(stderr, "loopback targets only\n");
    return 2;
  }
  std::string run_id = absl::GetFlag(FLAGS_run_id);
  if (run_id.empty()) run_id = absl::StrCat("r", NowNs() % 1000000007, "-");
  std::pair<std::string, std::string> tokens;
  if (!peerjs) {
    auto minted = MintTokens();
    if (!minted.ok()) {
      std::fprintf(stderr, "key: %s\n", std::string(minted.status().message()).c_str());
      return 2;
    }
    tokens = *std::move(minted);
  }
  const Wire wire(peerjs ? Framing::kPeerJs : (proto ? Framing::kProto : Framing::kJson),
                  tokens.first, tokens.second);
  ClientOptions client;
  client.server = {host, static_cast<uint16_t>(absl::GetFlag(FLAGS_port))};
  const int offerer_port = absl::GetFlag(FLAGS_offerer_port);
  client.offerer_server = offerer_port > 0
                              ? boost::asio::ip::tcp::endpoint{host, static_cast<uint16_t>(offerer_port)}
                              : client.server;
  for (int i = 0; i < std::max(1, absl::GetFlag(FLAGS_source_addresses)); ++i) {
    client.sources.push_back(boost::asio::ip::make_address_v4(absl::StrCat("127.0.0.", 2 + i)));
  }
  client.subprotocol = wire.Subprotocol();
  client.binary = wire.framing() == Framing::kProto;

  const int threads = std::max(1, absl::GetFlag(FLAGS_threads));
  const Params params = ParamsFromFlags();
  Run run(wire, client, run_id);
  run.StartWorkers(threads);
  json out = {{"target", peerjs ? "peerjs" : "signaling"},
              {"scenario", scenario_name},
              {"subprotocol", peerjs ? "peerjs" : (proto ? "proto" : "json")},
              {"threads", threads}};
  const Window window = Drive(*scenario, params, run, &out);
  run.StopWorkers();
  Report(*scenario, params, run.Total(), window, &out);
  std::printf("%s\n", out.dump().c_str());
  return 0;
}

}  // namespace
}  // namespace signaling::loadgen

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "signaling-loadgen --target=signaling|peerjs --scenario=idle|pairing|relay|churn "
      "--port=P [--key_file=F --kid=dev] [--rate=R --duration_s=T ...]");
  absl::ParseCommandLine(argc, argv);
  return signaling::loadgen::Main();
}
