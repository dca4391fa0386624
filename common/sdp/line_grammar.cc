// The grammar of each SDP line's value, one line at a time: the o=, c=, b=,
// t= and m= fields (RFC 8866 §5) and the values of the attributes WebRTC
// uses; see line_grammar.h.
#include "common/sdp/line_grammar.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sdp/grammar.h"
#include "common/sdp/ice_candidate.h"

namespace signaling::sdp::internal {

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid SDP: ", why));
}

namespace {

constexpr uint64_t kMaxPort = 65535;
constexpr uint64_t kMaxPayloadType = 127;
constexpr uint64_t kMaxSsrc = 0xFFFFFFFF;
// RFC 8839 §5.4: ice-pwd is 22 to 256 ice-chars (ice-ufrag: see
// kMinUsernameFragmentLength).
constexpr size_t kMinIcePwdLength = 22;
constexpr size_t kMaxIcePwdLength = 256;
// Decimal fields whose value the server does not need (session ids, times,
// bandwidths, sizes): only their shape is checked.
constexpr size_t kMaxNumberDigits = 20;

// Splits `value` into exactly `n` non-empty single-space-separated fields.
bool SplitExactly(absl::string_view value, size_t n, absl::string_view* out) {
  Fields fields(value);
  size_t count = 0;
  absl::string_view f;
  while (fields.Next(&f)) {
    if (f.empty() || count == n) return false;
    out[count++] = f;
  }
  return count == n;
}

bool IsPayloadType(absl::string_view s) { return ParseDecimal(s, 3, kMaxPayloadType, nullptr); }

// proto = token *("/" token), e.g. UDP/TLS/RTP/SAVPF. Sets *rtp when one
// component is RTP: such a section's formats are RTP payload types.
bool IsProto(absl::string_view proto, bool* rtp) {
  Fields parts(proto, '/');
  absl::string_view part;
  *rtp = false;
  while (parts.Next(&part)) {
    if (!IsToken(part)) return false;
    if (absl::EqualsIgnoreCase(part, "RTP")) *rtp = true;
  }
  return true;
}

// a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]
absl::Status CheckRtpmap(absl::string_view value) {
  const size_t space = value.find(' ');
  if (!IsPayloadType(value.substr(0, space))) {
    return Invalid("a=rtpmap payload type must be 0-127");
  }
  if (space == absl::string_view::npos) return Invalid("a=rtpmap without codec");
  Fields parts(value.substr(space + 1), '/');
  absl::string_view encoding, clock, parameters, extra;
  if (!parts.Next(&encoding) || !IsToken(encoding) || !parts.Next(&clock) || !IsDigits(clock, 10) ||
      (parts.Next(&parameters) && parameters.empty()) || parts.Next(&extra)) {
    return Invalid("a=rtpmap must be <pt> <name>/<rate>[/<params>]");
  }
  return absl::OkStatus();
}

}  // namespace

// o=<username> <sess-id> <sess-version> <nettype> <addrtype> <address>
absl::Status CheckOrigin(absl::string_view value) {
  absl::string_view f[6];
  if (!SplitExactly(value, 6, f)) return Invalid("o= needs 6 fields");
  if (!IsDigits(f[1], kMaxNumberDigits) || !IsDigits(f[2], kMaxNumberDigits)) {
    return Invalid("o= session id and version must be numbers");
  }
  if (!IsToken(f[3]) || !IsToken(f[4])) return Invalid("bad o= address");
  return absl::OkStatus();
}

// c=<nettype> <addrtype> <connection-address>
absl::Status CheckConnection(absl::string_view value) {
  absl::string_view f[3];
  if (!SplitExactly(value, 3, f)) return Invalid("c= needs 3 fields");
  if (!IsToken(f[0]) || !IsToken(f[1])) return Invalid("bad c= field");
  return absl::OkStatus();
}

// b=<bwtype>:<bandwidth>
absl::Status CheckBandwidth(absl::string_view value) {
  const size_t colon = value.find(':');
  if (colon == absl::string_view::npos || !IsToken(value.substr(0, colon)) ||
      !IsDigits(value.substr(colon + 1), kMaxNumberDigits)) {
    return Invalid("b= must be <type>:<number>");
  }
  return absl::OkStatus();
}

// t=<start-time> <stop-time>
absl::Status CheckTiming(absl::string_view value) {
  absl::string_view f[2];
  if (!SplitExactly(value, 2, f) || !IsDigits(f[0], kMaxNumberDigits) ||
      !IsDigits(f[1], kMaxNumberDigits)) {
    return Invalid("t= must be two numbers");
  }
  return absl::OkStatus();
}

