// libFuzzer target for the protobuf ClientMessage decoder (the protobuf
// subprotocol's binary frames), followed by what the system does with a
// decoded message: re-encoding, the JSON form, and relaying it to a peer
// that speaks JSON. Checks, beyond "no crash, no UB, no leak":
//   - the decoder agrees with protobuf's own parser: bytes it cannot parse
//     are refused as InvalidArgument (fatal, 1007); a message with a kind
//     decodes to what protobuf parsed (unknown fields kept or dropped); one
//     without a kind (empty, or only unknown fields) is refused or decodes
//     without a kind;
//   - encode + decode is the identity, and encoding is stable;
//   - the JSON form of a decoded message decodes to the same message
//     (unknown fields aside);
//   - a relayed offer, answer or candidate encodes as JSON exactly as
//     protobuf's JSON printer writes it (the hand-kept fast path), and that
//     JSON decodes back to what was relayed.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "common/codec/codec.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace codec = signaling::codec;
using google::protobuf::util::MessageDifferencer;
using signaling::v1::ClientMessage;
using signaling::v1::ServerMessage;

// protobuf logs every string field with invalid UTF-8; the refusal is
// what is checked, the log line only slows the fuzzer.
void Quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}

// The server message that relays `message` to the peer, if it is relayed.
bool Relayed(const ClientMessage& message, ServerMessage* out) {
  switch (message.kind_case()) {
    case ClientMessage::kOffer: *out->mutable_offer() = message.offer(); return true;
    case ClientMessage::kAnswer: *out->mutable_answer() = message.answer(); return true;
    case ClientMessage::kIceCandidate:
      *out->mutable_ice_candidate() = message.ice_candidate();
      return true;
    default: return false;
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(&Quiet);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view bytes(reinterpret_cast<const char*>(data), size);
  ClientMessage reference;
  const bool parses = reference.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()));
  const absl::StatusOr<ClientMessage> message = codec::DecodeClientProto(bytes);
  if (!parses) {
    FUZZ_CHECK(absl::IsInvalidArgument(message.status()));
    return 0;
  }
  if (reference.kind_case() == ClientMessage::KIND_NOT_SET) {
    FUZZ_CHECK(!message.ok() || message->kind_case() == ClientMessage::KIND_NOT_SET);
    if (!message.ok()) return 0;
  } else {
    // Unknown fields inside the kind may be kept or dropped, nothing else.
    ClientMessage known = reference;
    known.DiscardUnknownFields();
    FUZZ_CHECK(message.ok() && (MessageDifferencer::Equals(*message, reference) ||
                                MessageDifferencer::Equals(*message, known)));
  }

  // Encode + decode is the identity; encoding it again gives the same bytes.
  const std::string encoded = message->SerializeAsString();
  const absl::StatusOr<ClientMessage> again = codec::DecodeClientProto(encoded);
  if (message->kind_case() != ClientMessage::KIND_NOT_SET) {
    FUZZ_CHECK(again.ok() && MessageDifferencer::Equals(*message, *again));
    FUZZ_CHECK(again->SerializeAsString() == encoded);
  }
  if (message->kind_case() == ClientMessage::KIND_NOT_SET) return 0;

  // The JSON form carries the same message, unknown fields aside.
  ClientMessage known = *message;
  known.DiscardUnknownFields();
  const absl::StatusOr<ClientMessage> from_json =
      codec::DecodeClientJson(codec::EncodeClientJson(known));
  FUZZ_CHECK(from_json.ok() && MessageDifferencer::Equals(known, *from_json));

  // A relayed message reaches a JSON peer as protobuf's printer writes it.
  ServerMessage relayed;
  if (Relayed(known, &relayed)) {
    const std::string json = codec::EncodeServerJson(relayed);
    const std::string general = codec::internal::EncodeServerJsonGeneral(relayed);
    if (json != general) {
      std::fprintf(stderr, "fast path:    %s\nprotobuf's:   %s\n", json.c_str(), general.c_str());
    }
    FUZZ_CHECK(json == general);
    const absl::StatusOr<ServerMessage> back = codec::DecodeServerJson(json);
    FUZZ_CHECK(back.ok() && MessageDifferencer::Equals(relayed, *back));
  }
  return 0;
}
