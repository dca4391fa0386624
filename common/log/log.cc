// JSON-lines loggers and redaction helpers; see log.h.
#include "common/log/log.h"

#include <cstdio>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/hash/hash.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/mutex.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace signaling::log {
namespace {

absl::Mutex g_mu;
spdlog::level::level_enum g_level ABSL_GUARDED_BY(g_mu) = spdlog::level::info;
absl::flat_hash_map<std::string, absl::Time>& LastLogged() {
  static auto* map = new absl::flat_hash_map<std::string, absl::Time>();
  return *map;
}

}  // namespace

bool SetLevel(std::string_view level) {
  const auto parsed = spdlog::level::from_str(std::string(level));
  if (parsed == spdlog::level::off && level != "off") return false;
  absl::MutexLock lock(&g_mu);
  g_level = parsed;
  spdlog::apply_all([&](std::shared_ptr<spdlog::logger> l) { l->set_level(parsed); });
  return true;
}

std::shared_ptr<spdlog::logger> Get(const std::string& component) {
  absl::MutexLock lock(&g_mu);
  if (auto existing = spdlog::get(component)) return existing;
  auto logger = spdlog::stderr_logger_mt(component);
  logger->set_pattern(
      R"({"ts":"%Y-%m-%dT%H:%M:%S.%e%z","level":"%l","component":"%n","msg":"%v"})");
  logger->set_level(g_level);
  return logger;
}

std::string Redact(std::string_view id) {
  // Not a secret hash: enough to correlate lines without revealing the id.
  const size_t hash = std::hash<std::string_view>{}(id);
  return absl::StrFormat("#%08x", static_cast<uint32_t>(hash ^ (hash >> 32)));
}

std::string RedactIp(std::string_view ip) {
  if (ip.find(':') != std::string_view::npos) {
    std::vector<absl::string_view> parts =
        absl::StrSplit(absl::string_view(ip.data(), ip.size()), ':');
    if (parts.size() > 3) parts.resize(3);
    return absl::StrCat(absl::StrJoin(parts, ":"), "::/48");
  }
  std::vector<absl::string_view> parts =
      absl::StrSplit(absl::string_view(ip.data(), ip.size()), '.');
  if (parts.size() != 4) return "?";
  return absl::StrCat(parts[0], ".", parts[1], ".", parts[2], ".0/24");
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (c < 0x20) {
          out += absl::StrFormat("\\u%04x", c);
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out;
}

bool ShouldLog(std::string_view cause, absl::Duration interval) {
  const absl::Time now = absl::Now();
  absl::MutexLock lock(&g_mu);
  auto [it, inserted] = LastLogged().try_emplace(std::string(cause), now);
  if (inserted) return true;
  if (now - it->second < interval) return false;
  it->second = now;
  return true;
}

}  // namespace signaling::log
