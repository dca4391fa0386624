// An asynchronous Redis client for callers that must never block on Redis:
// requests (one command or a pipeline) are queued with a deadline and run,
// in order, on the client's own thread over one blocking Connection; each
// request's callback runs on that thread with the replies or a status.
//
// Nothing hangs: every request is answered by its deadline (a request whose
// deadline passed while it waited is answered DeadlineExceeded without being
// sent); the queue is bounded (beyond it, ResourceExhausted at once); after
// a failure the client waits a backoff before it connects again, and
// requests in the meantime fail at once with Unavailable.
//
// The server is a fixed endpoint, or the primary that Redis Sentinel names
// (asked of each sentinel in turn, and checked with ROLE). On every new
// connection the `on_connect` commands run first (FUNCTION LOAD, say), then
// the connect listener is told, so that the owner can re-assert its state.
// A READONLY or MASTERDOWN error reply (the node stopped being the primary)
// spends the connection, so that the next request looks the primary up
// again. Behind Sentinel the client also asks the sentinels every
// `primary_check` which node is the primary, and moves as soon as they name
// another: after a failover the old primary goes on taking writes until
// Sentinel demotes it (seconds later), and what it takes then is lost with
// its resync.
//
// Thread-safety: Submit() and Stop() may be called from any thread.
// Callbacks run on the client's thread, one at a time; they may Submit().
#ifndef COMMON_REDIS_CLIENT_H_
#define COMMON_REDIS_CLIENT_H_

#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "common/redis/connection.h"

namespace signaling::redis {

struct ClientOptions {
  // Either a fixed server...
  std::string address;  // host:port
  // ...or the primary named `sentinel_master` by these sentinels.
  std::vector<std::string> sentinels;  // host:port each
  std::string sentinel_master = "signaling";
  ConnectionOptions connection;
  // Pause after a failed connect or a spent connection.
  absl::Duration reconnect_backoff = absl::Milliseconds(200);
  // Behind Sentinel: how often the sentinels are asked for the primary
  // while connected, and the bound of each check.
  absl::Duration primary_check = absl::Seconds(1);
  absl::Duration primary_check_timeout = absl::Milliseconds(200);
  size_t max_queued = 10000;
  // Run on every new connection before any request.
  std::vector<Command> on_connect;
  // Told of every request answered (for metrics): how long it took from
  // being queued, and whether it got replies. On the client's thread.
  std::function<void(absl::Duration took, bool ok)> observe;
};

using Replies = std::vector<Reply>;
using Callback = std::function<void(absl::StatusOr<Replies>)>;

class Client {
 public:
  // InvalidArgument for an unusable address list; connects lazily.
  static absl::StatusOr<std::unique_ptr<Client>> Create(ClientOptions options);
  ~Client();  // Stop()

  // Queues `commands` (sent as one pipeline) to be answered by `deadline`.
  void Submit(std::vector<Command> commands, absl::Time deadline, Callback done);

  // Called on the client's thread after each new connection (and its
  // on_connect commands) succeeded, with the endpoint of the server.
  void SetConnectListener(std::function<void(const Endpoint&)> listener);

  // Answers every queued request Cancelled and joins the thread. Idempotent.
  void Stop();

  // True while a connection is up (for readiness and metrics).
  bool connected() const;
  // Requests waiting for the client's thread (for metrics).
  size_t queued() const;

 private:
  struct Request {
    std::vector<Command> commands;
    absl::Time deadline;
    Callback done;
    absl::Time queued_at;
  };
  // Answers `request` and tells the observer.
  void Answer(Request& request, absl::StatusOr<Replies> replies);

  explicit Client(ClientOptions options, std::vector<Endpoint> endpoints);
  void Loop();
  // Returns the connection to use, connecting if needed; null with `why`.
  Connection* Ensure(absl::Time deadline, absl::Status* why);
  absl::StatusOr<Endpoint> FindPrimary(absl::Time deadline);
  // Behind Sentinel, when a check is due: drops the connection if the
  // sentinels name another primary (a failed check changes nothing).
  void CheckPrimary();
  absl::Status Greet(Connection& connection, absl::Time deadline);

  const ClientOptions options_;
  const std::vector<Endpoint> endpoints_;  // the server, or the sentinels

  mutable absl::Mutex mu_;
  std::deque<Request> queue_ ABSL_GUARDED_BY(mu_);
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool connected_ ABSL_GUARDED_BY(mu_) = false;
  std::function<void(const Endpoint&)> listener_ ABSL_GUARDED_BY(mu_);

  // The client thread's own.
  std::unique_ptr<Connection> connection_;
  absl::Time retry_at_ = absl::InfinitePast();
  absl::Time next_primary_check_ = absl::InfinitePast();
  std::thread thread_;
};

}  // namespace signaling::redis

#endif  // COMMON_REDIS_CLIENT_H_
