// Shared grammar helpers for the SDP and ICE candidate validators.
#include "common/sdp/grammar.h"

namespace signaling::sdp::internal {

bool IsToken(absl::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

bool IsIceChars(absl::string_view s, size_t min, size_t max) {
  if (s.size() < min || s.size() > max) return false;
  for (char c : s) {
    if (!IsIceChar(c)) return false;
  }
  return true;
}

bool IsDigits(absl::string_view s, size_t max_digits) {
  if (s.empty() || s.size() > max_digits) return false;
  for (char c : s) {
    if (!IsDigit(c)) return false;
  }
  return true;
}

bool ParseDecimal(absl::string_view s, size_t max_digits, uint64_t max_value, uint64_t* value) {
  // 19 digits always fit in uint64_t, so the accumulation cannot overflow.
  if (max_digits > 19 || !IsDigits(s, max_digits)) return false;
  uint64_t v = 0;
  for (char c : s) v = v * 10 + static_cast<uint64_t>(c - '0');
  if (v > max_value) return false;
  if (value != nullptr) *value = v;
  return true;
}

}  // namespace signaling::sdp::internal
