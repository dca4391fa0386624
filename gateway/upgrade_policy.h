// Decisions on an HTTP upgrade request, pure and testable: which Origin is
// allowed, which client IP to account, which subprotocol to speak.
#ifndef GATEWAY_UPGRADE_POLICY_H_
#define GATEWAY_UPGRADE_POLICY_H_

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace signaling::gateway {

enum class Subprotocol { kJson, kProto };

inline constexpr std::string_view kJsonSubprotocol = "signaling.v1.json";
inline constexpr std::string_view kProtoSubprotocol = "signaling.v1.proto";

// Exact match of the Origin header against the allow-list (scheme, host and
// port as the browser sends them). An empty list allows everything (dev
// mode only; production refuses to start without a list).
bool OriginAllowed(const std::vector<std::string>& allowed, std::string_view origin,
                   bool origin_present);

// The client IP: the peer's address, unless the peer is a trusted proxy and
// sent the header, then the header's last (proxy-appended) entry.
std::string ClientIp(std::string_view peer_ip, const std::vector<std::string>& trusted,
                     std::string_view forwarded_header);

// The subprotocol for a Sec-WebSocket-Protocol header: the first known one
// the client offers; JSON when it offers none; nullopt when it offers only
// unknown ones.
std::optional<Subprotocol> ChooseSubprotocol(std::string_view header, bool present);

}  // namespace signaling::gateway

#endif  // GATEWAY_UPGRADE_POLICY_H_
