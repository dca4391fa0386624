// Grammars of the fields the matching service echoes or relays to a client
// that are neither SDP nor ICE (those are in common/sdp): the ping nonce,
// echoed in pong, and the token subject, relayed in paired. The contract is
// silent on both; the choices are written down in docs/protocol.md section 9
// and audited in docs/coverage.md. Header-only, pure, safe on any bytes,
// thread-safe.
#ifndef SERVICES_MATCHING_FIELD_GRAMMAR_H_
#define SERVICES_MATCHING_FIELD_GRAMMAR_H_

#include <cstddef>

#include "absl/strings/string_view.h"

namespace signaling::matching {

// Longest ping nonce echoed back, in characters.
inline constexpr size_t kMaxNonceLength = 64;
// Longest token subject accepted (and relayed to the peer), in characters.
inline constexpr size_t kMaxSubjectLength = 256;

// A nonce character: A-Z a-z 0-9 - . _ ~ : + / = (URL-safe and standard
// base64, hex, UUIDs, decimal counters and ISO timestamps all fit).
constexpr bool IsNonceChar(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~' || c == ':' || c == '+' || c == '/' || c == '=';
}

// Whether `nonce` may be echoed in pong: 0..kMaxNonceLength nonce chars.
constexpr bool IsValidNonce(absl::string_view nonce) {
  if (nonce.size() > kMaxNonceLength) return false;
  for (char c : nonce) {
    if (!IsNonceChar(c)) return false;
  }
  return true;
}

// A subject character: visible ASCII (0x21-0x7E) except the quote,
// backslash, angle brackets and backtick, so that no control byte, space,
// markup or string delimiter reaches a peer. Subjects as identity providers
// issue them fit: "user-42", "auth0|5f7c...", "alice@example.com",
// "https://id.example.com/users/1".
constexpr bool IsSubjectChar(char c) {
  return c >= 0x21 && c <= 0x7E && c != '"' && c != '\\' && c != '<' && c != '>' && c != '`';
}

// Whether a verified token's `subject` may be used (and relayed in paired):
// 1..kMaxSubjectLength subject chars.
constexpr bool IsValidSubject(absl::string_view subject) {
  if (subject.empty() || subject.size() > kMaxSubjectLength) return false;
  for (char c : subject) {
    if (!IsSubjectChar(c)) return false;
  }
  return true;
}

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_FIELD_GRAMMAR_H_
