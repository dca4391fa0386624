// libFuzzer target for the JSON client-message decoder, followed by what the
// gateway does with a decoded message: the SDP and candidate validators. It
// also checks that the fast path agrees with protobuf's JSON parser, and
// that a decoded message survives encode + decode unchanged.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/codec/codec.h"
#include "common/sdp/ice_candidate.h"
#include "common/sdp/sdp.h"
#include "google/protobuf/util/message_differencer.h"

namespace {

namespace sdp = signaling::sdp;
using signaling::v1::ClientMessage;

void CheckCandidate(const signaling::v1::IceCandidate& candidate) {
  const absl::Status status = sdp::ValidateCandidate(candidate.candidate(), sdp::CandidateLimits());
  if (!status.ok() && !absl::IsInvalidArgument(status)) std::abort();
  if (candidate.has_sdp_mid()) {
    const absl::Status mid = sdp::ValidateSdpMid(candidate.sdp_mid());
    if (!mid.ok() && !absl::IsInvalidArgument(mid)) std::abort();
  }
}

void CheckDescription(const signaling::v1::SessionDescription& description, sdp::SdpType type) {
  const absl::Status status = sdp::ValidateSdp(description.sdp(), type, sdp::SdpLimits()).status();
  if (!status.ok() && !absl::IsInvalidArgument(status)) std::abort();
  for (const auto& candidate : description.ice_candidates()) {
    CheckCandidate(candidate);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view json(reinterpret_cast<const char*>(data), size);
  const absl::StatusOr<ClientMessage> message = signaling::codec::DecodeClientJson(json);
  // The fast path must agree with protobuf's JSON parser on every input.
  const absl::StatusOr<ClientMessage> general =
      signaling::codec::internal::DecodeClientJsonGeneral(json);
  if (message.ok() != general.ok() ||
      (message.ok() && !google::protobuf::util::MessageDifferencer::Equals(*message, *general))) {
    std::abort();
  }
  if (!message.ok()) {
    if (!absl::IsInvalidArgument(message.status())) std::abort();
    return 0;
  }
  switch (message->kind_case()) {
    case ClientMessage::kOffer: CheckDescription(message->offer(), sdp::SdpType::kOffer); break;
    case ClientMessage::kAnswer: CheckDescription(message->answer(), sdp::SdpType::kAnswer); break;
    case ClientMessage::kIceCandidate: CheckCandidate(message->ice_candidate()); break;
    case ClientMessage::KIND_NOT_SET: return 0;  // an unknown kind: nothing to re-encode
    default: break;
  }
  const std::string encoded = signaling::codec::EncodeClientJson(*message);
  const absl::StatusOr<ClientMessage> again = signaling::codec::DecodeClientJson(encoded);
  if (!again.ok() || !google::protobuf::util::MessageDifferencer::Equals(*message, *again)) {
    std::abort();
  }
  return 0;
}
