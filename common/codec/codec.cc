// JSON and protobuf forms of the protocol messages; see codec.h.
#include "common/codec/codec.h"

#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
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

// ---------------------------------------------------------------- fast path
// The gateway decodes and encodes every relayed message; protobuf's JSON
// utilities go through a type resolver and a binary round trip each time.
// These hand-written paths cover the canonical form of protocol v1 only
// (known lowerCamel names, plain values); anything else — unknown or
// snake_case names, null, duplicate keys, numbers as strings, surrogate
// escapes, invalid UTF-8 — makes the decoder give up, and the message goes
// through the general path exactly as before. So the fast path never
// accepts or reads differently what the general path would not.

// Length of the valid UTF-8 sequence at `p` (before `end`), 0 if invalid.
size_t Utf8Length(const unsigned char* p, const unsigned char* end) {
  const unsigned char c = p[0];
  if (c < 0x80) return 1;
  size_t n;
  uint32_t min;
  uint32_t cp;
  if ((c & 0xE0) == 0xC0) {
    n = 2, min = 0x80, cp = c & 0x1F;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, min = 0x800, cp = c & 0x0F;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, min = 0x10000, cp = c & 0x07;
  } else {
    return 0;
  }
  if (static_cast<size_t>(end - p) < n) return 0;
  for (size_t i = 1; i < n; ++i) {
    if ((p[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (p[i] & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

class FastDecoder {
 public:
  explicit FastDecoder(absl::string_view json) : p_(json.data()), end_(json.data() + json.size()) {}

  // True when `json` is canonical and fully decoded into `*out`.
  bool Decode(v1::ClientMessage* out) {
    if (!Consume('{')) return false;
    std::string kind;
    if (!String(&kind) || !Consume(':')) return false;
    bool ok;
    if (kind == "iceCandidate") {
      ok = Candidate(out->mutable_ice_candidate());
    } else if (kind == "offer") {
      ok = Description(out->mutable_offer());
    } else if (kind == "answer") {
      ok = Description(out->mutable_answer());
    } else if (kind == "join") {
      ok = Join(out->mutable_join());
    } else if (kind == "ping") {
      ok = Ping(out->mutable_ping());
    } else if (kind == "refresh") {
      ok = Refresh(out->mutable_refresh());
    } else if (kind == "leave") {
      out->mutable_leave();
      ok = Consume('{') && Consume('}');
    } else {
      return false;
    }
    if (!ok || !Consume('}')) return false;
    SkipSpace();
    return p_ == end_;
  }

 private:
  // Parses `{ "key": value, ... }`, calling field(key) positioned at each
  // value; a repeated key gives up (bit per field in `seen`).
  template <class Field>
  bool Object(Field field) {
    if (!Consume('{')) return false;
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      return true;
    }
    uint32_t seen = 0;
    std::string key;
    while (true) {
      if (!String(&key) || !Consume(':')) return false;
      const int bit = field(key);
      if (bit < 0 || (seen & (1u << bit))) return false;
      seen |= 1u << bit;
      SkipSpace();
      if (p_ >= end_) return false;
      if (*p_ == '}') {
        ++p_;
        return true;
      }
      if (*p_++ != ',') return false;
    }
  }

  bool Candidate(v1::IceCandidate* c) {
    return Object([&](const std::string& key) -> int {
      if (key == "candidate") return String(c->mutable_candidate()) ? 0 : -1;
      if (key == "sdpMid") return String(c->mutable_sdp_mid()) ? 1 : -1;
      if (key == "usernameFragment") return String(c->mutable_username_fragment()) ? 2 : -1;
      if (key == "sdpMLineIndex") {
        uint32_t index;
        if (!Uint32(&index)) return -1;
        c->set_sdp_m_line_index(index);
        return 3;
      }
      return -1;
    });
  }

  bool Description(v1::SessionDescription* d) {
    return Object([&](const std::string& key) -> int {
      if (key == "sdp") return String(d->mutable_sdp()) ? 0 : -1;
      if (key == "iceCandidates") {
        if (!Consume('[')) return -1;
        SkipSpace();
        if (p_ < end_ && *p_ == ']') {
          ++p_;
          return 1;
        }
        while (true) {
          if (!Candidate(d->add_ice_candidates())) return -1;
          SkipSpace();
          if (p_ >= end_) return -1;
          if (*p_ == ']') {
            ++p_;
            return 1;
          }
          if (*p_++ != ',') return -1;
        }
      }
      return -1;
    });
  }

  bool Join(v1::Join* j) {
    return Object([&](const std::string& key) -> int {
      if (key == "sessionToken") return String(j->mutable_session_token()) ? 0 : -1;
      if (key == "peerId") return String(j->mutable_peer_id()) ? 1 : -1;
      if (key == "targetId") return String(j->mutable_target_id()) ? 2 : -1;
      if (key == "role") {
        std::string name;
        v1::Role role;
        if (!String(&name) || !v1::Role_Parse(name, &role)) return -1;
        j->set_role(role);
        return 3;
      }
      if (key == "waitMs") {
        uint32_t wait;
        if (!Uint32(&wait)) return -1;
        j->set_wait_ms(wait);
        return 4;
      }
      return -1;
    });
  }

  bool Ping(v1::Ping* ping) {
    return Object([&](const std::string& key) -> int {
      if (key == "nonce") return String(ping->mutable_nonce()) ? 0 : -1;
      return -1;
    });
  }

  bool Refresh(v1::Refresh* refresh) {
    return Object([&](const std::string& key) -> int {
      if (key == "sessionToken") return String(refresh->mutable_session_token()) ? 0 : -1;
      return -1;
    });
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Consume(char c) {
    SkipSpace();
    if (p_ >= end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // A JSON string into `*out`: short escapes and \u of the BMP outside the
  // surrogates and controls; valid UTF-8 only.
  bool String(std::string* out) {
    if (!Consume('"')) return false;
    out->clear();
    const auto* p = reinterpret_cast<const unsigned char*>(p_);
    const auto* end = reinterpret_cast<const unsigned char*>(end_);
    const unsigned char* run = p;
    while (true) {
      if (p >= end) return false;
      const unsigned char c = *p;
      if (c == '"') break;
      if (c < 0x20) return false;
      if (c < 0x80 && c != '\\') {
        ++p;
        continue;
      }
      if (c >= 0x80) {
        const size_t n = Utf8Length(p, end);
        if (n == 0) return false;
        p += n;
        continue;
      }
      out->append(reinterpret_cast<const char*>(run), p - run);
      if (end - p < 2) return false;
      switch (p[1]) {
        case '"': out->push_back('"'); break;
        case '\\': out->push_back('\\'); break;
        case '/': out->push_back('/'); break;
        case 'b': out->push_back('\b'); break;
        case 'f': out->push_back('\f'); break;
        case 'n': out->push_back('\n'); break;
        case 'r': out->push_back('\r'); break;
        case 't': out->push_back('\t'); break;
        case 'u': {
          if (end - p < 6) return false;
          uint32_t cp = 0;
          for (int i = 2; i < 6; ++i) {
            const unsigned char h = p[i];
            cp <<= 4;
            if (h >= '0' && h <= '9') {
              cp |= h - '0';
            } else if (h >= 'a' && h <= 'f') {
              cp |= h - 'a' + 10;
            } else if (h >= 'A' && h <= 'F') {
              cp |= h - 'A' + 10;
            } else {
              return false;
            }
          }
          if (cp < 0x20 || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
          if (cp < 0x80) {
            out->push_back(static_cast<char>(cp));
          } else if (cp < 0x800) {
            out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
            out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          } else {
            out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
            out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
            out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
          }
          p += 4;
          break;
        }
        default: return false;
      }
      p += 2;
      run = p;
    }
    out->append(reinterpret_cast<const char*>(run), p - run);
    p_ = reinterpret_cast<const char*>(p + 1);
    return true;
  }

  // A plain non-negative integer (no sign, fraction, exponent or leading
  // zero) that fits in 32 bits.
  bool Uint32(uint32_t* out) {
    SkipSpace();
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
    if (*p_ == '0' && end_ - p_ > 1 && p_[1] >= '0' && p_[1] <= '9') return false;
    uint64_t value = 0;
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
      value = value * 10 + static_cast<uint64_t>(*p_++ - '0');
      if (value > 0xFFFFFFFFu) return false;
    }
    if (p_ < end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E')) return false;
    *out = static_cast<uint32_t>(value);
    return true;
  }

  const char* p_;
  const char* end_;
};

// Appends `s` as a JSON string, escaping as protobuf's JSON printer does
// for ASCII; false on anything else (the general path then decides: the
// printer escapes some non-ASCII, such as C1 controls and U+2028).
bool AppendString(std::string* out, const std::string& s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  const unsigned char* run = p;
  while (p < end) {
    const unsigned char c = *p;
    if (c >= 0x80) return false;
    if (c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != 0x7F) {
      ++p;
      continue;
    }
    out->append(reinterpret_cast<const char*>(run), p - run);
    switch (c) {
      case '"': out->append("\\\""); break;
      case '\\': out->append("\\\\"); break;
      case '\b': out->append("\\b"); break;
      case '\f': out->append("\\f"); break;
      case '\n': out->append("\\n"); break;
      case '\r': out->append("\\r"); break;
      case '\t': out->append("\\t"); break;
      default: {
        const char u[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(u, sizeof(u));
      }
    }
    ++p;
    run = p;
  }
  out->append(reinterpret_cast<const char*>(run), p - run);
  out->push_back('"');
  return true;
}

// Writes the fields of one JSON object, commas between.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string* out) : out_(out) { out_->push_back('{'); }
  void End() { out_->push_back('}'); }
  void Key(const char* key) {
    if (!first_) out_->push_back(',');
    first_ = false;
    out_->push_back('"');
    out_->append(key);
    out_->append("\":");
  }
  bool Str(const char* key, const std::string& value) {
    Key(key);
    return AppendString(out_, value);
  }
  void Num(const char* key, uint32_t value) {
    Key(key);
    absl::StrAppend(out_, value);
  }
  // An enum by name, or by number when the number has no name.
  void Enum(const char* key, int value, const std::string& name) {
    Key(key);
    if (name.empty()) {
      absl::StrAppend(out_, value);
    } else {
      out_->push_back('"');
      out_->append(name);
      out_->push_back('"');
    }
  }

 private:
  std::string* out_;
  bool first_ = true;
};

bool WriteCandidate(std::string* out, const v1::IceCandidate& c) {
  ObjectWriter w(out);
  if (!c.candidate().empty() && !w.Str("candidate", c.candidate())) return false;
  if (c.has_sdp_mid() && !w.Str("sdpMid", c.sdp_mid())) return false;
  if (c.has_sdp_m_line_index()) w.Num("sdpMLineIndex", c.sdp_m_line_index());
  if (c.has_username_fragment() && !w.Str("usernameFragment", c.username_fragment())) {
    return false;
  }
  w.End();
  return true;
}

bool WriteDescription(std::string* out, const v1::SessionDescription& d) {
  ObjectWriter w(out);
  if (!d.sdp().empty() && !w.Str("sdp", d.sdp())) return false;
  if (d.ice_candidates_size() > 0) {
    w.Key("iceCandidates");
    out->push_back('[');
    for (int i = 0; i < d.ice_candidates_size(); ++i) {
      if (i > 0) out->push_back(',');
      if (!WriteCandidate(out, d.ice_candidates(i))) return false;
    }
    out->push_back(']');
  }
  w.End();
  return true;
}

// The proto3 JSON form of `m` as protobuf's printer writes it (fields in
// number order, defaults omitted, optional fields when present).
bool FastEncodeServer(const v1::ServerMessage& m, std::string* out) {
  out->reserve(64 + (m.kind_case() == v1::ServerMessage::kIceCandidate
                         ? m.ice_candidate().candidate().size()
                         : 0));
  ObjectWriter top(out);
  switch (m.kind_case()) {
    case v1::ServerMessage::kIceCandidate:
      top.Key("iceCandidate");
      if (!WriteCandidate(out, m.ice_candidate())) return false;
      break;
    case v1::ServerMessage::kOffer:
      top.Key("offer");
      out->reserve(out->size() + m.offer().sdp().size() + 64);
      if (!WriteDescription(out, m.offer())) return false;
      break;
    case v1::ServerMessage::kAnswer:
      top.Key("answer");
      out->reserve(out->size() + m.answer().sdp().size() + 64);
      if (!WriteDescription(out, m.answer())) return false;
      break;
    case v1::ServerMessage::kJoined: {
      top.Key("joined");
      const v1::Joined& j = m.joined();
      ObjectWriter w(out);
      if (!j.session_id().empty() && !w.Str("sessionId", j.session_id())) return false;
      if (j.role() != 0) w.Enum("role", j.role(), v1::Role_Name(j.role()));
      if (!j.peer_id().empty() && !w.Str("peerId", j.peer_id())) return false;
      if (!j.target_id().empty() && !w.Str("targetId", j.target_id())) return false;
      w.End();
      break;
    }
    case v1::ServerMessage::kPaired: {
      top.Key("paired");
      ObjectWriter w(out);
      if (m.paired().has_peer()) {
        w.Key("peer");
        ObjectWriter peer(out);
        if (!m.paired().peer().subject().empty() &&
            !peer.Str("subject", m.paired().peer().subject())) {
          return false;
        }
        peer.End();
      }
      w.End();
      break;
    }
    case v1::ServerMessage::kPeerLeft: {
      top.Key("peerLeft");
      ObjectWriter w(out);
      const int reason = m.peer_left().reason();
      if (reason != 0) w.Enum("reason", reason, v1::PeerLeft::Reason_Name(reason));
      w.End();
      break;
    }
    case v1::ServerMessage::kError: {
      top.Key("error");
      ObjectWriter w(out);
      const int code = m.error().code();
      if (code != 0) w.Enum("code", code, v1::Error::Code_Name(code));
      if (!m.error().message().empty() && !w.Str("message", m.error().message())) return false;
      w.End();
      break;
    }
    case v1::ServerMessage::kGoAway: {
      top.Key("goAway");
      ObjectWriter w(out);
      if (m.go_away().reconnect_after_ms() != 0) {
        w.Num("reconnectAfterMs", m.go_away().reconnect_after_ms());
      }
      w.End();
      break;
    }
    case v1::ServerMessage::kPong: {
      top.Key("pong");
      ObjectWriter w(out);
      if (m.pong().has_nonce() && !w.Str("nonce", m.pong().nonce())) return false;
      w.End();
      break;
    }
    case v1::ServerMessage::KIND_NOT_SET: break;
  }
  top.End();
  return true;
}

}  // namespace

absl::StatusOr<v1::ClientMessage> DecodeClientJson(absl::string_view json) {
  v1::ClientMessage message;
  if (FastDecoder(json).Decode(&message)) return message;
  return internal::DecodeClientJsonGeneral(json);
}

std::string EncodeServerJson(const v1::ServerMessage& message) {
  std::string out;
  if (FastEncodeServer(message, &out)) return out;
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
