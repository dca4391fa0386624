// Upgrade decisions; see upgrade_policy.h.
#include "gateway/upgrade_policy.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "boost/asio/ip/address.hpp"

namespace signaling::gateway {
namespace {

namespace ip = boost::asio::ip;

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// An IP address, IPv4-mapped IPv6 unwrapped; nullopt if it is not one.
std::optional<ip::address> ParseIp(std::string_view text) {
  boost::system::error_code ec;
  ip::address address = ip::make_address(std::string(text), ec);
  if (ec) return std::nullopt;
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    return ip::make_address_v4(ip::v4_mapped, address.to_v6());
  }
  return address;
}

}  // namespace

bool OriginAllowed(const std::vector<std::string>& allowed, std::string_view origin,
                   bool origin_present) {
  if (allowed.empty()) return true;
  if (!origin_present) return false;
  return std::find(allowed.begin(), allowed.end(), origin) != allowed.end();
}

absl::StatusOr<TrustedProxies> TrustedProxies::Parse(const std::vector<std::string>& entries) {
  TrustedProxies proxies;
  for (const std::string& entry : entries) {
    const size_t slash = entry.find('/');
    const std::optional<ip::address> base = ParseIp(std::string_view(entry).substr(0, slash));
    int prefix = base && base->is_v4() ? 32 : 128;
    bool ok = base.has_value();
    if (ok && slash != std::string::npos) {
      const std::string bits = entry.substr(slash + 1);
      ok = !bits.empty() && bits.size() <= 3 &&
           std::all_of(bits.begin(), bits.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
           std::stoi(bits) <= prefix;
      if (ok) prefix = std::stoi(bits);
    }
    if (!ok) {
      return absl::InvalidArgumentError(
          absl::StrCat("trusted_proxies entry is not an IP address or CIDR range: ", entry));
    }
    if (base->is_v4()) {
      proxies.v4_.push_back(ip::make_network_v4(base->to_v4(), prefix).canonical());
    } else {
      proxies.v6_.push_back(ip::make_network_v6(base->to_v6(), prefix).canonical());
    }
  }
  return proxies;
}

bool TrustedProxies::Contains(std::string_view text) const {
  const std::optional<ip::address> address = ParseIp(text);
  if (!address) return false;
  if (address->is_v4()) {
    return std::any_of(v4_.begin(), v4_.end(), [&](const ip::network_v4& net) {
      return ip::make_network_v4(address->to_v4(), net.prefix_length()).canonical() == net;
    });
  }
  return std::any_of(v6_.begin(), v6_.end(), [&](const ip::network_v6& net) {
    return ip::make_network_v6(address->to_v6(), net.prefix_length()).canonical() == net;
  });
}

std::string ClientIp(std::string_view peer_ip, const TrustedProxies& trusted,
                     std::string_view forwarded_header) {
  if (!trusted.Contains(peer_ip)) return std::string(peer_ip);
  const size_t comma = forwarded_header.rfind(',');
  const std::string_view last =
      Trim(comma == std::string_view::npos ? forwarded_header : forwarded_header.substr(comma + 1));
  const std::optional<ip::address> client = ParseIp(last);
  return client ? client->to_string() : std::string(peer_ip);
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

Admission AdmitConnection(size_t admitted, size_t max_connections, size_t from_ip,
                          size_t max_connections_per_ip) {
  if (admitted >= max_connections) return Admission::kAtCapacity;
  if (from_ip >= max_connections_per_ip) return Admission::kPerIpCap;
  return Admission::kAdmitted;
}

}  // namespace signaling::gateway
