// JSON escaping and the JSON-lines formatter; see json_line.h.
#include "common/log/json_line.h"

#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace signaling::log {
namespace internal {
const char kEventSource[] = "signaling::log::Event";
}  // namespace internal

namespace {

constexpr char kHex[] = "0123456789abcdef";

void AppendU(uint32_t code, std::string* out) {
  out->append("\\u");
  for (int shift = 12; shift >= 0; shift -= 4) out->push_back(kHex[(code >> shift) & 0xf]);
}

bool IsContinuation(unsigned char c) { return (c & 0xc0) == 0x80; }

// The length of the well-formed UTF-8 sequence starting at text[i] (RFC 3629
// table 3-7), or 0 if the bytes there are not one.
size_t SequenceLength(std::string_view text, size_t i) {
  const auto at = [&](size_t k) -> unsigned char {
    return i + k < text.size() ? static_cast<unsigned char>(text[i + k]) : 0;
  };
  const unsigned char c = at(0);
  if (c >= 0xc2 && c <= 0xdf) return IsContinuation(at(1)) ? 2 : 0;
  if (c >= 0xe0 && c <= 0xef) {
    const unsigned char lo = c == 0xe0 ? 0xa0 : 0x80;
    const unsigned char hi = c == 0xed ? 0x9f : 0xbf;  // 0xed: no surrogates
    return at(1) >= lo && at(1) <= hi && IsContinuation(at(2)) ? 3 : 0;
  }
  if (c >= 0xf0 && c <= 0xf4) {
    const unsigned char lo = c == 0xf0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xf4 ? 0x8f : 0xbf;  // nothing above U+10FFFF
    return at(1) >= lo && at(1) <= hi && IsContinuation(at(2)) && IsContinuation(at(3)) ? 4 : 0;
  }
  return 0;
}

void AppendBuf(std::string_view s, spdlog::memory_buf_t& dest) {
  dest.append(s.data(), s.data() + s.size());
}

}  // namespace

void AppendJsonEscaped(std::string_view text, std::string* out) {
  size_t i = 0;
  while (i < text.size()) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      // The common case: a run of printable ASCII, copied at once.
      size_t end = i + 1;
      while (end < text.size()) {
        const unsigned char e = static_cast<unsigned char>(text[end]);
        if (e < 0x20 || e >= 0x7f || e == '"' || e == '\\') break;
        ++end;
      }
      out->append(text.substr(i, end - i));
      i = end;
      continue;
    }
    if (c < 0x80) {
      switch (c) {
        case '"': out->append("\\\""); break;
        case '\\': out->append("\\\\"); break;
        case '\n': out->append("\\n"); break;
        case '\r': out->append("\\r"); break;
        case '\t': out->append("\\t"); break;
        default: AppendU(c, out);  // other control bytes, NUL and DEL
      }
      ++i;
      continue;
    }
    const size_t n = SequenceLength(text, i);
    if (n == 0) {
      AppendU(0xfffd, out);  // one replacement per stray byte
      ++i;
      continue;
    }
    // U+2028 and U+2029 are valid JSON but end lines in JavaScript.
    if (n == 3 && c == 0xe2 && static_cast<unsigned char>(text[i + 1]) == 0x80 &&
        (static_cast<unsigned char>(text[i + 2]) & 0xfe) == 0xa8) {
      AppendU(static_cast<unsigned char>(text[i + 2]) == 0xa8 ? 0x2028 : 0x2029, out);
    } else {
      out->append(text.substr(i, n));
    }
    i += n;
  }
}

std::string JsonEscape(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  AppendJsonEscaped(text, &out);
  return out;
}

void JsonFormatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  std::string line;
  line.reserve(96 + msg.payload.size());
  line.append(R"({"ts":")");
  line.append(
      absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", absl::FromChrono(msg.time), absl::UTCTimeZone()));
  line.append(R"(","level":")");
  const auto level = spdlog::level::to_string_view(msg.level);
  AppendJsonEscaped(std::string_view(level.data(), level.size()), &line);
  line.append(R"(","component":")");
  AppendJsonEscaped(std::string_view(msg.logger_name.data(), msg.logger_name.size()), &line);
  line.append("\",");
  const std::string_view payload(msg.payload.data(), msg.payload.size());
  if (msg.source.filename == internal::kEventSource) {
    line.append(payload);  // fields escaped by log::Event
  } else {
    line.append(R"("msg":")");
    AppendJsonEscaped(payload, &line);
    line.push_back('"');
  }
  line.append("}\n");
  AppendBuf(line, dest);
}

std::unique_ptr<spdlog::formatter> JsonFormatter::clone() const {
  return std::make_unique<JsonFormatter>();
}

}  // namespace signaling::log
