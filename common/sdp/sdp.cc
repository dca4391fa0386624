// SDP validation: one pass over the lines and a small state machine for
// the RFC 8866 line order, the media sections, their a=mid and the kind
// (offer or answer); the grammar of each line's value is line_grammar.cc's.
// Every check is linear in the line, so the whole pass is linear in the
// description.
#include "common/sdp/sdp.h"

#include <algorithm>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "common/sdp/grammar.h"
#include "common/sdp/line_grammar.h"

namespace signaling::sdp {
namespace {

using internal::AttributeNeedsValue;
using internal::CheckAttributeValue;
using internal::CheckBandwidth;
using internal::CheckConnection;
using internal::CheckMediaLine;
using internal::CheckOrigin;
using internal::CheckTiming;
using internal::Invalid;
using internal::IsToken;

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
      case 'm': return CheckMediaLine(value, &media_is_rtp_);
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

  // a=<name>[:<value>]
  absl::Status CheckAttribute(absl::string_view line) {
    const size_t colon = line.find(':');
    const absl::string_view name = line.substr(0, colon);
    if (!IsToken(name)) return Invalid("bad attribute name");
    if (colon == absl::string_view::npos) {
      if (AttributeNeedsValue(name)) {
        return Invalid(absl::StrCat("a=", name, " needs a value"));
      }
      return absl::OkStatus();
    }
    const absl::string_view value = line.substr(colon + 1);
    if (value.empty()) return Invalid("empty attribute value");

    // The attributes that count, or depend on the section or the kind.
    if (name == "candidate") {
      ++info_.candidates;
      return ValidateCandidate(line, limits_.candidate);
    }
    if (name == "mid") return CheckMid(value);
    if (name == "setup") return CheckSetup(value);
    return CheckAttributeValue(name, value, /*rtp_formats=*/!in_media_ || media_is_rtp_);
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
