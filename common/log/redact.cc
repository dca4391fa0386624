// Redaction of ids and addresses; see redact.h.
#include "common/log/redact.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cstdint>
#include <cstring>

#include "absl/strings/str_cat.h"

namespace signaling::log {
namespace {

// FNV-1a over the bytes, then a SplitMix64 finaliser so that ids differing
// in one character give unrelated tags.
uint64_t StableHash(std::string_view id) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (unsigned char c : id) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  h ^= h >> 30;
  h *= 0xbf58476d1ce4e5b9ULL;
  h ^= h >> 27;
  h *= 0x94d049bb133111ebULL;
  h ^= h >> 31;
  return h;
}

std::string RedactV4(const unsigned char* b) {
  return absl::StrCat(b[0], ".", b[1], ".", b[2], ".0/24");
}

// The address text without brackets, port or zone id; empty if the
// brackets do not match.
std::string_view Unwrap(std::string_view ip) {
  if (!ip.empty() && ip.front() == '[') {
    const size_t close = ip.find(']');
    if (close == std::string_view::npos) return {};
    const std::string_view rest = ip.substr(close + 1);
    // After "]" only nothing or ":port" may follow.
    if (!rest.empty() && rest.front() != ':') return {};
    ip = ip.substr(1, close - 1);
  }
  if (const size_t zone = ip.find('%'); zone != std::string_view::npos) {
    // A zone id belongs to IPv6 addresses only.
    if (ip.substr(0, zone).find(':') == std::string_view::npos) return {};
    ip = ip.substr(0, zone);
  }
  return ip;
}

}  // namespace

std::string Redact(std::string_view id) {
  return absl::StrCat("#", absl::Hex(StableHash(id) >> 16, absl::kZeroPad12));
}

std::string RedactIp(std::string_view text) {
  const std::string ip(Unwrap(text));  // inet_pton wants a C string
  if (ip.empty() || ip.find('\0') != std::string::npos) return "?";
  unsigned char v4[4];
  if (inet_pton(AF_INET, ip.c_str(), v4) == 1) return RedactV4(v4);
  in6_addr v6;
  if (inet_pton(AF_INET6, ip.c_str(), &v6) != 1) return "?";
  if (IN6_IS_ADDR_V4MAPPED(&v6)) return RedactV4(v6.s6_addr + 12);
  std::memset(v6.s6_addr + 6, 0, 10);
  char out[INET6_ADDRSTRLEN];
  if (inet_ntop(AF_INET6, &v6, out, sizeof out) == nullptr) return "?";
  return absl::StrCat(out, "/48");
}

}  // namespace signaling::log
