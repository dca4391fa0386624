// libFuzzer target for ValidateSdp. Beyond "no crash, no UB, no leak" it
// checks the contract: every refusal is InvalidArgument, an accepted
// description respects the limits it was checked against, and LF line ends
// are judged exactly like CRLF.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/string_view.h"
#include "common/sdp/sdp.h"

namespace {

using signaling::sdp::SdpInfo;
using signaling::sdp::SdpLimits;
using signaling::sdp::SdpType;

// Small limits, so that short inputs reach every limit.
SdpLimits SmallLimits() {
  SdpLimits limits;
  limits.max_bytes = 2048;
  limits.max_lines = 32;
  limits.max_line_bytes = 128;
  limits.max_media_sections = 3;
  limits.candidate.max_bytes = 96;
  limits.candidate.max_extensions = 2;
  return limits;
}

void Check(absl::string_view sdp, SdpType type, const SdpLimits& limits) {
  const absl::StatusOr<SdpInfo> info = signaling::sdp::ValidateSdp(sdp, type, limits);
  if (!info.ok()) {
    if (!absl::IsInvalidArgument(info.status())) std::abort();
    return;
  }
  if (sdp.size() > limits.max_bytes || info->media_sections < 1 ||
      static_cast<size_t>(info->media_sections) > limits.max_media_sections ||
      info->mids.size() != static_cast<size_t>(info->media_sections) || info->candidates < 0) {
    std::abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const SdpLimits kDefaults;
  static const SdpLimits kSmall = SmallLimits();
  const absl::string_view sdp(reinterpret_cast<const char*>(data), size);
  for (SdpType type : {SdpType::kOffer, SdpType::kAnswer}) {
    Check(sdp, type, kDefaults);
    Check(sdp, type, kSmall);
  }
  const bool accepted = signaling::sdp::ValidateSdp(sdp, SdpType::kOffer, kDefaults).ok();
  if (accepted) {
    const std::string lf = absl::StrReplaceAll(sdp, {{"\r\n", "\n"}});
    if (!signaling::sdp::ValidateSdp(lf, SdpType::kOffer, kDefaults).ok()) {
      std::abort();
    }
  }
  return 0;
}
