// The session log lines of the pairing engine (common/log, see
// docs/operations.md "Logs"): session.ended and session.refused, the
// engine's logger, and the time of the engine call in progress. Internal to
// services/matching/pairing_engine*.cc, which write the other session lines
// (opened, joined, paired) where they happen.
#ifndef SERVICES_MATCHING_ENGINE_LOG_H_
#define SERVICES_MATCHING_ENGINE_LOG_H_

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/log/log.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::matching::internal {

// The time of the engine call in progress: session.ended's duration where the
// caller (Fail, CloseAll) was not given one; never before the last activity
// (CloseAll may run on a thread of no earlier call). One call, one thread:
// each public entry point that is given a time sets it first.
extern thread_local absl::Time t_call_time;

// The "matching" logger.
spdlog::logger& Log();

// session.ended at debug, for a session about to be released; `Session` is
// the engine's (PairingEngine::Session).
template <class Session>
void LogEnded(const Session& s, uint32_t code, std::string_view cause) {
  if (!Log().should_log(spdlog::level::debug)) return;
  log::Event(Log(), spdlog::level::debug, "session.ended",
             {{"session", log::Redact(s.session_id)},
              {"code", code},
              {"cause", cause},
              {"duration", std::max(t_call_time, s.last_activity) - s.connected_at},
              {"in", s.messages_in},
              {"out", s.messages_out}});
}

// Every refusal at debug; otherwise one per error code per 10 s at info.
void LogRefused(const std::string& session_id, v1::Error::Code code);

}  // namespace signaling::matching::internal

#endif  // SERVICES_MATCHING_ENGINE_LOG_H_
