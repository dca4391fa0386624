// Stateful libFuzzer target for the PairingEngine: the input is decoded into
// a sequence of operations, as an adapter would make them (a transport
// opens, a client message arrives, the verifier answers ok, refused or
// unavailable, a transport closes, the clock steps and deadlines fire, the
// operator disconnects an id, the service shuts down), and after each one
// the engine's public views are checked against a model of which sessions
// are open and which verifications are pending:
//   - actions only name open sessions: nothing is sent to a session after
//     its CloseAction or its transport closed, no session is closed twice;
//   - an offer, answer or candidate is relayed once, to the other side, as
//     it was sent (unknown fields aside);
//   - a closed session leaves nothing behind: the counts of Stats(),
//     ListSessions() and SessionsByRole() follow the model exactly, calls
//     for it are ignored, and no deadline is left due after Advance;
//   - every session ends by a deadline when the clock runs on, and once all
//     are closed every count is zero and NextDeadline is InfiniteFuture.
// Beyond these checks: no crash, no UB, no leak (ASan, UBSan).
#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "absl/time/time.h"
#include "common/codec/codec.h"
#include "common/protocol/close_code.h"
#include "google/protobuf/stubs/logging.h"
#include "google/protobuf/util/message_differencer.h"
#include "services/matching/pairing_engine.h"
#include "tests/fuzz/engine_fuzz_inputs.h"
#include "tests/fuzz/fuzz_check.h"

namespace {

namespace matching = signaling::matching;
using matching::Actions;
using matching::PairingEngine;
using matching::SessionKey;

// The engine's public views, reduced to counts: the only place that reads
// the engine's Stats(), ListSessions() and SessionsByRole().
struct Counts {
  size_t sessions, listed, by_role, ids, pairings, waiting, pending, timers;
};

// ListSessions() copies every session: read only when `listed` is asked for.
Counts CountsOf(const PairingEngine& engine, bool listed) {
  const auto stats = engine.Stats();
  const auto by_role = engine.SessionsByRole();
  return Counts{static_cast<size_t>(stats.sessions),
                listed ? engine.ListSessions().size() : static_cast<size_t>(stats.sessions),
                by_role[0] + by_role[1] + by_role[2],
                static_cast<size_t>(stats.ids),
                static_cast<size_t>(stats.pairings),
                static_cast<size_t>(stats.waiting_offerers),
                static_cast<size_t>(stats.pending_verifications),
                static_cast<size_t>(stats.timers)};
}

bool IsCloseCode(uint32_t code) {
  namespace protocol = signaling::protocol;
  switch (code) {
    case protocol::kCloseNormal:
    case protocol::kCloseGoingAway:
    case protocol::kCloseMalformed:
    case protocol::kClosePolicy:
    case protocol::kCloseTooBig:
    case protocol::kCloseInternal:
    case protocol::kCloseTryAgain:
    case protocol::kCloseUnauthenticated:
    case protocol::kClosePermission:
    case protocol::kCloseReplaced:
    case protocol::kCloseRateLimit: return true;
    default: return false;
  }
}

// Timers a session may own (join, wait, token expiry, negotiation, delay).
constexpr size_t kTimersPerSession = 5;

class Harness {
 public:
  Harness(matching::EngineLimits limits, absl::Time start)
      : engine_(std::move(limits)), now_(start) {}

  void Run(FuzzedDataProvider& in) {
    while (in.remaining_bytes() > 0) Step(in);
    Finish();
  }

 private:
  void Step(FuzzedDataProvider& in) {
    switch (in.ConsumeIntegralInRange<int>(0, 15)) {
      case 0:
      case 1: Open(in); break;
      case 2:
      case 3:
      case 4:
      case 5:
      case 6: Message(PickKey(in), signaling::fuzz::PickMessage(in)); break;
      case 7: {  // a frame of the protobuf subprotocol, decoded as the gateway does
        auto decoded = signaling::codec::DecodeClientProto(in.ConsumeRandomLengthString(600));
        if (decoded.ok()) Message(PickKey(in), *std::move(decoded));
        break;
      }
      case 8:
      case 9: Answer(in); break;
      case 10: TransportClosed(PickKey(in)); break;
      case 11:
      case 12: StepClock(in); break;
      case 13: {  // the next deadline, exactly
        const absl::Time next = engine_.NextDeadline();
        if (next != absl::InfiniteFuture() && next > now_) now_ = next;
        Apply(engine_.Advance(now_));
        FUZZ_CHECK(engine_.NextDeadline() > now_);
        break;
      }
      case 14: {
        bool found = false;
        const size_t before = closed_.size();
        Apply(engine_.Disconnect(signaling::fuzz::PickId(in), now_, &found));
        FUZZ_CHECK(!found || closed_.size() > before);
        break;
      }
      default:
        // Shutdown is rare: it ends every session at once.
        if (in.ConsumeIntegral<uint8_t>() == 0) {
          Apply(engine_.CloseAll(signaling::protocol::kCloseGoingAway, "shutting down", 1000));
          FUZZ_CHECK(open_.empty());
        }
        break;
    }
  }

