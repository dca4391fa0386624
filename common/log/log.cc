// Component loggers, events and rate limiting; see log.h.
#include "common/log/log.h"

#include <cmath>
#include <cstdio>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace signaling::log {
namespace {

absl::Mutex g_mu;
spdlog::level::level_enum g_level ABSL_GUARDED_BY(g_mu) = spdlog::level::info;

absl::flat_hash_map<std::string, absl::Time>& LastLogged() ABSL_EXCLUSIVE_LOCKS_REQUIRED(g_mu) {
  static auto* map = new absl::flat_hash_map<std::string, absl::Time>();
  return *map;
}

void UseJson(spdlog::logger& logger) {
  logger.set_formatter(std::make_unique<JsonFormatter>());
  // spdlog's own error report ("[*** LOG ERROR ***] …") is not JSON; say
  // it as a line of the component instead.
  logger.set_error_handler([name = logger.name()](const std::string& error) {
    std::string line = absl::StrCat(
        R"({"ts":")", absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::Now(), absl::UTCTimeZone()),
        R"(","level":"error","component":")", JsonEscape(name), R"(","msg":"log error: )",
        JsonEscape(error), "\"}\n");
    std::fwrite(line.data(), 1, line.size(), stderr);
  });
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
  UseJson(*logger);
  logger->set_level(g_level);
  return logger;
}

std::shared_ptr<spdlog::logger> NewLogger(const std::string& component, spdlog::sink_ptr sink) {
  auto logger = std::make_shared<spdlog::logger>(component, std::move(sink));
  UseJson(*logger);
  logger->set_level(spdlog::level::trace);
  return logger;
}

void Field::AppendTo(std::string* out) const {
  out->append(",\"");
  AppendJsonEscaped(key_, out);
  if (kind_ == kMillis) out->append("_ms");
  out->append("\":");
  switch (kind_) {
    case kString:
      out->push_back('"');
      AppendJsonEscaped(str_, out);
      out->push_back('"');
      break;
    case kInt:
    case kMillis: absl::StrAppend(out, int_); break;
    case kUint: absl::StrAppend(out, uint_); break;
    case kBool: out->append(bool_ ? "true" : "false"); break;
    case kDouble:
      // JSON has no NaN or infinity.
      if (std::isfinite(double_)) {
        absl::StrAppend(out, double_);
      } else {
        out->append("null");
      }
      break;
  }
}

void Event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view name,
           std::initializer_list<Field> fields) {
  if (!logger.should_log(level)) return;
  std::string body = "\"event\":\"";
  AppendJsonEscaped(name, &body);
  body.push_back('"');
  for (const Field& field : fields) field.AppendTo(&body);
  // The source marks the payload as escaped fields for JsonFormatter.
  logger.log(spdlog::source_loc{internal::kEventSource, 1, ""}, level,
             spdlog::string_view_t(body.data(), body.size()));
}

bool ShouldLog(std::string_view cause, absl::Duration interval) {
  return ShouldLog(cause, interval, absl::Now());
}

bool ShouldLog(std::string_view cause, absl::Duration interval, absl::Time now) {
  absl::MutexLock lock(&g_mu);
  auto& last = LastLogged();
  const absl::string_view key(cause.data(), cause.size());
  if (last.size() >= kMaxCauses && !last.contains(key)) last.clear();
  auto [it, inserted] = last.try_emplace(std::string(cause), now);
  if (inserted) return true;
  if (now - it->second < interval) return false;
  it->second = now;
  return true;
}

}  // namespace signaling::log
