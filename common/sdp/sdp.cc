// SDP validation: one pass over the lines, a small state machine for the
// RFC 8866 line order, and per-line grammar checks. Every check is linear in
// the line, so the whole pass is linear in the description.
#include "common/sdp/sdp.h"

#include <algorithm>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/sdp/grammar.h"

namespace signaling::sdp {
namespace {

using internal::Fields;
using internal::IsDigits;
using internal::IsIceChars;
using internal::IsToken;
using internal::ParseDecimal;

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

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid SDP: ", why));
}

// The RFC 8866 line types; any other letter makes the description invalid
// (RFC 8866 §5: a parser must ignore a description with an unknown type).
bool IsKnownType(char type) {
  return absl::string_view("vosiuepcbtrzkam").find(type) != absl::string_view::npos;
}

// Finds `type` in an ordered list of line-type groups; -1 when absent.
template <size_t N>
int RankIn(const absl::string_view (&order)[N], char type) {
  for (size_t i = 0; i < N; ++i) {
    if (order[i].find(type) != absl::string_view::npos) {
      return static_cast<int>(i);
    }
  }
  return -1;
}

// Order of the session part (RFC 8866 §5 and §9). Types in one group may
// repeat unless OnceInSession; t, r and z form the time descriptions.
int SessionRank(char type) {
  static constexpr absl::string_view kOrder[] = {"v", "o", "s", "i",   "u", "e",
                                                 "p", "c", "b", "trz", "k", "a"};
  return RankIn(kOrder, type);
}

bool OnceInSession(char type) {
  return absl::string_view("vosiuck").find(type) != absl::string_view::npos;
}

// Order of a media section, which starts with m=.
int MediaRank(char type) {
  static constexpr absl::string_view kOrder[] = {"m", "i", "c", "b", "k", "a"};
  return RankIn(kOrder, type);
}

bool OnceInMedia(char type) { return type == 'i' || type == 'k'; }

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

// Tracks the position in the description and checks each line in turn.
class Validator {
 public:
  Validator(SdpType type, const SdpLimits& limits) : type_(type), limits_(limits) {}

  // Checks one line `<type>=<value>` (type a-z, value non-empty).
  absl::Status OnLine(char type, absl::string_view value) {
    if (!IsKnownType(type)) return Invalid("unknown line type");
    if (absl::Status s = CheckOrder(type); !s.ok()) return s;
    previous_ = type;
    switch (type) {
      case 'v':
        if (value != "0") return Invalid("v= must be 0");
        return absl::OkStatus();
      case 'o': return CheckOrigin(value);
      case 'c': return CheckConnection(value);
      case 'b': return CheckBandwidth(value);
      case 't': return CheckTiming(value);
      case 'm': return CheckMediaLine(value);
      case 'a': return CheckAttribute(value);
      default: return absl::OkStatus();  // free text, already non-empty
    }
  }

  // Checks what can only be known at the end.
  absl::StatusOr<SdpInfo> Finish() {
    if (!seen_o_) return Invalid("missing o=");
    if (!seen_s_) return Invalid("missing s=");
    if (!seen_t_) return Invalid("missing t=");
    if (info_.media_sections == 0) return Invalid("no m= section");
    std::vector<absl::string_view> mids;
    mids.reserve(info_.mids.size());
    for (const std::string& mid : info_.mids) {
      if (!mid.empty()) mids.push_back(mid);
    }
    std::sort(mids.begin(), mids.end());
    if (std::adjacent_find(mids.begin(), mids.end()) != mids.end()) {
      return Invalid("two m= sections with the same a=mid");
    }
    return std::move(info_);
  }

 private:
  absl::Status OutOfOrder(char type) const {
    return Invalid(absl::StrCat(absl::string_view(&type, 1), "= out of order"));
  }

