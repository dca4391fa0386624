// The real binaries of a cluster as child processes: a redis-server, the
// auth service, N matching replicas in cluster mode and M gateways (dev
// mode) that know every replica (plaintext gRPC, fixed loopback ports
// chosen at construction), each replica restartable on its port. Tokens are minted with the stack's
// key. Replica logs are checked as JSON lines and their tails printed when a test failed.
#ifndef TESTS_CLUSTER_CLUSTER_STACK_H_
#define TESTS_CLUSTER_CLUSTER_STACK_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "signaling/v1/matching.pb.h"
#include "tests/common/redis/redis_server.h"
#include "tests/integration/process_stack.h"

namespace signaling::testing {

class ClusterStack {
 public:
  explicit ClusterStack(int replicas, int gateways = 0);
  ~ClusterStack();

  // Redis, auth, then every replica, each waited for (bounded).
  bool Start();
  // Starts replica `i` on its port and waits until its membership is live.
  bool StartReplica(int i);
  // How replica `i` finds Redis from its next start on: {"--redis",
  // <the stack's redis>} unless set (a proxy's address, Sentinel flags).
  void SetRedisArgs(int i, std::vector<std::string> args) { replicas_[i].redis_args = std::move(args); }
  // More flags for every replica from its next start on.
  void AddReplicaArgs(const std::vector<std::string>& args) {
    extra_args_.insert(extra_args_.end(), args.begin(), args.end());
  }
  // A WebSocket client of gateway `i`; nullptr (and a failure) if refused.
  std::unique_ptr<WsClient> Connect(int gateway);
  // How many times `text` is in replica `i`'s log, or gateway `i`'s.
  int CountInLog(int i, const std::string& text);
  int CountInGatewayLog(int i, const std::string& text);

  std::string Token(const std::string& subject, const std::vector<std::string>& accept,
                    const std::vector<std::string>& offer, absl::Duration ttl = absl::Minutes(10)) {
    return base_.Token(subject, accept, offer, ttl);
  }
  // "127.0.0.1:<port>": the replica's gRPC address, also its name.
  std::string address(int i) const;
  Child& replica(int i) { return *replicas_[i].child; }
  RedisServer& redis() { return redis_; }
  // The sum of every series of metric `name` on replica `i` (its /metrics);
  // -1 when it does not answer.
  double Metric(int i, const std::string& name);
  // Replica `i`'s counts (GetStats); nullopt when it does not answer.
  std::optional<v1::Stats> Stats(int i);
  // Waits until every running replica holds no session, id, pairing,
  // waiting offerer, verification or timer, and every gateway no connection.
  bool WaitForZero(absl::Duration timeout = absl::Seconds(10));
  // Each process's counts, for a failure message.
  std::string DescribeState();

 private:
  struct Replica {
    uint16_t port;
    uint16_t admin;
    std::unique_ptr<Child> child;
    std::vector<std::string> redis_args;  // empty: the stack's redis
  };

  static int CountIn(const std::string& path, const std::string& text);
  // The gateway's open WebSocket connections (its metrics), -1 if unknown.
  int GatewayConnections(int i);

  ProcessStack base_;  // its auth and its key
  RedisServer redis_;
  std::vector<Replica> replicas_;
  std::vector<Replica> gateways_;  // port: the public one
  std::vector<std::string> extra_args_;
};

}  // namespace signaling::testing

#endif  // TESTS_CLUSTER_CLUSTER_STACK_H_
