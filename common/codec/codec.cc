// JSON and protobuf forms of the protocol messages; see codec.h.
#include "common/codec/codec.h"

#include <string>

#include "google/protobuf/util/json_util.h"
#include "nlohmann/json.hpp"

namespace signaling::codec {
namespace {

namespace pbutil = google::protobuf::util;

// Checks the envelope shape without building a DOM: one top-level object
// with exactly one key, and bounded nesting. Iterative, so deep input is safe.
class EnvelopeCheck : public nlohmann::json::json_sax_t {
 public:
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(); }
  bool end_object() override { --depth_; return true; }
  bool start_array(std::size_t) override {
    if (depth_ == 0) return Fail("a message is a JSON object");
    return Open();
  }
  bool end_array() override { --depth_; return true; }
  bool key(string_t&) override {
    if (depth_ == 1 && ++top_keys_ > 1) {
      return Fail("a message has exactly one kind");
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&,
                   const nlohmann::json::exception&) override {
    return Fail("malformed JSON");
  }

  const char* error() const { return error_; }
  int top_keys() const { return top_keys_; }

 private:
  bool Value() {
    if (depth_ == 0) return Fail("a message is a JSON object");
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
  const char* error_ = nullptr;
};

}  // namespace

absl::StatusOr<v1::ClientMessage> DecodeClientJson(absl::string_view json) {
  EnvelopeCheck check;
  const bool ok = nlohmann::json::sax_parse(json.begin(), json.end(), &check,
                                            nlohmann::json::input_format_t::json,
                                            /*strict=*/true);
  if (!ok || check.error() != nullptr) {
    return absl::InvalidArgumentError(check.error() ? check.error()
                                                    : "malformed JSON");
  }
  if (check.top_keys() != 1) {
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
  if (message.kind_case() == v1::ClientMessage::KIND_NOT_SET) {
    return absl::InvalidArgumentError("unknown message kind");
  }
  return message;
}

absl::StatusOr<v1::ClientMessage> DecodeClientProto(absl::string_view bytes) {
  v1::ClientMessage message;
  if (!message.ParseFromArray(bytes.data(), static_cast<int>(bytes.size()))) {
    return absl::InvalidArgumentError("malformed protobuf message");
  }
  if (message.kind_case() == v1::ClientMessage::KIND_NOT_SET) {
    return absl::InvalidArgumentError("unknown message kind");
  }
  return message;
}

std::string EncodeServerJson(const v1::ServerMessage& message) {
  std::string out;
  // Cannot fail for a well-formed message built in process.
  (void)pbutil::MessageToJsonString(message, &out);
  return out;
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