  absl::Status CheckOrder(char type) {
    if (in_media_ || type == 'm') return CheckMediaOrder(type);
    const int rank = SessionRank(type);
    if (rank < rank_) return OutOfOrder(type);
    if (rank == rank_ && OnceInSession(type)) {
      return Invalid(absl::StrCat(absl::string_view(&type, 1), "= repeated"));
    }
    // r= and z= belong to the t= just before them.
    if ((type == 'r' || type == 'z') && previous_ != 't' && previous_ != 'r') {
      return OutOfOrder(type);
    }
    // v, o, s and t are required; a later line cannot make up for them.
    if (rank > SessionRank('v') && !seen_v_) {
      return Invalid("must start with v=");
    }
    if (rank > SessionRank('o') && !seen_o_) {
      return Invalid("missing o= or out of order");
    }
    if (rank > SessionRank('s') && !seen_s_) {
      return Invalid("missing s= or out of order");
    }
    if (rank > SessionRank('t') && !seen_t_) {
      return Invalid("missing t= or out of order");
    }
    rank_ = rank;
    seen_v_ |= type == 'v';
    seen_o_ |= type == 'o';
    seen_s_ |= type == 's';
    seen_t_ |= type == 't';
    return absl::OkStatus();
  }

  absl::Status CheckMediaOrder(char type) {
    if (type == 'm') {
      if (!seen_o_ || !seen_s_ || !seen_t_) {
        return Invalid("m= before the session's o=, s= and t=");
      }
      if (static_cast<size_t>(info_.media_sections) >= limits_.max_media_sections) {
        return Invalid(absl::StrCat("more than ", limits_.max_media_sections, " m= sections"));
      }
      in_media_ = true;
      rank_ = 0;
      ++info_.media_sections;
      info_.mids.emplace_back();
      media_has_mid_ = false;
      return absl::OkStatus();
    }
    const int rank = MediaRank(type);
    if (rank < 0) {
      return Invalid(absl::StrCat(absl::string_view(&type, 1), "= not allowed in a media section"));
    }
    if (rank < rank_) return OutOfOrder(type);
    if (rank == rank_ && OnceInMedia(type)) {
      return Invalid(absl::StrCat(absl::string_view(&type, 1), "= repeated"));
    }
    rank_ = rank;
    return absl::OkStatus();
  }

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
  absl::Status CheckMediaLine(absl::string_view value) {
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
    if (!fields.Next(&f) || !IsProto(f, &media_is_rtp_)) {
      return Invalid("bad m= proto");
    }
    int formats = 0;
    while (fields.Next(&f)) {
      if (media_is_rtp_ ? !IsPayloadType(f) : !IsToken(f)) {
        return Invalid(media_is_rtp_ ? "m= payload type must be 0-127" : "bad m= format");
      }
      ++formats;
    }
    if (formats == 0) return Invalid("m= without formats");
    return absl::OkStatus();
  }

