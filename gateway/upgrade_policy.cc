// Upgrade decisions; see upgrade_policy.h.
#include "gateway/upgrade_policy.h"

#include <algorithm>

namespace signaling::gateway {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

bool OriginAllowed(const std::vector<std::string>& allowed, std::string_view origin,
                   bool origin_present) {
  if (allowed.empty()) return true;
  if (!origin_present) return false;
  return std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
}

std::string ClientIp(std::string_view peer_ip, const std::vector<std::string>& trusted,
                     std::string_view forwarded_header) {
  const bool from_proxy =
      std::find(trusted.begin(), trusted.end(), peer_ip) != trusted.end();
  if (!from_proxy || Trim(forwarded_header).empty()) return std::string(peer_ip);
  const size_t comma = forwarded_header.rfind(',');
  std::string_view last =
      Trim(comma == std::string_view::npos ? forwarded_header : forwarded_header.substr(comma + 1));
  if (last.empty() || last.size() > 45) return std::string(peer_ip);
  return std::string(last);
}

std::optional<Subprotocol> ChooseSubprotocol(std::string_view header, bool present) {
  if (!present) return Subprotocol::kJson;
  while (!header.empty()) {
    const size_t comma = header.find(',');
    std::string_view item = Trim(header.substr(0, comma));
    if (item == kJsonSubprotocol) return Subprotocol::kJson;
    if (item == kProtoSubprotocol) return Subprotocol::kProto;
    if (comma == std::string_view::npos) break;
    header.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

}  // namespace signaling::gateway
