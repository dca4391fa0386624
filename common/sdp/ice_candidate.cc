// RFC 8839 §5.1 candidate grammar, checked field by field in one pass.
#include "common/sdp/ice_candidate.h"

#include <cstdint>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "common/sdp/grammar.h"

namespace signaling::sdp {
namespace {

using internal::Fields;
using internal::IsAlpha;
using internal::IsDigit;
using internal::IsIceChar;
using internal::IsIceChars;
using internal::IsToken;
using internal::ParseDecimal;

constexpr absl::string_view kPrefix = "candidate:";
constexpr size_t kMaxFoundation = 32;
constexpr uint64_t kMaxComponent = 256;
constexpr uint64_t kMaxPriority = (uint64_t{1} << 31) - 1;  // RFC 8445 §5.1.2
constexpr uint64_t kMaxPort = 65535;
constexpr size_t kMaxHostName = 253;
constexpr size_t kMaxLabel = 63;

absl::Status Invalid(absl::string_view why) {
  return absl::InvalidArgumentError(absl::StrCat("invalid candidate: ", why));
}

bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

bool IsIpv4(absl::string_view s) {
  int parts = 0;
  while (true) {
    const size_t dot = s.find('.');
    const absl::string_view part = s.substr(0, dot);
    if (!ParseDecimal(part, 3, 255, nullptr)) return false;
    ++parts;
    if (dot == absl::string_view::npos) break;
    if (parts == 4) return false;
    s.remove_prefix(dot + 1);
  }
  return parts == 4;
}

// Counts the 16-bit groups in a run of ':'-separated hex groups; an IPv4
// tail (allowed only when `may_end_in_ipv4`) counts as two. -1 if malformed.
int CountIpv6Groups(absl::string_view s, bool may_end_in_ipv4) {
  if (s.empty()) return 0;
  int groups = 0;
  while (true) {
    const size_t colon = s.find(':');
    const absl::string_view group = s.substr(0, colon);
    if (colon == absl::string_view::npos && may_end_in_ipv4 &&
        group.find('.') != absl::string_view::npos) {
      return IsIpv4(group) ? groups + 2 : -1;
    }
    if (group.empty() || group.size() > 4) return -1;
    for (char c : group) {
      if (!IsHexDigit(c)) return -1;
    }
    ++groups;
    if (colon == absl::string_view::npos) return groups;
    s.remove_prefix(colon + 1);
  }
}

bool IsIpv6(absl::string_view s) {
  if (s.size() < 2 || s.size() > 45) return false;
  const size_t gap = s.find("::");
  if (gap == absl::string_view::npos) {
    return CountIpv6Groups(s, /*may_end_in_ipv4=*/true) == 8;
  }
  const absl::string_view left = s.substr(0, gap);
  const absl::string_view right = s.substr(gap + 2);
  if (right.find("::") != absl::string_view::npos) return false;
  const int l = CountIpv6Groups(left, /*may_end_in_ipv4=*/false);
  const int r = CountIpv6Groups(right, /*may_end_in_ipv4=*/true);
  return l >= 0 && r >= 0 && l + r <= 7;
}

// A DNS name (RFC 1123 labels), e.g. an mDNS "<uuid>.local" name.
bool IsHostName(absl::string_view s) {
  if (!s.empty() && s.back() == '.') s.remove_suffix(1);
  if (s.empty() || s.size() > kMaxHostName) return false;
  size_t label = 0;
  for (char c : s) {
    if (c == '.') {
      if (label == 0) return false;
      label = 0;
    } else if (IsAlpha(c) || IsDigit(c) || c == '-') {
      if (++label > kMaxLabel) return false;
    } else {
      return false;
    }
  }
  return label > 0;
}

bool IsConnectionAddress(absl::string_view s) {
  if (s.find(':') != absl::string_view::npos) return IsIpv6(s);
  bool numeric = !s.empty();
  for (char c : s) {
    if (!IsDigit(c) && c != '.') numeric = false;
  }
  // All digits and dots: it must be a dotted quad, never a host name.
  return numeric ? IsIpv4(s) : IsHostName(s);
}

bool IsPort(absl::string_view s) { return ParseDecimal(s, 5, kMaxPort, nullptr); }

// extension-att-value = *VCHAR; the single-space split already excludes SP.
bool IsVcharString(absl::string_view s) {
  for (char c : s) {
    if (c < 0x21 || c > 0x7E) return false;
  }
  return true;
}

}  // namespace

absl::Status ValidateCandidate(absl::string_view candidate, const CandidateLimits& limits) {
  if (IsEndOfCandidates(candidate)) return absl::OkStatus();
  if (candidate.size() > limits.max_bytes) {
    return Invalid(absl::StrCat("longer than ", limits.max_bytes, " bytes"));
  }
  for (char c : candidate) {
    if (c < 0x20 || c > 0x7E) return Invalid("non-printable byte");
  }
  if (!absl::StartsWith(candidate, kPrefix)) {
    return Invalid("must start with \"candidate:\"");
  }
  Fields fields(candidate.substr(kPrefix.size()));
  absl::string_view f;

  // Reads the next field into `f`; it must exist and be non-empty.
  auto next = [&](absl::string_view what) -> absl::Status {
    if (!fields.Next(&f)) return Invalid(absl::StrCat("missing ", what));
    if (f.empty()) return Invalid("empty field (extra space)");
    return absl::OkStatus();
  };

  if (absl::Status s = next("foundation"); !s.ok()) return s;
  if (f.size() > kMaxFoundation) return Invalid("foundation too long");
  for (char c : f) {
    if (!IsIceChar(c)) return Invalid("bad foundation");
  }

  if (absl::Status s = next("component"); !s.ok()) return s;
  uint64_t component = 0;
  if (!ParseDecimal(f, 3, kMaxComponent, &component) || component == 0) {
    return Invalid("component must be 1-256");
  }

  if (absl::Status s = next("transport"); !s.ok()) return s;
  if (!IsToken(f)) return Invalid("bad transport");

  if (absl::Status s = next("priority"); !s.ok()) return s;
  uint64_t priority = 0;
  if (!ParseDecimal(f, 10, kMaxPriority, &priority) || priority == 0) {
    return Invalid("priority must be 1..2^31-1");
  }

  if (absl::Status s = next("address"); !s.ok()) return s;
  if (!IsConnectionAddress(f)) return Invalid("bad connection address");

  if (absl::Status s = next("port"); !s.ok()) return s;
  if (!IsPort(f)) return Invalid("port must be 0-65535");

  if (absl::Status s = next("typ"); !s.ok()) return s;
  if (f != "typ") return Invalid("expected \"typ\"");
  if (absl::Status s = next("candidate type"); !s.ok()) return s;
  if (!IsToken(f)) return Invalid("bad candidate type");

  // Optional parts, each a `name value` pair, in grammar order:
  // raddr/rport, then tcptype, then extensions.
  enum class Stage { kRelated, kTcpType, kExtensions };
  Stage stage = Stage::kRelated;
  size_t extensions = 0;
  absl::string_view name;
  while (fields.Next(&name)) {
    if (name.empty()) return Invalid("empty field (extra space)");
    if (absl::Status s = next("value after a name"); !s.ok()) return s;
    if (name == "raddr") {
      if (stage != Stage::kRelated) return Invalid("raddr out of order");
      if (!IsConnectionAddress(f)) return Invalid("bad raddr");
      absl::string_view rport;
      if (!fields.Next(&rport) || rport != "rport") {
        return Invalid("raddr without rport");
      }
      if (absl::Status s = next("rport value"); !s.ok()) return s;
      if (!IsPort(f)) return Invalid("rport must be 0-65535");
      stage = Stage::kTcpType;
    } else if (name == "rport") {
      return Invalid("rport without raddr");
    } else if (name == "tcptype") {
      if (stage == Stage::kExtensions) return Invalid("tcptype out of order");
      if (f != "active" && f != "passive" && f != "so") {
        return Invalid("tcptype must be active, passive or so");
      }
      stage = Stage::kExtensions;
    } else if (name == "typ") {
      return Invalid("repeated typ");
    } else {
      if (!IsToken(name)) return Invalid("bad extension name");
      if (!IsVcharString(f)) return Invalid("bad extension value");
      if (++extensions > limits.max_extensions) {
        return Invalid(absl::StrCat("more than ", limits.max_extensions, " extensions"));
      }
      stage = Stage::kExtensions;
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateSdpMid(absl::string_view mid) {
  if (mid.empty() || mid.size() > kMaxSdpMidLength) {
    return absl::InvalidArgumentError(
        absl::StrCat("sdpMid must be 1-", kMaxSdpMidLength, " characters"));
  }
  if (!IsToken(mid)) {
    return absl::InvalidArgumentError("sdpMid must be token characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateUsernameFragment(absl::string_view ufrag) {
  if (!IsIceChars(ufrag, kMinUsernameFragmentLength, kMaxUsernameFragmentLength)) {
    return absl::InvalidArgumentError(absl::StrCat("usernameFragment must be ",
                                                   kMinUsernameFragmentLength, "-",
                                                   kMaxUsernameFragmentLength, " ice-chars"));
  }
  return absl::OkStatus();
}

}  // namespace signaling::sdp
