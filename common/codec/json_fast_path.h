// The hand-written JSON fast path of the codec, internal to common/codec.
// The gateway decodes and encodes every relayed message; protobuf's JSON
// utilities go through a type resolver and a binary round trip each time.
// These hand-written paths cover the canonical form of protocol v1 only
// (known lowerCamel names, plain values); anything else — unknown or
// snake_case names, null, duplicate keys, numbers as strings, surrogate
// escapes, invalid UTF-8 — makes the decoder give up, and the message goes
// through the general path exactly as before. So the fast path never
// accepts or reads differently what the general path would not.
// Pure functions, safe on any input, thread-safe.
#ifndef COMMON_CODEC_JSON_FAST_PATH_H_
#define COMMON_CODEC_JSON_FAST_PATH_H_

#include <string>

#include "absl/strings/string_view.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::codec::internal {

// True when `json` is canonical and fully decoded into `*out`; false means
// "use the general path" (`*out` may then hold part of the message).
bool FastDecodeClientJson(absl::string_view json, v1::ClientMessage* out);

// Appends to `*out` the proto3 JSON form of `m` as protobuf's printer writes
// it (fields in number order, defaults omitted, optional fields when
// present); false, with `*out` unspecified, when a string needs escaping the
// fast path leaves to the printer (any non-ASCII).
bool FastEncodeServerJson(const v1::ServerMessage& m, std::string* out);

}  // namespace signaling::codec::internal

#endif  // COMMON_CODEC_JSON_FAST_PATH_H_
