// Decisions on an HTTP upgrade request, pure and testable: which Origin is
// allowed, which client IP to account, which subprotocol to speak, whether
// one more connection fits. Verdicts are typed; the HTTP session maps them
// to statuses where it writes the refusal.
#ifndef GATEWAY_UPGRADE_POLICY_H_
#define GATEWAY_UPGRADE_POLICY_H_

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/asio/ip/network_v4.hpp"
#include "boost/asio/ip/network_v6.hpp"

namespace signaling::gateway {

enum class Subprotocol { kJson, kProto };

inline constexpr std::string_view kJsonSubprotocol = "signaling.v1.json";
inline constexpr std::string_view kProtoSubprotocol = "signaling.v1.proto";

// Exact match of the Origin header against the allow-list (scheme, host and
// port as the browser sends them). An empty list allows everything (dev
// mode only; production refuses to start without a list).
bool OriginAllowed(const std::vector<std::string>& allowed, std::string_view origin,
                   bool origin_present);

// The peers whose client-IP header is believed: addresses and CIDR ranges
// ("10.0.0.7", "10.0.0.0/8", "fd00::/8"). IPv4-mapped IPv6 peers match
// their IPv4 entries.
class TrustedProxies {
 public:
  TrustedProxies() = default;
  // An error names the entry that is neither an address nor a range.
  static absl::StatusOr<TrustedProxies> Parse(const std::vector<std::string>& entries);

  bool Contains(std::string_view ip) const;
  bool empty() const { return v4_.empty() && v6_.empty(); }

 private:
  std::vector<boost::asio::ip::network_v4> v4_;
  std::vector<boost::asio::ip::network_v6> v6_;
};

// The client IP: the peer's address, unless the peer is a trusted proxy and
// the header's last (proxy-appended) entry is an IP address, then that one.
std::string ClientIp(std::string_view peer_ip, const TrustedProxies& trusted,
                     std::string_view forwarded_header);

// The subprotocol for a Sec-WebSocket-Protocol header: the first known one
// the client offers; JSON when it offers none; nullopt when it offers only
// unknown ones.
std::optional<Subprotocol> ChooseSubprotocol(std::string_view header, bool present);

// The verdict on admitting one more connection before its upgrade.
enum class Admission {
  kAdmitted,
  kAtCapacity,  // the gateway already holds max_connections
  kPerIpCap,    // this client IP already holds max_connections_per_ip
};

// Whether one more connection fits, given the connections the gateway
// holds (`admitted`) and those of the client's IP (`from_ip`). The
// gateway-wide cap is checked first.
Admission AdmitConnection(size_t admitted, size_t max_connections, size_t from_ip,
                          size_t max_connections_per_ip);

}  // namespace signaling::gateway

#endif  // GATEWAY_UPGRADE_POLICY_H_
