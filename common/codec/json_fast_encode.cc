// The fast path's encoder: a ServerMessage as protobuf's JSON printer would
// write it, for messages whose strings are ASCII; see json_fast_path.h.
#include <cstdint>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/codec/json_fast_path.h"

namespace signaling::codec::internal {
namespace {

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

}  // namespace

bool FastEncodeServerJson(const v1::ServerMessage& m, std::string* out) {
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

}  // namespace signaling::codec::internal