  // a=<name>[:<value>]
  absl::Status CheckAttribute(absl::string_view line) {
    const size_t colon = line.find(':');
    const absl::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return Invalid("bad attribute name");
    if (colon == absl::string_view::npos) {
      if (name == "rtpmap" || name == "fmtp" || name == "rtcp-fb" || name == "candidate" ||
          name == "setup" || name == "mid" || name == "ssrc" || name == "group" ||
          name == "sctp-port" || name == "max-message-size" || name == "ice-ufrag" ||
          name == "ice-pwd") {
        return Invalid(absl::StrCat("a=", name, " needs a value"));
      }
      return absl::OkStatus();
    }
    const absl::string_view value = line.substr(colon + 1);
    if (value.empty()) return Invalid("empty attribute value");

    if (name == "candidate") {
      ++info_.candidates;
      return ValidateCandidate(line, limits_.candidate);
    }
    if (name == "rtpmap") return CheckRtpmap(value);
    if (name == "fmtp") {
      // a=fmtp:<format> <parameters>
      const size_t space = value.find(' ');
      const absl::string_view format = value.substr(0, space);
      const bool rtp = !in_media_ || media_is_rtp_;
      if (rtp ? !IsPayloadType(format) : !IsToken(format)) {
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
    if (name == "mid") return CheckMid(value);
    if (name == "setup") return CheckSetup(value);
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

  // a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]
  absl::Status CheckRtpmap(absl::string_view value) {
    const size_t space = value.find(' ');
    if (!IsPayloadType(value.substr(0, space))) {
      return Invalid("a=rtpmap payload type must be 0-127");
    }
    if (space == absl::string_view::npos) return Invalid("a=rtpmap without codec");
    Fields parts(value.substr(space + 1), '/');
    absl::string_view encoding, clock, parameters, extra;
    if (!parts.Next(&encoding) || !IsToken(encoding) || !parts.Next(&clock) ||
        !IsDigits(clock, 10) || (parts.Next(&parameters) && parameters.empty()) ||
        parts.Next(&extra)) {
      return Invalid("a=rtpmap must be <pt> <name>/<rate>[/<params>]");
    }
    return absl::OkStatus();
  }

  absl::Status CheckMid(absl::string_view mid) {
    if (!in_media_) return Invalid("a=mid outside a media section");
    if (media_has_mid_) return Invalid("a=mid repeated");
    if (absl::Status s = ValidateSdpMid(mid); !s.ok()) {
      return Invalid("bad a=mid");
    }
    media_has_mid_ = true;
    info_.mids.back() = std::string(mid);
    return absl::OkStatus();
  }

  // RFC 8842 §5.1 (and JSEP): an offer always says actpass; an answer picks
  // active or passive. holdconn is not allowed in WebRTC.
  absl::Status CheckSetup(absl::string_view role) {
    if (role == "actpass") {
      if (type_ == SdpType::kAnswer) {
        return Invalid("an answer must not use a=setup:actpass");
      }
      return absl::OkStatus();
    }
    if (role == "active" || role == "passive") {
      if (type_ == SdpType::kOffer) {
        return Invalid("an offer must use a=setup:actpass (this is an answer)");
      }
      return absl::OkStatus();
    }
    return Invalid("a=setup must be actpass, active or passive");
  }

  const SdpType type_;
  const SdpLimits& limits_;
  SdpInfo info_;
  bool in_media_ = false;
  int rank_ = -1;      // position of the last line in the current part
  char previous_ = 0;  // type of the last line
  bool seen_v_ = false;
  bool seen_o_ = false;
  bool seen_s_ = false;
  bool seen_t_ = false;
  bool media_is_rtp_ = false;   // the current m= section carries RTP
  bool media_has_mid_ = false;  // the current m= section had its a=mid
};

}  // namespace

absl::StatusOr<SdpInfo> ValidateSdp(absl::string_view sdp, SdpType type, const SdpLimits& limits) {
  if (sdp.empty()) return Invalid("empty");
  if (sdp.size() > limits.max_bytes) {
    return Invalid(absl::StrCat("larger than ", limits.max_bytes, " bytes"));
  }
  Validator validator(type, limits);
  size_t number = 0;
  size_t pos = 0;
  while (pos < sdp.size()) {
    if (++number > limits.max_lines) {
      return Invalid(absl::StrCat("more than ", limits.max_lines, " lines"));
    }
    auto line_error = [number](absl::string_view why) {
      return absl::InvalidArgumentError(absl::StrCat("invalid SDP: line ", number, ": ", why));
    };
    const size_t lf = sdp.find('\n', pos);
    const bool terminated = lf != absl::string_view::npos;
    absl::string_view line = sdp.substr(pos, terminated ? lf - pos : absl::string_view::npos);
    pos = terminated ? lf + 1 : sdp.size();
    if (terminated && !line.empty() && line.back() == '\r') {
      line.remove_suffix(1);
    }
    if (line.size() > limits.max_line_bytes) {
      return line_error(absl::StrCat("longer than ", limits.max_line_bytes, " bytes"));
    }
    for (char c : line) {
      const auto u = static_cast<unsigned char>(c);
      if (c == '\0') return line_error("NUL byte");
      if (c == '\r') return line_error("CR not followed by LF");
      if ((u < 0x20 && c != '\t') || u == 0x7F) {
        return line_error("control character");
      }
    }
    if (!terminated) return line_error("does not end in CRLF or LF");
    if (line.empty()) return line_error("empty line");
    if (line.size() < 2 || line[1] != '=') {
      return line_error("not <type>=<value>");
    }
    const char line_type = line[0];
    if (line_type < 'a' || line_type > 'z') {
      return line_error("type must be a lowercase letter");
    }
    if (line.size() == 2) return line_error("empty value");
    if (number == 1 && line_type != 'v') {
      return line_error("must start with v=");
    }
    if (absl::Status s = validator.OnLine(line_type, line.substr(2)); !s.ok()) {
      return line_error(absl::StripPrefix(s.message(), "invalid SDP: "));
    }
  }
  return validator.Finish();
}

}  // namespace signaling::sdp
