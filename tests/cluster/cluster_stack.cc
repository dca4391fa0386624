// The cluster's processes; see cluster_stack.h.
#include "tests/cluster/cluster_stack.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "signaling/v1/matching.grpc.pb.h"
#include "tests/integration/log_lines.h"
#include "tests/integration/wait.h"

namespace signaling::testing {

ClusterStack::ClusterStack(int replicas, int gateways) {
  for (int i = 0; i < replicas; ++i) {
    replicas_.push_back({FreePort(), FreePort(), std::make_unique<Child>(), {}});
  }
  for (int i = 0; i < gateways; ++i) {
    gateways_.push_back({FreePort(), FreePort(), std::make_unique<Child>(), {}});
  }
}

ClusterStack::~ClusterStack() {
  for (Replica& g : gateways_) g.child->Kill();
  for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) {
    replicas_[i].child->Kill();
    const std::string log = absl::StrCat(base_.dir(), "/matching-", i, ".log");
    ExpectJsonLogLines(log);
    if (::testing::Test::HasFailure()) {
      std::string text = ReadFile(log);
      if (text.size() > 3000) text = text.substr(text.size() - 3000);
      std::fprintf(stderr, "---- matching-%d.log (tail) ----\n%s\n", i, text.c_str());
    }
  }
}

std::string ClusterStack::address(int i) const {
  return absl::StrCat("127.0.0.1:", replicas_[i].port);
}

bool ClusterStack::Start() {
  if (!redis_.up() || !base_.StartAuth()) return false;
  std::vector<std::string> targets;
  for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) {
    if (!StartReplica(i)) return false;
    targets.push_back(address(i));
  }
  for (int i = 0; i < static_cast<int>(gateways_.size()); ++i) {
    Replica& g = gateways_[i];
    const std::vector<std::string> args = {SIGNALING_GATEWAY_BIN,
                                           "--address",
                                           "127.0.0.1",
                                           "--port",
                                           absl::StrCat(g.port),
                                           "--matching_target",
                                           absl::StrJoin(targets, ","),
                                           "--grpc_insecure",
                                           "--dev_mode",
                                           "--admin_port",
                                           absl::StrCat(g.admin),
                                           "--log_level",
                                           "debug"};
    if (!g.child->Spawn(args, absl::StrCat(base_.dir(), "/gateway-", i, ".log"))) {
      ADD_FAILURE() << "cannot spawn " << SIGNALING_GATEWAY_BIN;
      return false;
    }
    if (!base_.WaitReady(g.admin)) return false;
  }
  return true;
}

std::unique_ptr<WsClient> ClusterStack::Connect(int gateway) {
  auto c =
      WsClient::Connect(gateways_[gateway].port, "signaling.v1.json", {{"Origin", "http://x"}});
  EXPECT_TRUE(c.ok()) << c.status();
  return c.ok() ? std::move(*c) : nullptr;
}

int ClusterStack::CountInLog(int i, const std::string& text) {
  return CountIn(absl::StrCat(base_.dir(), "/matching-", i, ".log"), text);
}

int ClusterStack::CountInGatewayLog(int i, const std::string& text) {
  return CountIn(absl::StrCat(base_.dir(), "/gateway-", i, ".log"), text);
}

int ClusterStack::CountIn(const std::string& path, const std::string& text) {
  const std::string log = ReadFile(path);
  int count = 0;
  for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++count;
  return count;
}

