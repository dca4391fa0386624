// One blocking connection to a Redis server, over hiredis 0.14's
// synchronous API, with our own bound on every wait: the connect, and each
// command or pipeline by its deadline (hiredis 0.14 has no async timeouts;
// its blocking API honours a socket timeout, which is set to what is left
// of the deadline before each reply is read). A connection that timed out or broke is spent:
// ok() turns false and every later call fails at once with Unavailable, so
// that the owner reconnects. No hiredis type leaves this file's .cc.
//
// Thread-safety: none; one thread uses a connection at a time.
#ifndef COMMON_REDIS_CONNECTION_H_
#define COMMON_REDIS_CONNECTION_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/reply.h"

namespace signaling::redis {

struct Endpoint {
  std::string host;
  int port = 0;
  std::string ToString() const;
};

// "host:port", "[v6]:port"; InvalidArgument otherwise.
absl::StatusOr<Endpoint> ParseEndpoint(const std::string& text);

struct ConnectionOptions {
  absl::Duration connect_timeout = absl::Milliseconds(500);
  // AUTH after connecting when the password is not empty (with the user
  // when that is not empty: an ACL user).
  std::string user;
  std::string password;
};

// One argument vector: {"SET", "k", "v"}.
using Command = std::vector<std::string>;

class Connection {
 public:
  // Connects and authenticates, all before `deadline` (and within
  // connect_timeout). Unavailable when the server cannot be reached or does
  // not answer in time; PermissionDenied when AUTH is refused.
  static absl::StatusOr<std::unique_ptr<Connection>> Open(const Endpoint& endpoint,
                                                          const ConnectionOptions& options,
                                                          absl::Time deadline);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // One command, answered before `deadline`. A Redis error reply is a
  // Reply of type kError, not a failed status; a failed status (Unavailable)
  // means the connection is spent.
  absl::StatusOr<Reply> Run(const Command& command, absl::Time deadline);
  // Several commands in one write, every reply before `deadline`, in order.
  absl::StatusOr<std::vector<Reply>> Pipeline(const std::vector<Command>& commands,
                                              absl::Time deadline);

  bool ok() const { return context_ != nullptr; }
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  Connection(Endpoint endpoint, void* context);
  absl::Status Spend(const char* what, bool timed_out);

  const Endpoint endpoint_;
  void* context_;  // redisContext*; null once spent
};

}  // namespace signaling::redis

#endif  // COMMON_REDIS_CONNECTION_H_
