// Validation of trickled ICE candidates as clients send them in the
// `iceCandidate` message (the browser's RTCIceCandidate.candidate string) and
// of the `sdpMid` and `usernameFragment` that go with them. Pure: no I/O, no network headers, safe
// on any bytes, linear in the input, thread-safe.
#ifndef COMMON_SDP_ICE_CANDIDATE_H_
#define COMMON_SDP_ICE_CANDIDATE_H_

#include <cstddef>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace signaling::sdp {

// Limits on one candidate string. Defaults follow protocol v1 §6.
struct CandidateLimits {
  // Longest accepted candidate string, in bytes.
  size_t max_bytes = 1024;
  // Most `name value` extension pairs after the fixed fields (and after the
  // optional raddr/rport/tcptype). Chrome sends four.
  size_t max_extensions = 32;
};

// RFC 8843 allows any token; JSEP implementations cap mids at 32 characters.
inline constexpr size_t kMaxSdpMidLength = 32;

// RFC 8839 §5.4: ice-ufrag is 4 to 256 ice-chars.
inline constexpr size_t kMinUsernameFragmentLength = 4;
inline constexpr size_t kMaxUsernameFragmentLength = 256;

// The empty candidate string signals the end of candidates
// (RTCIceCandidateInit with candidate ""). ValidateCandidate accepts it.
inline bool IsEndOfCandidates(absl::string_view candidate) { return candidate.empty(); }

// Checks `candidate` against the RFC 8839 §5.1 grammar, in the form browsers
// put in RTCIceCandidate.candidate (starts with "candidate:", no "a="):
//
//   candidate:<foundation> <component> <transport> <priority>
//       <address> <port> typ <type> [raddr <address> rport <port>]
//       [tcptype active|passive|so] *(<name> <value>)
//
// foundation: 1-32 of ALPHA/DIGIT/"+"/"/"; component: 1-256; transport: a
// token (udp, tcp, ...); priority: 1..2^31-1; address: IPv4, IPv6 (no zone)
// or a host name (including mDNS "<uuid>.local"); port: 0-65535; type: host,
// srflx, prflx, relay or another token. raddr and rport come as a pair.
// Fields are separated by single spaces; only printable ASCII is accepted.
//
// Returns OK for a valid candidate and for "" (end of candidates), else
// InvalidArgument with a short reason that never echoes the input.
absl::Status ValidateCandidate(absl::string_view candidate, const CandidateLimits& limits);

// Checks an `sdpMid` (or an a=mid value, or a tag of a=group): an RFC 5888
// identification-tag, i.e. 1..kMaxSdpMidLength RFC 4566/8866 token
// characters (ALPHA, DIGIT and !#$%&'*+-.^_`{|}~). Whether it names an
// m-section of the description is the caller's check (SdpInfo::mids).
// Returns InvalidArgument otherwise, without echoing the input.
absl::Status ValidateSdpMid(absl::string_view mid);

// Checks a candidate's `usernameFragment` (the RFC 8839 ice-ufrag):
// kMinUsernameFragmentLength..kMaxUsernameFragmentLength ice-chars
// (ALPHA, DIGIT, "+", "/"). Returns InvalidArgument otherwise, without
// echoing the input.
absl::Status ValidateUsernameFragment(absl::string_view ufrag);

}  // namespace signaling::sdp

#endif  // COMMON_SDP_ICE_CANDIDATE_H_
