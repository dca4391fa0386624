// What the load generator sends and receives, in the three framings it
// speaks: protocol v1 over JSON text or protobuf binary frames, and the
// PeerJS server's JSON messages (for comparison runs). The SDPs and
// candidates are fixed, valid and padded to realistic sizes; candidates
// carry their send time so that the receiver can measure one-way latency.
// Thread-safe (immutable after construction).
#ifndef BENCH_LOADGEN_WIRE_H_
#define BENCH_LOADGEN_WIRE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace signaling::loadgen {

enum class Framing { kJson, kProto, kPeerJs };

// A received message, reduced to what the scenarios need.
struct Msg {
  enum Kind { kOther, kJoined, kPaired, kOffer, kAnswer, kCandidate, kPeerLeft, kError, kOpen };
  Kind kind = kOther;
  std::string src;    // PeerJS: the sender's id
  std::string error;  // kError: what went wrong ("server:<CODE>", "undecodable", ...)
  int64_t ts = -1;    // kCandidate: its send time (ns), -1 when it has none
};

// A valid RFC 8839 host candidate number `i` carrying a send timestamp
// (`ts <nanos>`) in an extension pair; `pad` adds extension pairs up to ~1 KB.
std::string CandidateString(int i, int64_t ts_ns, bool pad);
// The timestamp of a CandidateString, or -1.
int64_t ParseTs(std::string_view candidate);

class Wire {
 public:
  // The tokens are used in signaling joins (unused for PeerJS).
  Wire(Framing framing, std::string acceptor_token, std::string offerer_token)
      : framing_(framing),
        acceptor_token_(std::move(acceptor_token)),
        offerer_token_(std::move(offerer_token)) {}

  Framing framing() const { return framing_; }
  bool peerjs() const { return framing_ == Framing::kPeerJs; }
  // The Sec-WebSocket-Protocol to offer ("" for PeerJS).
  std::string Subprotocol() const;

  // The upgrade path of a connection whose peer id is `id`.
  std::string Path(const std::string& id) const;
  // Signaling only: an acceptor's join as `id`, or an offerer's join
  // targeting `id` (waiting up to 2 s for it).
  std::string Join(bool acceptor, const std::string& id) const;
  // The offer or answer; `dst` is the peer's id (PeerJS addressing).
  std::string Sdp(bool offer, const std::string& dst) const;
  std::string Candidate(const std::string& dst, const std::string& candidate) const;
  // Leaving the pairing (signaling: the server then closes with 1000).
  std::string Leave(const std::string& dst) const;

  Msg Parse(std::string_view data) const;

 private:
  Msg ParsePeerJs(std::string_view data) const;

  const Framing framing_;
  const std::string acceptor_token_;
  const std::string offerer_token_;
};

}  // namespace signaling::loadgen

#endif  // BENCH_LOADGEN_WIRE_H_
