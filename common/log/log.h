// Structured logging: one spdlog logger per component writing one JSON
// object per line to stderr, structured events built from escaped fields,
// and per-cause rate limiting. Never log a token, an SDP, an ICE
// ufrag/password, a raw id or a full client IP; log ids through Redact(),
// addresses through RedactIp() (common/log/redact.h).
//
//   log::Event(*log_, spdlog::level::debug, "session.ended",
//              {{"session", log::Redact(id)}, {"code", 1000}, {"duration", elapsed}});
//   -> {"ts":"…","level":"debug","component":"matching","event":"session.ended",
//       "session":"#0123456789ab","code":1000,"duration_ms":1234}
//
// fmt-style calls (log_->info("x {}", y)) stay valid JSON too: their whole
// text is escaped into "msg".
#ifndef COMMON_LOG_LOG_H_
#define COMMON_LOG_LOG_H_

#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "common/log/json_line.h"
#include "common/log/redact.h"
#include "spdlog/spdlog.h"

namespace signaling::log {

// Sets the level of every logger ("trace" … "off"); false if unknown.
bool SetLevel(std::string_view level);

// The logger of a component ("gateway", "matching", "auth", …), created on
// first use. Thread-safe. Its lines are JSON objects with "ts" (UTC, ms),
// "level", "component", and "msg" or an event's fields.
std::shared_ptr<spdlog::logger> Get(const std::string& component);

// A logger like Get's writing to `sink` instead of stderr, not registered
// (SetLevel does not reach it), at level trace. For tests.
std::shared_ptr<spdlog::logger> NewLogger(const std::string& component, spdlog::sink_ptr sink);

// One field of an event: a key (a code-chosen name) and a string, integer,
// bool, double or duration value. It refers to its key and string value
// without copying: build fields in the Event call itself. A duration is
// written as whole milliseconds under "<key>_ms".
class Field {
 public:
  Field(std::string_view key, std::string_view value) : key_(key), kind_(kString), str_(value) {}
  Field(std::string_view key, const char* value) : Field(key, std::string_view(value)) {}
  Field(std::string_view key, const std::string& value) : Field(key, std::string_view(value)) {}
  template <std::integral T>
  requires(!std::same_as<T, bool>) Field(std::string_view key, T value) : key_(key) {
    if constexpr (std::is_signed_v<T>) {
      kind_ = kInt;
      int_ = value;
    } else {
      kind_ = kUint;
      uint_ = value;
    }
  }
  Field(std::string_view key, bool value) : key_(key), kind_(kBool), bool_(value) {}
  Field(std::string_view key, double value) : key_(key), kind_(kDouble), double_(value) {}
  Field(std::string_view key, absl::Duration value)
      : key_(key), kind_(kMillis), int_(absl::ToInt64Milliseconds(value)) {}

  // Appends `,"key":value` (JSON, escaped) to `out`.
  void AppendTo(std::string* out) const;

 private:
  enum Kind { kString, kInt, kUint, kBool, kDouble, kMillis };
  std::string_view key_;
  Kind kind_;
  std::string_view str_;
  int64_t int_ = 0;
  uint64_t uint_ = 0;
  bool bool_ = false;
  double double_ = 0;
};

// Logs the event `name` ("session.ended") with `fields` at `level` as one
// JSON line: the common keys, then "event", then the fields in order. Costs
// one level check when the level is disabled (compute expensive field
// values, like Redact(), only after logger.should_log(level) if it matters).
// Keys must not be "ts", "level", "component", "event" or "msg".
void Event(spdlog::logger& logger, spdlog::level::level_enum level, std::string_view name,
           std::initializer_list<Field> fields);
inline void Event(const std::shared_ptr<spdlog::logger>& logger, spdlog::level::level_enum level,
                  std::string_view name, std::initializer_list<Field> fields) {
  Event(*logger, level, name, fields);
}

// At most one log line per cause per interval, so that hostile input cannot
// flood the logs. Thread-safe. Returns true when the caller may log now.
bool ShouldLog(std::string_view cause, absl::Duration interval = absl::Seconds(10));
// The same at the time `now` (for tests). Causes are forgotten all at once
// when more than kMaxCauses are held, so that their table stays bounded.
bool ShouldLog(std::string_view cause, absl::Duration interval, absl::Time now);
inline constexpr size_t kMaxCauses = 4096;

}  // namespace signaling::log

#endif  // COMMON_LOG_LOG_H_
