// The codec API (see codec.h): the JSON entry points, which try the fast
// path (json_fast_path.h) and fall back to the general path here, protobuf's
// JSON utilities behind an envelope check; and the protobuf binary form.
#include "common/codec/codec.h"

#include <string>

#include "common/codec/json_fast_path.h"
#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace signaling::codec {
namespace {

namespace pbutil = google::protobuf::util;

// Checks the envelope shape without building a DOM: one top-level object
// with exactly one key whose value is an object, and bounded nesting.
// Iterative, so deep input is safe.
class EnvelopeCheck : public nlohmann::json::json_sax_t {
 public:
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override {
    if (depth_ == 1) top_value_is_object_ = true;
    return Open();
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return Fail("a message is a JSON object");
    if (depth_ == 1) return Fail("a message's kind holds an object");
    return Open();
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool key(string_t&) override {
    if (depth_ == 1 && ++top_keys_ > 1) {
      return Fail("a message has exactly one kind");
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::json::exception&) override {
    return Fail("malformed JSON");
  }

  const char* error() const { return error_; }
  int top_keys() const { return top_keys_; }
  bool top_value_is_object() const { return top_value_is_object_; }

 private:
  bool Value() {
    if (depth_ == 0) return Fail("a message is a JSON object");
    if (depth_ == 1) return Fail("a message's kind holds an object");
    return true;
  }
  bool Open() {
    if (++depth_ > kMaxJsonDepth) return Fail("JSON nested too deeply");
    return true;
  }
  bool Fail(const char* why) {
    if (error_ == nullptr) error_ = why;
    return false;
  }

  int depth_ = 0;
  int top_keys_ = 0;
  bool top_value_is_object_ = false;
  const char* error_ = nullptr;
};

}  // namespace

absl::StatusOr<v1::ClientMessage> DecodeClientJson(absl::string_view json) {
  v1::ClientMessage message;
  if (internal::FastDecodeClientJson(json, &message)) return message;
  return internal::DecodeClientJsonGeneral(json);
}

std::string EncodeServerJson(const v1::ServerMessage& message) {
  std::string out;
  if (internal::FastEncodeServerJson(message, &out)) return out;
  return internal::EncodeServerJsonGeneral(message);
}

namespace internal {

absl::StatusOr<v1::ClientMessage> DecodeClientJsonGeneral(absl::string_view json) {
  EnvelopeCheck check;
  const bool ok = nlohmann::json::sax_parse(json.begin(), json.end(), &check,
                                            nlohmann::json::input_format_t::json,
                                            /*strict=*/true);
  if (!ok || check.error() != nullptr) {
    return absl::InvalidArgumentError(check.error() ? check.error() : "malformed JSON");
  }
  if (check.top_keys() != 1 || !check.top_value_is_object()) {
    return absl::InvalidArgumentError("a message has exactly one kind");
  }
  v1::ClientMessage message;
  pbutil::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = pbutil::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &message, options);
  if (!status.ok()) {
    return absl::InvalidArgumentError("message does not match the protocol");
  }
  // A kind this version does not know was ignored like an unknown field:
  // the message has no kind set, and the engine answers it (not fatal).
  return message;
}

std::string EncodeServerJsonGeneral(const v1::ServerMessage& message) {
  std::string out;
  // Cannot fail for a well-formed message built in process.
  (void)pbutil::MessageToJsonString(message, &out);
  return out;
}

}  // namespace internal

absl::StatusOr<v1::ClientMessage> DecodeClientProto(absl::string_view bytes) {
  v1::ClientMessage message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("malformed protobuf message");
  }
  // Fields (and kinds) of a newer version are dropped here, not relayed; a
  // message left without a kind is an unknown kind, answered by the engine.
  message.DiscardUnknownFields();
  return message;
}

absl::StatusOr<v1::ServerMessage> DecodeServerJson(absl::string_view json) {
  v1::ServerMessage message;
  pbutil::JsonParseOptions options;
  options.ignore_unknown_fields = true;
  const auto status = pbutil::JsonStringToMessage(
      google::protobuf::StringPiece(json.data(), json.size()), &message, options);
  if (!status.ok()) return absl::InvalidArgumentError("malformed server message");
  return message;
}

std::string EncodeClientJson(const v1::ClientMessage& message) {
  std::string out;
  (void)pbutil::MessageToJsonString(message, &out);
  return out;
}

}  // namespace signaling::codec
