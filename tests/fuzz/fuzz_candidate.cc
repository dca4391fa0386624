// libFuzzer target for ValidateCandidate and ValidateSdpMid. Beyond "no
// crash, no UB, no leak" it checks the contract: refusals are
// InvalidArgument, accepted candidates are within limits and start with
// "candidate:", and the SDP validator agrees with the candidate validator on
// the same candidate as an a=candidate line.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "common/sdp/ice_candidate.h"
#include "common/sdp/sdp.h"

namespace {

using signaling::sdp::CandidateLimits;

constexpr absl::string_view kSdpHead =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"
    "c=IN IP4 0.0.0.0\r\na=mid:0\r\n";

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const CandidateLimits kDefaults;
  static const CandidateLimits kSmall = [] {
    CandidateLimits limits;
    limits.max_bytes = 128;
    limits.max_extensions = 2;
    return limits;
  }();
  const absl::string_view input(reinterpret_cast<const char*>(data), size);

  for (const CandidateLimits* limits : {&kDefaults, &kSmall}) {
    const absl::Status status = signaling::sdp::ValidateCandidate(input, *limits);
    if (status.ok()) {
      if (input.size() > limits->max_bytes ||
          (!input.empty() && !absl::StartsWith(input, "candidate:"))) {
        std::abort();
      }
    } else if (!absl::IsInvalidArgument(status)) {
      std::abort();
    }
  }

  const absl::Status mid = signaling::sdp::ValidateSdpMid(input);
  if (!mid.ok() && !absl::IsInvalidArgument(mid)) std::abort();

  // The same candidate as an a=candidate line: a candidate accepted alone is
  // accepted there, and (unless a line break splits it) refused there when
  // refused alone.
  if (!input.empty()) {
    const bool alone = signaling::sdp::ValidateCandidate(input, kDefaults).ok();
    const std::string sdp = absl::StrCat(kSdpHead, "a=", input, "\r\n");
    const bool in_sdp = signaling::sdp::ValidateSdp(sdp, signaling::sdp::SdpType::kOffer,
                                                    signaling::sdp::SdpLimits())
                            .ok();
    if (alone && !in_sdp) std::abort();
    if (in_sdp && !alone && absl::StartsWith(input, "candidate:") &&
        input.find('\n') == absl::string_view::npos) {
      std::abort();
    }
  }
  return 0;
}
