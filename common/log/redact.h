// Redaction helpers: what of an identity or an address may reach a log line.
// Never log a token, an SDP, an ICE ufrag/password, a raw peer or session id
// or a full client IP; log ids through Redact(), addresses through RedactIp().
#ifndef COMMON_LOG_REDACT_H_
#define COMMON_LOG_REDACT_H_

#include <string>
#include <string_view>

namespace signaling::log {

// A short, stable, non-reversible-looking tag for an id (session id, peer
// id): "#" and 12 hex digits. The same id gives the same tag in every
// process and build (a fixed 64-bit hash, not std::hash or absl::Hash, which
// may be seeded), so that lines of the gateway and of matching can be joined
// on it. Not a secret: a low-entropy id can be found by trying candidates.
std::string Redact(std::string_view id);

// The network part of an address, parsed (inet_pton), never cut from the
// text: IPv4 -> "a.b.c.0/24"; IPv6 -> its /48 in canonical form
// ("fd00::/48"); IPv4-mapped IPv6 (::ffff:a.b.c.d) -> the IPv4 /24. Accepts
// a zone id ("fe80::1%eth0", dropped) and brackets ("[::1]", "[::1]:443").
// Anything else, including "", -> "?".
std::string RedactIp(std::string_view ip);

}  // namespace signaling::log

#endif  // COMMON_LOG_REDACT_H_
