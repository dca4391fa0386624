// Validation of SDP offers and answers relayed between peers (protocol v1
// §6, INVALID_SDP). The server never interprets SDP; it only makes sure that
// what it relays is a well-formed, bounded session description of the kind
// the message claims, so that a peer's browser is handed nothing hostile.
// Pure: no I/O, no network headers, linear in the input, safe on any bytes,
// thread-safe.
#ifndef COMMON_SDP_SDP_H_
#define COMMON_SDP_SDP_H_

#include <cstddef>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/sdp/ice_candidate.h"

namespace signaling::sdp {

// Limits on one session description. Defaults follow protocol v1 §6.
struct SdpLimits {
  // Whole description, in bytes.
  size_t max_bytes = 32 * 1024;
  // Lines in the description.
  size_t max_lines = 4096;
  // One line without its line end. Browser lines stay well under 1 KiB
  // (the longest are a=fingerprint, a=group:BUNDLE, m=video, a=candidate).
  size_t max_line_bytes = 4 * 1024;
  // m= sections.
  size_t max_media_sections = 64;
  // Applied to each inline a=candidate line.
  CandidateLimits candidate;
};

enum class SdpType { kOffer, kAnswer };

// What a valid description contains, for checks made by the caller (for
// example sdpMLineIndex < media_sections, or an sdpMid that names a section).
struct SdpInfo {
  // Number of m= sections (at least 1).
  int media_sections = 0;
  // The a=mid of each m= section in order; "" for a section without one.
  std::vector<std::string> mids;
  // Number of inline a=candidate lines.
  int candidates = 0;
};

// Validates `sdp` as a session description of kind `type`:
//  - size within `limits`; lines end in CRLF or LF (the last one too); no
//    NUL, bare CR or other control byte (tab excepted) inside a line;
//  - every line is `<a-z>=<non-empty value>` with a type letter RFC 8866
//    defines, in RFC 8866 order: v o s [i] [u] *e *p [c] *b 1*(t *r [z])
//    [k] *a, then 1*(m [i] *c *b [k] *a); v=0 first;
//  - o= has 6 fields, c= 3, t= 2 numeric; m= is `<media> <port>[/<n>]
//    <proto> <fmt>...` with port 0-65535 and, for RTP profiles, payload
//    types 0-127; a=rtpmap/a=fmtp/a=rtcp-fb payload types 0-127; a=mid a
//    unique identification-tag (see ValidateSdpMid), and so is each tag of
//    a=group; a=ice-ufrag 4-256 and a=ice-pwd 22-256 ice-chars (RFC 8839);
//    a=candidate valid per ValidateCandidate;
//  - kind: an offer's a=setup is always `actpass`, an answer's `active` or
//    `passive` (RFC 8842); a description without a=setup may be either.
// One bad line rejects the whole description. Returns what it found, or
// InvalidArgument with a short reason naming the line number but never
// echoing the input.
absl::StatusOr<SdpInfo> ValidateSdp(absl::string_view sdp, SdpType type, const SdpLimits& limits);

}  // namespace signaling::sdp

#endif  // COMMON_SDP_SDP_H_
