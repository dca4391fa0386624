// The load generator's messages in JSON, protobuf and PeerJS framing; see
// wire.h.
#include "bench/loadgen/wire.h"

#include "absl/strings/str_cat.h"
#include "common/codec/codec.h"
#include "common/sdp/sample_sdp.h"
#include "nlohmann/json.hpp"
#include "signaling/v1/signaling.pb.h"

namespace signaling::loadgen {
namespace {

using json = nlohmann::json;
namespace v1 = signaling::v1;

// Pads a description to ~3 KB with media-level attribute lines.
std::string PadSdp(const char* sdp) {
  std::string s = sdp;
  int i = 0;
  while (s.size() < 3000) {
    s += absl::StrCat("a=x-bench-pad", i++, ":", std::string(90, 'p'), "\r\n");
  }
  return s;
}
const std::string& OfferSdp() {
  static const std::string s = PadSdp(sdp::kSampleOffer);
  return s;
}
const std::string& AnswerSdp() {
  static const std::string s = PadSdp(sdp::kSampleAnswer);
  return s;
}

}  // namespace

std::string CandidateString(int i, int64_t ts_ns, bool pad) {
  std::string c = absl::StrCat("candidate:", i + 1, " 1 udp 2122260223 192.0.2.10 ", 54400 + i,
                               " typ host generation 0 ts ", ts_ns);
  if (pad) {
    for (int k = 0; c.size() < 900; ++k)
      absl::StrAppend(&c, " x-pad", k, " ", std::string(100, 'x'));
  }
  return c;
}

int64_t ParseTs(std::string_view c) {
  const auto pos = c.find(" ts ");
  if (pos == std::string_view::npos) return -1;
  int64_t v = 0;
  for (size_t i = pos + 4; i < c.size() && c[i] >= '0' && c[i] <= '9'; ++i)
    v = v * 10 + (c[i] - '0');
  return v;
}

namespace {

std::string Encode(Framing framing, const v1::ClientMessage& m) {
  return framing == Framing::kProto ? m.SerializeAsString() : codec::EncodeClientJson(m);
}

}  // namespace

std::string Wire::Subprotocol() const {
  switch (framing_) {
    case Framing::kJson: return "signaling.v1.json";
    case Framing::kProto: return "signaling.v1.proto";
    case Framing::kPeerJs: return "";
  }
  return "";
}

std::string Wire::Path(const std::string& id) const {
  if (!peerjs()) return "/v1/signal";
  return absl::StrCat("/peerjs?key=peerjs&id=", id, "&token=", id.size(), "t",
                      std::string(1, id.back()));
}

std::string Wire::Join(bool acceptor, const std::string& id) const {
  v1::ClientMessage m;
  auto* j = m.mutable_join();
  j->set_session_token(acceptor ? acceptor_token_ : offerer_token_);
  j->set_role(acceptor ? v1::ACCEPTOR : v1::OFFERER);
  if (acceptor) {
    j->set_peer_id(id);
  } else {
    j->set_target_id(id);
    j->set_wait_ms(2000);
  }
  return Encode(framing_, m);
}

std::string Wire::Sdp(bool offer, const std::string& dst) const {
  const std::string& sdp = offer ? OfferSdp() : AnswerSdp();
  if (peerjs()) {
    json p = {{"sdp", {{"type", offer ? "offer" : "answer"}, {"sdp", sdp}}},
              {"type", "data"},
              {"connectionId", "dc_bench"},
              {"browser", "bench"}};
    return json{{"type", offer ? "OFFER" : "ANSWER"}, {"dst", dst}, {"payload", p}}.dump();
  }
  v1::ClientMessage m;
  (offer ? m.mutable_offer() : m.mutable_answer())->set_sdp(sdp);
  return Encode(framing_, m);
}

std::string Wire::Candidate(const std::string& dst, const std::string& candidate) const {
  if (peerjs()) {
    json p = {{"candidate", {{"candidate", candidate}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}}},
              {"type", "data"},
              {"connectionId", "dc_bench"}};
    return json{{"type", "CANDIDATE"}, {"dst", dst}, {"payload", p}}.dump();
  }
  v1::ClientMessage m;
  m.mutable_ice_candidate()->set_candidate(candidate);
  m.mutable_ice_candidate()->set_sdp_mid("0");
  m.mutable_ice_candidate()->set_sdp_m_line_index(0);
  return Encode(framing_, m);
}

std::string Wire::Leave(const std::string& dst) const {
  if (peerjs()) return json{{"type", "LEAVE"}, {"dst", dst}}.dump();
  v1::ClientMessage m;
  m.mutable_leave();
  return Encode(framing_, m);
}

Msg Wire::ParsePeerJs(std::string_view data) const {
  Msg r;
  json j = json::parse(data, nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    r.kind = Msg::kError;
    r.error = "bad_json";
    return r;
  }
  const std::string type = j.value("type", "");
  if (j.contains("src") && j["src"].is_string()) r.src = j["src"];
  if (type == "OPEN") {
    r.kind = Msg::kOpen;
  } else if (type == "OFFER") {
    r.kind = Msg::kOffer;
  } else if (type == "ANSWER") {
    r.kind = Msg::kAnswer;
  } else if (type == "LEAVE" || type == "EXPIRE") {
    r.kind = Msg::kPeerLeft;
  } else if (type == "CANDIDATE") {
    r.kind = Msg::kCandidate;
    const json* c = &j;
    for (const char* key : {"payload", "candidate", "candidate"}) {
      c = c->is_object() && c->contains(key) ? &(*c)[key] : nullptr;
      if (c == nullptr) break;
    }
    if (c != nullptr && c->is_string()) r.ts = ParseTs(c->get<std::string>());
  } else if (type == "ERROR" || type == "ID-TAKEN" || type == "INVALID-KEY") {
    r.kind = Msg::kError;
    r.error = "peerjs:" + type;
  }
  return r;
}

Msg Wire::Parse(std::string_view data) const {
  if (peerjs()) return ParsePeerJs(data);
  Msg r;
  v1::ServerMessage m;
  bool decoded = false;
  if (framing_ == Framing::kProto) {
    decoded = m.ParseFromArray(data.data(), static_cast<int>(data.size()));
  } else if (auto json_message =
                 codec::DecodeServerJson(absl::string_view(data.data(), data.size()));
             json_message.ok()) {
    m = std::move(*json_message);
    decoded = true;
  }
  if (!decoded) {
    r.kind = Msg::kError;
    r.error = "undecodable";
    return r;
  }
  switch (m.kind_case()) {
    case v1::ServerMessage::kJoined: r.kind = Msg::kJoined; break;
    case v1::ServerMessage::kPaired: r.kind = Msg::kPaired; break;
    case v1::ServerMessage::kOffer: r.kind = Msg::kOffer; break;
    case v1::ServerMessage::kAnswer: r.kind = Msg::kAnswer; break;
    case v1::ServerMessage::kIceCandidate:
      r.kind = Msg::kCandidate;
      r.ts = ParseTs(m.ice_candidate().candidate());
      break;
    case v1::ServerMessage::kPeerLeft: r.kind = Msg::kPeerLeft; break;
    case v1::ServerMessage::kError:
      r.kind = Msg::kError;
      r.error = "server:" + v1::Error::Code_Name(m.error().code());
      break;
    default: break;
  }
  return r;
}

}  // namespace signaling::loadgen
