// The public WebSocket gateway: terminates client connections on
// /v1/signal, enforces the upgrade policy and connection caps, translates
// each client's frames to the matching service's Relay stream and back, and
// serves the demo page. It holds no pairing state.
//
// Thread-safety: public methods may be called from any thread.
#ifndef GATEWAY_GATEWAY_H_
#define GATEWAY_GATEWAY_H_

#include <memory>

#include "absl/status/statusor.h"
#include "gateway/options.h"

namespace signaling::gateway {

struct GatewayStats {
  size_t connections = 0;    // open WebSocket connections
  size_t http_sessions = 0;  // TCP connections before or without upgrade
  bool matching_connected = false;
};

class Gateway {
 public:
  // Validates the options (production refuses dev conveniences), binds the
  // port and starts serving.
  static absl::StatusOr<std::unique_ptr<Gateway>> Start(GatewayOptions options);
  ~Gateway();

  uint16_t port() const;
  GatewayStats Stats() const;
  bool Ready() const;
  // Starts a drain: not ready, goAway to every client, and after the grace
  // period close the rest with 1001. Returns when every connection is gone.
  void Drain(absl::Duration grace);
  // Stops everything at once.
  void Stop();

  class Impl;

 private:
  explicit Gateway(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

// Checks the options the way Start does; exposed for tests and main.
absl::Status ValidateOptions(const GatewayOptions& options);

}  // namespace signaling::gateway

#endif  // GATEWAY_GATEWAY_H_