// m=<media> <port>[/<number of ports>] <proto> 1*(SP <fmt>)
absl::Status CheckMediaLine(absl::string_view value, bool* rtp) {
  Fields fields(value);
  absl::string_view f;
  if (!fields.Next(&f) || !IsToken(f)) return Invalid("bad m= media");
  if (!fields.Next(&f)) return Invalid("m= without port");
  const size_t slash = f.find('/');
  uint64_t ports = 1;
  if (!ParseDecimal(f.substr(0, slash), 5, kMaxPort, nullptr) ||
      (slash != absl::string_view::npos &&
       !ParseDecimal(f.substr(slash + 1), 5, kMaxPort, &ports)) ||
      ports == 0) {
    return Invalid("m= port must be 0-65535");
  }
  if (!fields.Next(&f) || !IsProto(f, rtp)) {
    return Invalid("bad m= proto");
  }
  int formats = 0;
  while (fields.Next(&f)) {
    if (*rtp ? !IsPayloadType(f) : !IsToken(f)) {
      return Invalid(*rtp ? "m= payload type must be 0-127" : "bad m= format");
    }
    ++formats;
  }
  if (formats == 0) return Invalid("m= without formats");
  return absl::OkStatus();
}

bool AttributeNeedsValue(absl::string_view name) {
  return name == "rtpmap" || name == "fmtp" || name == "rtcp-fb" || name == "candidate" ||
         name == "setup" || name == "mid" || name == "ssrc" || name == "group" ||
         name == "sctp-port" || name == "max-message-size" || name == "ice-ufrag" ||
         name == "ice-pwd";
}

absl::Status CheckAttributeValue(absl::string_view name, absl::string_view value,
                                 bool rtp_formats) {
  if (name == "rtpmap") return CheckRtpmap(value);
  if (name == "fmtp") {
    // a=fmtp:<format> <parameters>
    const size_t space = value.find(' ');
    const absl::string_view format = value.substr(0, space);
    if (rtp_formats ? !IsPayloadType(format) : !IsToken(format)) {
      return Invalid("a=fmtp payload type must be 0-127");
    }
    if (space == absl::string_view::npos || space + 1 == value.size()) {
      return Invalid("a=fmtp without parameters");
    }
    return absl::OkStatus();
  }
  if (name == "rtcp-fb") {
    // a=rtcp-fb:<payload type or *> <feedback type> [<parameter>]
    const size_t space = value.find(' ');
    const absl::string_view pt = value.substr(0, space);
    if (pt != "*" && !IsPayloadType(pt)) {
      return Invalid("a=rtcp-fb payload type must be 0-127 or *");
    }
    if (space == absl::string_view::npos || space + 1 == value.size()) {
      return Invalid("a=rtcp-fb without feedback type");
    }
    return absl::OkStatus();
  }
  if (name == "ssrc") {
    // a=ssrc:<ssrc-id> <attribute>[:<value>]
    const size_t space = value.find(' ');
    if (!ParseDecimal(value.substr(0, space), 10, kMaxSsrc, nullptr) ||
        space == absl::string_view::npos || space + 1 == value.size()) {
      return Invalid("a=ssrc must be <32-bit id> <attribute>");
    }
    return absl::OkStatus();
  }
  if (name == "group") {
    // a=group:<semantics> *(SP <identification-tag>)
    Fields fields(value);
    absl::string_view f;
    if (!fields.Next(&f) || !IsToken(f)) return Invalid("bad a=group");
    while (fields.Next(&f)) {
      if (!ValidateSdpMid(f).ok()) return Invalid("bad a=group identification-tag");
    }
    return absl::OkStatus();
  }
  if (name == "ice-ufrag") {
    if (!IsIceChars(value, kMinUsernameFragmentLength, kMaxUsernameFragmentLength)) {
      return Invalid("a=ice-ufrag must be 4-256 ice-chars");
    }
    return absl::OkStatus();
  }
  if (name == "ice-pwd") {
    if (!IsIceChars(value, kMinIcePwdLength, kMaxIcePwdLength)) {
      return Invalid("a=ice-pwd must be 22-256 ice-chars");
    }
    return absl::OkStatus();
  }
  if (name == "sctp-port") {
    if (!ParseDecimal(value, 5, kMaxPort, nullptr)) {
      return Invalid("a=sctp-port must be 0-65535");
    }
    return absl::OkStatus();
  }
  if (name == "max-message-size") {
    if (!IsDigits(value, kMaxNumberDigits)) {
      return Invalid("a=max-message-size must be a number");
    }
    return absl::OkStatus();
  }
  return absl::OkStatus();  // other attributes: any byte-string value
}

}  // namespace signaling::sdp::internal