bool ClusterStack::StartReplica(int i) {
  Replica& r = replicas_[i];
  const std::string log = absl::StrCat(base_.dir(), "/matching-", i, ".log");
  // A port found free may be taken by a test running beside this one before
  // the replica binds it: then the replica exits at once, and gets others.
  for (int attempt = 0;; ++attempt) {
    r.child = std::make_unique<Child>();
    std::vector<std::string> args = {SIGNALING_MATCHING_BIN,
                                     "--listen",
                                     address(i),
                                     "--advertise",
                                     address(i),
                                     "--auth_target",
                                     absl::StrCat("127.0.0.1:", base_.auth_port),
                                     "--grpc_insecure",
                                     "--admin_port",
                                     absl::StrCat(r.admin),
                                     "--log_level",
                                     "debug"};
    if (r.redis_args.empty()) {
      args.insert(args.end(), {"--redis", redis_.address()});
    } else {
      args.insert(args.end(), r.redis_args.begin(), r.redis_args.end());
    }
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    if (!r.child->Spawn(args, log)) {
      ADD_FAILURE() << "cannot spawn " << SIGNALING_MATCHING_BIN;
      return false;
    }
    WaitFor(
        [&] {
          return HttpGet(r.admin, "/readyz").status == 200 || !r.child->running() ||
                 r.child->WaitExitStatus(absl::ZeroDuration()).has_value();
        },
        absl::Seconds(20), absl::Milliseconds(20));
    if (attempt < 3 && r.child->WaitExitStatus(absl::ZeroDuration()).has_value() &&
        ReadFile(log).find("Address already in use") != std::string::npos) {
      r.port = FreePort();
      r.admin = FreePort();
      std::filesystem::remove(log);
      continue;
    }
    break;
  }
  if (!base_.WaitReady(r.admin)) return false;
  // Ready to serve once its membership is live (its first heartbeat).
  return WaitFor(
      [&] {
        return ReadFile(absl::StrCat(base_.dir(), "/matching-", i, ".log"))
                   .find("cluster membership live") != std::string::npos;
      },
      absl::Seconds(10));
}

std::optional<v1::Stats> ClusterStack::Stats(int i) {
  auto stub = v1::MatchingAdmin::NewStub(
      grpc::CreateChannel(address(i), grpc::InsecureChannelCredentials()));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  v1::Stats stats;
  if (!stub->GetStats(&context, v1::StatsRequest(), &stats).ok()) return std::nullopt;
  return stats;
}

bool ClusterStack::WaitForZero(absl::Duration timeout) {
  return WaitFor(
      [&] {
        for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) {
          if (!replicas_[i].child->running()) continue;
          auto s = Stats(i);
          if (!s || s->sessions() != 0 || s->ids() != 0 || s->pairings() != 0 ||
              s->waiting_offerers() != 0 || s->pending_verifications() != 0 || s->timers() != 0) {
            return false;
          }
        }
        for (int i = 0; i < static_cast<int>(gateways_.size()); ++i) {
          if (gateways_[i].child->running() && GatewayConnections(i) != 0) return false;
        }
        return true;
      },
      timeout, absl::Milliseconds(50));
}

std::string ClusterStack::DescribeState() {
  std::string out;
  for (int i = 0; i < static_cast<int>(replicas_.size()); ++i) {
    auto s = Stats(i);
    if (!s) {
      absl::StrAppend(&out, "replica ", i, ": no answer; ");
      continue;
    }
    // In cluster mode the answer is the cluster's sum: this replica's own
    // counts are among its per-replica entries.
    for (const v1::ReplicaStats& own : v1::Stats(*s).replicas()) {
      if (own.replica() == address(i)) *s = own.stats();
    }
    absl::StrAppend(&out, "replica ", i, ": sessions=", s->sessions(), " ids=", s->ids(),
                    " pairings=", s->pairings(), " waiting=", s->waiting_offerers(),
                    " verifying=", s->pending_verifications(), " timers=", s->timers(), "; ");
  }
  for (int i = 0; i < static_cast<int>(gateways_.size()); ++i) {
    absl::StrAppend(&out, "gateway ", i, ": connections=", GatewayConnections(i), "; ");
  }
  return out;
}

double ClusterStack::Metric(int i, const std::string& name) {
  const HttpResult metrics = HttpGet(replicas_[i].admin, "/metrics");
  if (metrics.status != 200) return -1;
  double sum = 0;
  for (absl::string_view line : absl::StrSplit(metrics.body, '\n')) {
    if (!absl::ConsumePrefix(&line, name) || line.empty() || (line[0] != ' ' && line[0] != '{')) {
      continue;
    }
    double value = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &value)) sum += value;
  }
  return sum;
}

int ClusterStack::GatewayConnections(int i) {
  const HttpResult metrics = HttpGet(gateways_[i].admin, "/metrics");
  const std::string kGauge = "\nsignaling_gateway_connections ";
  const size_t at = metrics.body.find(kGauge);
  if (metrics.status != 200 || at == std::string::npos) return -1;
  return std::atoi(metrics.body.c_str() + at + kGauge.size());
}

}  // namespace signaling::testing