  // An open session most of the time, otherwise any key: closed, never
  // opened, or 0.
  SessionKey PickKey(FuzzedDataProvider& in) {
    const uint8_t pick = in.ConsumeIntegral<uint8_t>();
    if (!open_.empty() && pick < 224) {
      auto it = open_.begin();
      std::advance(it, pick % open_.size());
      return *it;
    }
    return pick % (next_key_ + 1);
  }

  void Open(FuzzedDataProvider& in) {
    const SessionKey key = next_key_++;
    static const char* const kIps[] = {"192.0.2.1", "192.0.2.2", "2001:db8::1", ""};
    matching::ConnectionMeta meta{kIps[in.ConsumeIntegralInRange<int>(0, 3)],
                                  signaling::fuzz::PickToken(in)};
    open_.insert(key);
    Apply(engine_.Open(key, std::move(meta), now_));
  }

  void Message(SessionKey key, signaling::v1::ClientMessage message) {
    // What a relay must carry, copied before the message is handed over.
    signaling::v1::ClientMessage sent = message;
    sent.DiscardUnknownFields();
    Actions actions = engine_.OnMessage(key, std::move(message), now_);
    if (!open_.count(key)) FUZZ_CHECK(actions.empty());
    CheckRelays(key, sent, actions);
    Apply(std::move(actions));
  }

  // An offer, answer or candidate reaches the other side as it was sent
  // (unknown fields aside), once; nothing else is relayed.
  static void CheckRelays(SessionKey from, const signaling::v1::ClientMessage& sent,
                          const Actions& actions) {
    using signaling::v1::ServerMessage;
    using MessageDifferencer = google::protobuf::util::MessageDifferencer;
    int relays = 0;
    for (const matching::Action& action : actions) {
      const auto* send = std::get_if<matching::SendAction>(&action);
      if (send == nullptr) continue;
      const ServerMessage& m = send->message;
      const google::protobuf::Message* relayed = nullptr;
      const google::protobuf::Message* original = nullptr;
      if (m.kind_case() == ServerMessage::kOffer) {
        relayed = &m.offer();
        original = sent.has_offer() ? &sent.offer() : nullptr;
      } else if (m.kind_case() == ServerMessage::kAnswer) {
        relayed = &m.answer();
        original = sent.has_answer() ? &sent.answer() : nullptr;
      } else if (m.kind_case() == ServerMessage::kIceCandidate) {
        relayed = &m.ice_candidate();
        original = sent.has_ice_candidate() ? &sent.ice_candidate() : nullptr;
      }
      if (relayed == nullptr) continue;
      ++relays;
      FUZZ_CHECK(original != nullptr && send->to != from);
      FUZZ_CHECK(MessageDifferencer::Equals(*relayed, *original));
    }
    FUZZ_CHECK(relays <= 1);
  }

  void Answer(FuzzedDataProvider& in) {
    uint64_t request = 0;
    SessionKey key = 0;
    bool real = true;  // the answer to a pending VerifyAction
    if (!pending_.empty() && in.ConsumeBool()) {
      auto it = pending_.begin();
      std::advance(it, in.ConsumeIntegralInRange<size_t>(0, pending_.size() - 1));
      key = it->first;
      request = it->second;
    } else {  // stale or made up: ignored unless it happens to match
      key = PickKey(in);
      request = in.ConsumeIntegralInRange<uint64_t>(1, 64);  // 0 is never a request
      auto it = pending_.find(key);
      real = it != pending_.end() && it->second == request;
    }
    if (real) pending_.erase(key);
    Actions actions =
        engine_.OnVerified(key, request, signaling::fuzz::PickVerdict(in, now_), now_);
    if (!real) FUZZ_CHECK(actions.empty());
    Apply(std::move(actions));
  }

  void TransportClosed(SessionKey key) {
    const bool was_open = open_.erase(key) == 1;
    pending_.erase(key);
    Actions actions = engine_.OnTransportClosed(key, now_);
    if (!was_open) FUZZ_CHECK(actions.empty());
    Apply(std::move(actions));
    CheckCounts(true);
  }

