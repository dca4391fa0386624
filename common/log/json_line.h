// JSON text for log lines: string escaping that turns any bytes (quotes,
// control bytes, invalid UTF-8) into a valid JSON string, and the spdlog
// formatter that writes every record as one JSON object per line.
#ifndef COMMON_LOG_JSON_LINE_H_
#define COMMON_LOG_JSON_LINE_H_

#include <memory>
#include <string>
#include <string_view>

#include "spdlog/formatter.h"

namespace signaling::log {

// The JSON string body (without the quotes) for arbitrary bytes: `"`, `\`
// and every control byte (and DEL, U+2028, U+2029) escaped; each byte that
// is not part of a well-formed UTF-8 sequence (RFC 3629: no overlongs, no
// surrogates, nothing above U+10FFFF) replaced with \ufffd. The result is
// ASCII except for valid multi-byte characters, which are kept.
std::string JsonEscape(std::string_view text);
// Appends JsonEscape(text) to `out`.
void AppendJsonEscaped(std::string_view text, std::string* out);

// Formats each record as
//   {"ts":"2026-01-02T03:04:05.678Z","level":"info","component":"gateway","msg":"…"}
// with the payload escaped, whatever it holds; records made by log::Event
// carry their own escaped fields instead of "msg" (see log.h). Stateless;
// one per logger (spdlog clones it for each sink).
class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;
};

namespace internal {
// The source file name log::Event gives its records: the formatter copies
// the payload of a record from that (and only that) address verbatim, as
// fields already escaped. Compared by address, so no message text can
// forge it.
extern const char kEventSource[];
}  // namespace internal

}  // namespace signaling::log

#endif  // COMMON_LOG_JSON_LINE_H_
