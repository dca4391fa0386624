// --matching_target parsing and replica name resolution; see
// replica_resolver.h.
#include "gateway/replica_resolver.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace signaling::gateway {
namespace {

absl::Status BadDns(absl::string_view target, absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat("matching_target ", target, ": ", why, " (expected dns:///host:port)"));
}

// `name` is "host:port" or "[v6]:port".
absl::StatusOr<MatchingTarget> ParseDns(absl::string_view target, absl::string_view name) {
  MatchingTarget out;
  out.dynamic = true;
  absl::string_view port;
  if (absl::StartsWith(name, "[")) {
    const size_t close = name.find(']');
    if (close == absl::string_view::npos || name.substr(close + 1, 1) != ":") {
      return BadDns(target, "an IPv6 host needs its port after the brackets");
    }
    out.host = std::string(name.substr(1, close - 1));
    port = name.substr(close + 2);
  } else {
    const size_t colon = name.rfind(':');
    if (colon == absl::string_view::npos) return BadDns(target, "the port is required");
    out.host = std::string(name.substr(0, colon));
    port = name.substr(colon + 1);
    // An unbracketed IPv6 literal cannot be told from host:port.
    if (absl::StrContains(out.host, ':')) return BadDns(target, "bracket an IPv6 host");
  }
  if (out.host.empty()) return BadDns(target, "the host is empty");
  if (out.host.find_first_of(",/ ") != std::string::npos) {
    return BadDns(target, "a dns: target names one host (no list, no path)");
  }
  int number = 0;
  if (!absl::SimpleAtoi(port, &number) || number < 1 || number > 65535 ||
      !std::all_of(port.begin(), port.end(), absl::ascii_isdigit)) {
    return BadDns(target, "the port is not 1..65535");
  }
  out.port = std::string(port);
  return out;
}

}  // namespace

absl::StatusOr<MatchingTarget> ParseMatchingTarget(absl::string_view target) {
  target = absl::StripAsciiWhitespace(target);
  if (absl::StartsWith(target, "dns:")) {
    absl::string_view rest = target.substr(4);
    if (absl::ConsumePrefix(&rest, "///")) return ParseDns(target, rest);
    if (absl::StartsWith(rest, "//")) {
      return BadDns(target, "a DNS server authority is not supported (the system resolver is)");
    }
    return ParseDns(target, rest);
  }
  MatchingTarget out;
  for (absl::string_view part : absl::StrSplit(target, ',', absl::SkipWhitespace())) {
    std::string address(absl::StripAsciiWhitespace(part));
    if (std::find(out.fixed.begin(), out.fixed.end(), address) != out.fixed.end()) {
      return absl::InvalidArgumentError(absl::StrCat("matching_target lists ", address, " twice"));
    }
    if (absl::StartsWith(address, "dns:")) {
      return absl::InvalidArgumentError("a dns: matching_target stands alone, not in a list");
    }
    out.fixed.push_back(std::move(address));
  }
  if (out.fixed.empty()) return absl::InvalidArgumentError("matching_target is required");
  return out;
}

absl::StatusOr<std::vector<std::string>> ResolveWithGetaddrinfo(const std::string& host,
                                                                const std::string& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  // No AI_ADDRCONFIG: with only a loopback interface (a test sandbox) glibc
  // would then answer nothing for localhost.
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const int rc = getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) {
    return absl::UnavailableError(absl::StrCat("cannot resolve ", host, ": ", gai_strerror(rc)));
  }
  std::vector<std::string> addresses;
  for (const addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    char ip[INET6_ADDRSTRLEN] = {};
    if (ai->ai_family == AF_INET) {
      const auto* in = reinterpret_cast<const sockaddr_in*>(ai->ai_addr);
      if (inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip)) == nullptr) continue;
      addresses.push_back(absl::StrCat(ip, ":", port));
    } else if (ai->ai_family == AF_INET6) {
      const auto* in6 = reinterpret_cast<const sockaddr_in6*>(ai->ai_addr);
      if (inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip)) == nullptr) continue;
      addresses.push_back(absl::StrCat("[", ip, "]:", port));
    }
  }
  freeaddrinfo(found);
  std::sort(addresses.begin(), addresses.end());
  addresses.erase(std::unique(addresses.begin(), addresses.end()), addresses.end());
  if (addresses.empty()) {
    return absl::UnavailableError(absl::StrCat(host, " has no TCP address"));
  }
  return addresses;
}

}  // namespace signaling::gateway
