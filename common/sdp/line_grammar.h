// The grammar of each SDP line's value, checked one line at a time with no
// knowledge of where the line stands: the o=, c=, b=, t= and m= fields
// (RFC 8866 §5) and the values of the attributes WebRTC uses. Internal to
// common/sdp: ValidateSdp (sdp.cc) keeps the line order, the sections, the
// a=mid and a=candidate bookkeeping and the offer/answer kind, and calls
// these for each line. Pure functions, linear in the line, safe on any
// bytes, thread-safe.
#ifndef COMMON_SDP_LINE_GRAMMAR_H_
#define COMMON_SDP_LINE_GRAMMAR_H_

#include "absl/status/status.h"
#include "absl/strings/string_view.h"

namespace signaling::sdp::internal {

// InvalidArgument "invalid SDP: <why>", the form of every reason ValidateSdp
// gives. `why` must not echo the input.
absl::Status Invalid(absl::string_view why);

// Each takes the value of one line (after `<type>=`, non-empty) and returns
// OK or Invalid with a short reason.
// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
absl::Status CheckOrigin(absl::string_view value);
// c=<nettype> <addrtype> <connection-address>
absl::Status CheckConnection(absl::string_view value);
// b=<bwtype>:<bandwidth>
absl::Status CheckBandwidth(absl::string_view value);
// t=<start-time> <stop-time>
absl::Status CheckTiming(absl::string_view value);
// m=<media> <port>[/<number of ports>] <proto> 1*(SP <fmt>), port 0-65535;
// sets *rtp when the proto is an RTP profile, whose formats (here and in
// the section's a=fmtp) are payload types 0-127.
absl::Status CheckMediaLine(absl::string_view value, bool* rtp);

// True for the attributes that are only valid as a=<name>:<value>.
bool AttributeNeedsValue(absl::string_view name);

// Checks the non-empty `value` of a=<name>:<value> for the attributes whose
// grammar is the line's alone: rtpmap, fmtp, rtcp-fb and ssrc (payload types
// 0-127, 32-bit ssrc), group (tags per ValidateSdpMid), ice-ufrag 4-256 and
// ice-pwd 22-256 ice-chars, sctp-port, max-message-size. Any other attribute
// is OK. `rtp_formats` says whether a=fmtp's format is an RTP payload type
// (at session level, or in an RTP section) or a token.
absl::Status CheckAttributeValue(absl::string_view name, absl::string_view value, bool rtp_formats);

}  // namespace signaling::sdp::internal

#endif  // COMMON_SDP_LINE_GRAMMAR_H_
