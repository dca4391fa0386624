// The two wire forms of protocol v1: JSON (the proto3 JSON mapping, one key
// per message naming its kind) and protobuf binary. Pure functions, safe on
// any input, thread-safe.
#ifndef COMMON_CODEC_CODEC_H_
#define COMMON_CODEC_CODEC_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::codec {

// Nesting deeper than this is refused before the message is decoded.
inline constexpr int kMaxJsonDepth = 16;

// Decodes one client message from JSON text. The object must have exactly
// one key, naming the kind, whose value is an object; unknown fields inside
// the kind are ignored. A well-formed message of a kind this version does
// not know decodes to a ClientMessage with no kind set (not an error: the
// engine refuses it without closing, protocol section 3). Returns
// InvalidArgument, with a short reason and no echo of the input, for
// malformed input only.
absl::StatusOr<v1::ClientMessage> DecodeClientJson(absl::string_view json);

// Decodes one client message from protobuf binary. Unknown fields are
// dropped; a message with no kind set (empty, or only unknown fields) is an
// unknown kind, returned as such. InvalidArgument only for malformed bytes.
absl::StatusOr<v1::ClientMessage> DecodeClientProto(absl::string_view bytes);

// Encodes a server message as JSON (fields at their default are omitted).
std::string EncodeServerJson(const v1::ServerMessage& message);

// The general paths, through protobuf's JSON utilities. The two functions
// above take a hand-written fast path for the canonical form and fall back
// to these for anything else; exposed so tests and fuzzers can check that
// both agree.
namespace internal {
absl::StatusOr<v1::ClientMessage> DecodeClientJsonGeneral(absl::string_view json);
std::string EncodeServerJsonGeneral(const v1::ServerMessage& message);
}  // namespace internal

// The same, for the client side (tests, load generator).
absl::StatusOr<v1::ServerMessage> DecodeServerJson(absl::string_view json);
std::string EncodeClientJson(const v1::ClientMessage& message);

}  // namespace signaling::codec

#endif  // COMMON_CODEC_CODEC_H_