  void StepClock(FuzzedDataProvider& in) {
    const absl::Duration steps[] = {
        absl::ZeroDuration(), absl::Milliseconds(1), absl::Milliseconds(100), absl::Seconds(1),
        absl::Seconds(5),     absl::Seconds(30),     absl::Seconds(61),       absl::Hours(1)};
    now_ += steps[in.ConsumeIntegralInRange<int>(0, 7)];
    Apply(engine_.Advance(now_));
    FUZZ_CHECK(engine_.NextDeadline() > now_);
  }

  // Checks each action against the model and applies it to the model.
  void Apply(Actions actions) {
    std::vector<SessionKey> closed_now;
    for (const matching::Action& action : actions) {
      if (const auto* send = std::get_if<matching::SendAction>(&action)) {
        FUZZ_CHECK(open_.count(send->to) == 1);
        FUZZ_CHECK(send->message.kind_case() != signaling::v1::ServerMessage::KIND_NOT_SET);
      } else if (const auto* close = std::get_if<matching::CloseAction>(&action)) {
        FUZZ_CHECK(open_.erase(close->session) == 1);
        FUZZ_CHECK(IsCloseCode(close->code));
        pending_.erase(close->session);
        closed_now.push_back(close->session);
        closed_.push_back(close->session);
      } else {
        const auto& verify = std::get<matching::VerifyAction>(action);
        FUZZ_CHECK(open_.count(verify.session) == 1);
        FUZZ_CHECK(verify.request != 0 && !verify.token.empty());
        FUZZ_CHECK(pending_.emplace(verify.session, verify.request).second);
      }
    }
    // The adapter reports each closed transport: the engine already forgot it.
    for (SessionKey key : closed_now) FUZZ_CHECK(engine_.OnTransportClosed(key, now_).empty());
    CheckCounts(!closed_now.empty());
  }

  // `listed`: also check ListSessions(), after a session closed.
  void CheckCounts(bool listed) {
    const Counts c = CountsOf(engine_, listed);
    const size_t open = open_.size();
    FUZZ_CHECK(c.sessions == open && c.listed == open && c.by_role == open);
    FUZZ_CHECK(c.pending == pending_.size());
    FUZZ_CHECK(c.ids <= open && 2 * c.pairings <= open && c.waiting <= open);
    FUZZ_CHECK(c.timers <= kTimersPerSession * open);
    if (open == 0) {
      FUZZ_CHECK(c.ids == 0 && c.pairings == 0 && c.waiting == 0 && c.timers == 0);
      FUZZ_CHECK(engine_.NextDeadline() == absl::InfiniteFuture());
    }
  }

  void Finish() {
    // Every session ends by one of its deadlines when the clock runs on.
    for (int i = 0; i < 10000 && engine_.NextDeadline() != absl::InfiniteFuture(); ++i) {
      now_ = std::max(now_, engine_.NextDeadline());
      Apply(engine_.Advance(now_));
    }
    FUZZ_CHECK(open_.empty());
    FUZZ_CHECK(engine_.NextDeadline() == absl::InfiniteFuture());
    // Late verifier answers and closes of forgotten sessions are ignored.
    for (SessionKey key = 0; key <= next_key_; ++key) {
      FUZZ_CHECK(engine_.OnTransportClosed(key, now_).empty());
      FUZZ_CHECK(engine_.OnVerified(key, 1, absl::UnauthenticatedError("late"), now_).empty());
    }
    CheckCounts(true);
  }

  PairingEngine engine_;
  absl::Time now_;
  SessionKey next_key_ = 1;
  std::set<SessionKey> open_;
  std::map<SessionKey, uint64_t> pending_;  // request of each pending VerifyAction
  std::vector<SessionKey> closed_;
};

matching::EngineLimits LimitsFor(uint8_t choice) {
  matching::EngineLimits limits;
  if (choice & 1) {  // small limits, to reach them in a few steps
    limits.join_deadline = absl::Seconds(1);
    limits.negotiation_timeout = absl::Seconds(5);
    limits.max_wait = absl::Seconds(5);
    limits.max_id_bytes = 16;
    limits.max_token_bytes = 64;
    limits.max_candidates_per_message = 2;
    limits.max_candidates_per_session = 5;
    limits.rate_per_second = 2;
    limits.rate_burst = 4;
    limits.rate_abuse_threshold = 3;
  }
  return limits;
}

// protobuf logs every string field with invalid UTF-8 that a raw frame
// carries; the refusal is what matters, the log line only slows the fuzzer.
void Quiet(google::protobuf::LogLevel, const char*, int, const std::string&) {}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  google::protobuf::SetLogHandler(&Quiet);
  signaling::fuzz::CheckWellFormedInputs();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Harness harness(LimitsFor(in.ConsumeIntegral<uint8_t>()), absl::FromUnixSeconds(1'800'000'000));
  harness.Run(in);
  return 0;
}
