// Small pieces of the SDP (RFC 8866) and ICE (RFC 8839) grammars shared by
// the validators in this folder. Internal to common/sdp: not a public API.
// Pure functions, no allocation, safe on any bytes, thread-safe.
#ifndef COMMON_SDP_GRAMMAR_H_
#define COMMON_SDP_GRAMMAR_H_

#include <cstddef>
#include <cstdint>

#include "absl/strings/string_view.h"

namespace signaling::sdp::internal {

// RFC 8866 token-char: %x21 / %x23-27 / %x2A-2B / %x2D-2E / %x30-39 /
// %x41-5A / %x5E-7E.
constexpr bool IsTokenChar(char c) {
  const auto u = static_cast<unsigned char>(c);
  return u == 0x21 || (u >= 0x23 && u <= 0x27) || u == 0x2A || u == 0x2B || u == 0x2D ||
         u == 0x2E || (u >= 0x30 && u <= 0x39) || (u >= 0x41 && u <= 0x5A) ||
         (u >= 0x5E && u <= 0x7E);
}

constexpr bool IsDigit(char c) { return c >= '0' && c <= '9'; }

constexpr bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// RFC 8839 ice-char: ALPHA / DIGIT / "+" / "/".
constexpr bool IsIceChar(char c) { return IsAlpha(c) || IsDigit(c) || c == '+' || c == '/'; }

// True when `s` is min..max ice-chars.
bool IsIceChars(absl::string_view s, size_t min, size_t max);

// True when `s` is non-empty and made of token-chars only.
bool IsToken(absl::string_view s);

// True when `s` is 1..max_digits decimal digits (no value computed).
bool IsDigits(absl::string_view s, size_t max_digits);

// Parses 1..max_digits decimal digits whose value is at most max_value.
// Never overflows: max_digits must be at most 19. Writes the value to
// *value when it is not null.
bool ParseDecimal(absl::string_view s, size_t max_digits, uint64_t max_value, uint64_t* value);

// Walks the fields of a string separated by one `separator` (a single space
// unless told). Two separators in a row, or one at either end, yield an empty
// field, which callers refuse.
class Fields final {
 public:
  explicit Fields(absl::string_view s, char separator = ' ') : rest_(s), separator_(separator) {}

  // Stores the next field in *field; false when none is left.
  bool Next(absl::string_view* field) {
    if (done_) return false;
    const size_t space = rest_.find(separator_);
    if (space == absl::string_view::npos) {
      *field = rest_;
      done_ = true;
    } else {
      *field = rest_.substr(0, space);
      rest_.remove_prefix(space + 1);
    }
    return true;
  }

 private:
  absl::string_view rest_;
  const char separator_;
  bool done_ = false;
};

}  // namespace signaling::sdp::internal

#endif  // COMMON_SDP_GRAMMAR_H_
