// Inputs of the stateful PairingEngine fuzz target; see engine_fuzz_inputs.h.
#include "tests/fuzz/engine_fuzz_inputs.h"

#include <cstdio>
#include <cstdlib>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/sdp/ice_candidate.h"
#include "common/sdp/sdp.h"

namespace signaling::fuzz {
namespace {

constexpr char kSdpHead[] =
    "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n";
constexpr char kDataSection[] =
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=mid:0\r\na=sctp-port:5000\r\n";
constexpr char kAudioSection[] =
    "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\n"
    "a=ice-ufrag:abcd\r\na=ice-pwd:aaaaaaaaaaaaaaaaaaaaaaaa\r\n"
    "a=fingerprint:sha-256 AA:BB\r\na=mid:1\r\na=rtpmap:111 opus/48000/2\r\n";

// A description of one or two m= sections with a=setup `setup` (in each).
std::string Description(const char* setup, bool two_sections) {
  std::string sdp = absl::StrCat(kSdpHead, kDataSection, "a=setup:", setup, "\r\n");
  if (two_sections) absl::StrAppend(&sdp, kAudioSection, "a=setup:", setup, "\r\n");
  return sdp;
}

const std::vector<std::string>& Offers() {
  static const auto* offers =
      new std::vector<std::string>{Description("actpass", false), Description("actpass", true)};
  return *offers;
}

const std::vector<std::string>& Answers() {
  static const auto* answers =
      new std::vector<std::string>{Description("active", false), Description("passive", true)};
  return *answers;
}

const char* const kCandidates[] = {
    "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host",
    "candidate:842163049 1 udp 1677729535 203.0.113.7 3478 typ srflx raddr 0.0.0.0 rport 0",
    "candidate:3 1 tcp 1518280447 2001:db8::1 9 typ host tcptype active",
};

// `base` with fuzz bytes inserted at a chosen position, or replaced by them.
std::string Mutate(FuzzedDataProvider& in, const std::string& base) {
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {
    case 0: return base;
    case 1: return in.ConsumeRandomLengthString(256);
    case 2: {
      const size_t at = in.ConsumeIntegralInRange<size_t>(0, base.size());
      return absl::StrCat(base.substr(0, at), in.ConsumeRandomLengthString(64), base.substr(at));
    }
    default: return base.substr(0, in.ConsumeIntegralInRange<size_t>(0, base.size()));
  }
}

v1::IceCandidate PickCandidate(FuzzedDataProvider& in) {
  v1::IceCandidate c;
  const int which = in.ConsumeIntegralInRange<int>(0, 4);
  if (which < 3) c.set_candidate(Mutate(in, kCandidates[which]));
  if (which == 4) c.set_candidate(in.ConsumeRandomLengthString(128));
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {  // sdpMid
    case 0: break;
    case 1: c.set_sdp_mid("0"); break;
    case 2: c.set_sdp_mid("1"); break;
    case 3: c.set_sdp_mid(""); break;
    default: c.set_sdp_mid(in.ConsumeRandomLengthString(40)); break;
  }
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {  // sdpMLineIndex
    case 0: break;
    case 1: c.set_sdp_m_line_index(0); break;
    case 2: c.set_sdp_m_line_index(1); break;
    default: c.set_sdp_m_line_index(in.ConsumeIntegral<uint32_t>()); break;
  }
  switch (in.ConsumeIntegralInRange<int>(0, 3)) {  // usernameFragment
    case 0: break;
    case 1: c.set_username_fragment("abcd"); break;
    case 2: c.set_username_fragment(std::string(257, 'u')); break;
    default: c.set_username_fragment(in.ConsumeRandomLengthString(40)); break;
  }
  return c;
}

void PickDescription(FuzzedDataProvider& in, bool offer, v1::SessionDescription* d) {
  const std::vector<std::string>& own = offer ? Offers() : Answers();
  const std::vector<std::string>& other = offer ? Answers() : Offers();
  const int which = in.ConsumeIntegralInRange<int>(0, 4);
  if (which < 2) {
    d->set_sdp(Mutate(in, own[which]));
  } else if (which < 4) {
    d->set_sdp(other[which - 2]);  // an answer sent as offer, or the reverse
  }
  const int candidates = in.ConsumeIntegralInRange<int>(0, 3);
  for (int i = 0; i < candidates; ++i) *d->add_ice_candidates() = PickCandidate(in);
}

std::vector<std::string> PickGrants(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return {};
    case 1: return {"kiosk-7"};
    case 2: return {"kiosk-*"};
    case 3: return {"*"};
    case 4: return {"room-*", "kiosk-8"};
    default: return {in.ConsumeRandomLengthString(16)};
  }
}

}  // namespace

