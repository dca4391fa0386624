// The pairing engine's session log lines; see engine_log.h.
#include "services/matching/engine_log.h"

#include <memory>

#include "absl/strings/str_cat.h"

namespace signaling::matching::internal {

thread_local absl::Time t_call_time;

spdlog::logger& Log() {
  static const auto* logger = new std::shared_ptr<spdlog::logger>(log::Get("matching"));
  return **logger;
}

void LogRefused(const std::string& session_id, v1::Error::Code code) {
  const std::string& name = v1::Error::Code_Name(code);
  spdlog::level::level_enum level = spdlog::level::debug;
  if (!Log().should_log(level)) {
    level = spdlog::level::info;
    if (!Log().should_log(level) || !log::ShouldLog(absl::StrCat("refused:", name))) return;
  }
  log::Event(Log(), level, "session.refused",
             {{"session", log::Redact(session_id)}, {"code", name}});
}

}  // namespace signaling::matching::internal
