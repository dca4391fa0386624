// The admin HTTP endpoint of a service: Prometheus metrics and health
// probes. Bind it to the ADMIN port only (loopback or a cluster-internal
// address), never the public one: it has no authentication.
//
//   GET /metrics  200, text exposition format 0.0.4 from the registry
//   GET /healthz  200 "ok" while the process serves (liveness)
//   GET /readyz   200 "ready" when options.ready() is true, else 503
//                 "not ready" (readiness)
//   other paths   404; other methods 405 (Allow: GET)
//
// HTTP/1.1 with keep-alive, one request at a time per connection. Requests
// that do not parse get 400 (431 for headers over the limit, 413 for a body
// over the limit) and the connection is closed; idle or slow connections are
// closed after read_timeout.
#ifndef COMMON_ADMIN_ADMIN_HTTP_H_
#define COMMON_ADMIN_ADMIN_HTTP_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/metrics/metrics.h"

namespace signaling::admin {

struct AdminOptions {
  // Address to listen on; keep it off the public interface.
  std::string address = "127.0.0.1";
  // 0 picks a free port; see AdminServer::port().
  unsigned short port = 0;
  // Served at /metrics. nullptr means metrics::DefaultRegistry(). Not owned;
  // must outlive the server.
  metrics::Registry* registry = nullptr;
  // Readiness check for /readyz, called on the server thread for every probe:
  // must be cheap, non-blocking and thread-safe. Empty means always ready.
  std::function<bool()> ready;

  // Limits. Defaults are safe for an admin port.
  std::size_t header_limit_bytes = 8 * 1024;
  std::uint64_t body_limit_bytes = 1024;
  // Longest wait for a request (including between keep-alive requests) and
  // for a response to be written.
  absl::Duration read_timeout = absl::Seconds(10);
  // Connections beyond this are closed on accept.
  int max_connections = 64;
};

// Serves the admin endpoint on its own io_context and thread.
class AdminServer {
 public:
  // Binds, listens and starts the server thread. InvalidArgument for a bad
  // address or limit; Unavailable when the address cannot be bound.
  static absl::StatusOr<std::unique_ptr<AdminServer>> Start(const AdminOptions& options);

  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;
  // Stops the server (see Stop()).
  ~AdminServer();

  // The bound port (the chosen one when options.port was 0).
  unsigned short port() const;

  // Stops accepting, closes every connection and joins the server thread;
  // after it returns the registry and ready callback are no longer used.
  // Idempotent. Must not be called from a ready() or collector callback.
  void Stop();

 private:
  struct Impl;
  explicit AdminServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace signaling::admin

#endif  // COMMON_ADMIN_ADMIN_HTTP_H_