std::string PickId(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0:
    case 1: return "kiosk-7";
    case 2: return "kiosk-8";
    case 3: return "room-1";
    case 4: return "";
    case 5: return "bad id";
    case 6: return std::string(129, 'k');
    default: return in.ConsumeRandomLengthString(16);
  }
}

std::string PickToken(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange<int>(0, 4)) {
    case 0: return "";
    case 1: return "token-a";
    case 2: return "token-b";
    case 3: return std::string(8 * 1024 + 1, 't');
    default: return in.ConsumeRandomLengthString(32);
  }
}

v1::ClientMessage PickMessage(FuzzedDataProvider& in) {
  v1::ClientMessage m;
  switch (in.ConsumeIntegralInRange<int>(0, 9)) {
    case 0:
    case 1: {
      v1::Join* join = m.mutable_join();
      const int role = in.ConsumeIntegralInRange<int>(0, 7);
      join->set_role(role < 3   ? v1::ACCEPTOR
                     : role < 6 ? v1::OFFERER
                                : static_cast<v1::Role>(role == 6 ? 0 : 7));
      if (join->role() == v1::ACCEPTOR) {
        join->set_peer_id(PickId(in));
      } else {
        join->set_target_id(PickId(in));
      }
      join->set_session_token(PickToken(in));
      const int wait = in.ConsumeIntegralInRange<int>(0, 4);
      join->set_wait_ms(wait == 4 ? in.ConsumeIntegral<uint32_t>()
                                  : std::vector<uint32_t>{0, 100, 5000, 60000}[wait]);
      break;
    }
    case 2: PickDescription(in, true, m.mutable_offer()); break;
    case 3: PickDescription(in, false, m.mutable_answer()); break;
    case 4:
    case 5: *m.mutable_ice_candidate() = PickCandidate(in); break;
    case 6: m.mutable_leave(); break;
    case 7: m.mutable_refresh()->set_session_token(PickToken(in)); break;
    case 8:
      m.mutable_ping();
      if (in.ConsumeBool()) m.mutable_ping()->set_nonce(in.ConsumeRandomLengthString(80));
      break;
    default: break;  // no kind
  }
  return m;
}

absl::StatusOr<matching::Principal> PickVerdict(FuzzedDataProvider& in, absl::Time now) {
  switch (in.ConsumeIntegralInRange<int>(0, 5)) {
    case 0: return absl::UnauthenticatedError("invalid token");
    case 1: return absl::UnavailableError("auth down");
    case 2: return absl::DeadlineExceededError("auth slow");
    default: break;
  }
  matching::Principal p;
  switch (in.ConsumeIntegralInRange<int>(0, 7)) {
    case 0: p.subject = ""; break;
    case 1: p.subject = "<b>mallory</b>\r\n"; break;
    case 2: p.subject = in.ConsumeRandomLengthString(24); break;
    default: p.subject = in.ConsumeBool() ? "alice" : "bob"; break;
  }
  p.accept = PickGrants(in);
  p.offer = PickGrants(in);
  const absl::Duration ttl[] = {-absl::Seconds(1), absl::ZeroDuration(), absl::Seconds(1),
                                absl::Seconds(10), absl::Hours(1)};
  p.expires_at = now + ttl[in.ConsumeIntegralInRange<int>(0, 4)];
  return p;
}

void CheckWellFormedInputs() {
  const sdp::SdpLimits limits;
  for (const std::string& offer : Offers()) {
    if (!sdp::ValidateSdp(offer, sdp::SdpType::kOffer, limits).ok()) {
      std::fprintf(stderr, "fuzz_pairing_engine: a well-formed offer is refused\n");
      std::abort();
    }
  }
  for (const std::string& answer : Answers()) {
    if (!sdp::ValidateSdp(answer, sdp::SdpType::kAnswer, limits).ok()) {
      std::fprintf(stderr, "fuzz_pairing_engine: a well-formed answer is refused\n");
      std::abort();
    }
  }
  for (const char* candidate : kCandidates) {
    if (!sdp::ValidateCandidate(candidate, sdp::CandidateLimits()).ok()) {
      std::fprintf(stderr, "fuzz_pairing_engine: a well-formed candidate is refused\n");
      std::abort();
    }
  }
}

}  // namespace signaling::fuzz
