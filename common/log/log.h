// Structured logging: one spdlog logger per component writing JSON lines to
// stderr, and helpers that keep secrets and identities out of the logs.
// Never log a token, an SDP, an ICE password or a full client IP; log ids
// through Redact(), addresses through RedactIp().
#ifndef COMMON_LOG_LOG_H_
#define COMMON_LOG_LOG_H_

#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "spdlog/spdlog.h"

namespace signaling::log {

// Sets the level of every logger ("trace" … "off"); false if unknown.
bool SetLevel(std::string_view level);

// The logger of a component ("gateway", "matching", "auth", …), created on
// first use. Thread-safe. Its lines are JSON objects:
// {"ts":"…","level":"info","component":"gateway","msg":"…"}.
std::shared_ptr<spdlog::logger> Get(const std::string& component);

// A short, stable, non-reversible tag for an id (session id, peer id).
std::string Redact(std::string_view id);

// The network part of an address: IPv4 /24, IPv6 /48.
std::string RedactIp(std::string_view ip);

// Escapes a string for inclusion in a JSON log line.
std::string JsonEscape(std::string_view text);

// At most one log line per cause per interval, so that hostile input cannot
// flood the logs. Thread-safe. Returns true when the caller may log now.
bool ShouldLog(std::string_view cause, absl::Duration interval = absl::Seconds(10));

}  // namespace signaling::log

#endif  // COMMON_LOG_LOG_H_
