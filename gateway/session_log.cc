// A connection's session.* log lines; see session_log.h.
#include "gateway/session_log.h"

#include "absl/time/time.h"
#include "common/log/log.h"

namespace signaling::gateway {
namespace {

// The gateway's logger, looked up once (log::Get takes a lock).
spdlog::logger& Log() {
  static const auto* logger = new std::shared_ptr<spdlog::logger>(log::Get("gateway"));
  return **logger;
}

}  // namespace

// One of these is in every connection (idle ones by the hundred thousand):
// it holds what the lines report and nothing more, not even the logger.
static_assert(sizeof(SessionLog) ==
              sizeof(SessionLog::Clock::time_point) + 2 * sizeof(uint64_t) + sizeof(std::string));

void SessionLog::Opened(uint64_t conn, std::string_view client_ip,
                        std::string_view transport) const {
  // RedactIp costs a parse and a copy: only when the line is written.
  if (!Log().should_log(spdlog::level::debug)) return;
  log::Event(Log(), spdlog::level::debug, "session.opened",
             {{"conn", conn}, {"ip", log::RedactIp(client_ip)}, {"transport", transport}});
}

void SessionLog::Joined(uint64_t conn, const v1::Joined& joined) {
  // Kept at any level: session.refused (info) carries it too.
  session_tag_ = log::Redact(joined.session_id());
  log::Event(Log(), spdlog::level::debug, "session.joined",
             {{"conn", conn}, {"session", session_tag_}, {"role", v1::Role_Name(joined.role())}});
}

void SessionLog::Refused(uint64_t conn, std::string_view reason) const {
  if (!log::ShouldLog("invalid-message")) return;
  log::Event(
      Log(), spdlog::level::info, "session.refused",
      {{"conn", conn}, {"session", session_tag_}, {"code", "INVALID_MESSAGE"}, {"reason", reason}});
}

void SessionLog::Ended(uint64_t conn, int code, std::string_view cause) const {
  if (!Log().should_log(spdlog::level::debug)) return;
  log::Event(Log(), spdlog::level::debug, "session.ended",
             {{"conn", conn},
              {"session", session_tag_},
              {"code", code},
              {"cause", cause},
              {"duration", absl::FromChrono(Clock::now() - opened_at_)},
              {"in", messages_in_},
              {"out", messages_out_}});
}

}  // namespace signaling::gateway
