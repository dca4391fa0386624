// The pairing state machine of protocol v1, sections 4 and 6: roles, grants,
// replacement, waiting, busy, message order, negotiation timeout, token
// expiry and refresh, per-session limits. Pure: no network, no threads, the
// clock passed into every call. Each call returns the actions the adapter
// must carry out, in order.
//
// Ownership: every session lives in one map keyed by SessionKey; pairings
// refer to sessions by key; every timer is an entry owned by its session and
// removed with it. Closing a session (Close or OnTransportClosed) releases
// all of it. Not thread-safe: the adapter serializes calls.
//
// Cluster mode (a replica name given): several replicas share the acceptor
// ids through a directory the adapter reaches (docs/scaling.md). An
// acceptor's id is claimed there before it is registered; an offerer whose
// target is not held here is looked up there, and moved (RedirectAction) to
// the replica that holds it, before it is told `joined`; ids are released
// there when their session ends. Pairing itself stays on one replica.
#ifndef SERVICES_MATCHING_PAIRING_ENGINE_H_
#define SERVICES_MATCHING_PAIRING_ENGINE_H_

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <tuple>
#include <variant>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/ratelimit/token_bucket.h"
#include "common/sdp/ice_candidate.h"
#include "common/sdp/sdp.h"
#include "services/auth/principal.h"
#include "services/matching/acceptor_directory.h"
#include "services/matching/auth_throttle.h"
#include "services/matching/cluster_types.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::matching {

// Every limit of the engine, with its default in one place.
struct EngineLimits {
  absl::Duration join_deadline = absl::Seconds(5);
  absl::Duration negotiation_timeout = absl::Seconds(30);
  absl::Duration max_wait = absl::Seconds(30);
  size_t max_id_bytes = 128;
  size_t max_token_bytes = 8 * 1024;
  size_t max_candidates_per_message = 100;
  size_t max_candidates_per_session = 500;
  double rate_per_second = 20;
  double rate_burst = 50;
  // Refused messages in a row that count as persistent abuse (close 4029).
  int rate_abuse_threshold = 50;
  sdp::SdpLimits sdp;
  sdp::CandidateLimits candidate;
  AuthThrottleLimits auth_throttle;
};

// What a verified token grants: the verifier's own type (auth::Principal,
// services/auth/principal.h), converted from the wire once, at the
// verifier client.
using Principal = auth::Principal;

// What the transport knows of a session when it opens.
struct ConnectionMeta {
  std::string client_ip;
  std::string bearer_token;  // from the transport's headers, may be empty
  // Cluster mode: a session moved here from another replica after it was
  // told `joined` there keeps that session id and is not told again.
  std::string announced_session_id;
};

// Actions for the adapter.
struct SendAction {
  SessionKey to;
  v1::ServerMessage message;
};
struct CloseAction {  // the session is already released in the engine
  SessionKey session;
  uint32_t code;
  std::string reason;
};
struct VerifyAction {  // call the verifier, then OnVerified(session, request)
  SessionKey session;
  uint64_t request;
  std::string token;
};
// Cluster mode only.
struct ClaimAction {  // claim `id` in the directory, then OnClaimed(session, request, id)
  SessionKey session;
  uint64_t request;
  std::string id;
  std::string subject;
  std::string session_id;
  absl::Time lease_until;  // the claim's own expiry (the token's)
};
struct LookupAction {  // look `id` up, then OnLookedUp(session, request)
  SessionKey session;
  uint64_t request;
  std::string id;
  // When the offerer may wait (waitMs): if `id` is free, note in the same
  // step that this replica waits for it until then, so that the replica
  // where its acceptor joins tells this one (OnAcceptorElsewhere).
  absl::Time wait_until;
};
struct ReleaseAction {  // release `id` if the claim `fence` still holds it
  std::string id;
  uint64_t fence;
};
struct RenewAction {  // extend the claim `fence` of `id` to `lease_until`
  std::string id;
  uint64_t fence;
  absl::Time lease_until;
};
struct RedirectAction {  // the session is released here; its transport moves to `replica`
  SessionKey session;
  std::string replica;
  // Set when the client was already told `joined` with this session id: the
  // move carries it on (ConnectionMeta::announced_session_id).
  std::string announced_session_id;
};
struct EvictAction {  // tell `replica` to close the holder of `id` with fence `fence`
  std::string replica;
  std::string id;
  uint64_t fence;
};
using Action = std::variant<SendAction, CloseAction, VerifyAction, ClaimAction, LookupAction,
                            ReleaseAction, RenewAction, RedirectAction, EvictAction>;
using Actions = std::vector<Action>;

// Why a session's transport ended, for the peer's peerLeft.
enum class CloseCause { kDisconnected };

// The engine's counts (the admin API's GetStats reports them, converted to
// the wire in admin_wire.h).
struct EngineStats {
  uint64_t sessions = 0;  // open sessions, joined or not
  uint64_t ids = 0;       // registered acceptor ids
  uint64_t pairings = 0;  // live pairings
  uint64_t waiting_offerers = 0;
  uint64_t pending_verifications = 0;
  uint64_t timers = 0;                   // armed deadlines
  uint64_t pending_directory_calls = 0;  // cluster mode: claims and look-ups
};

// An id held here, as the adapter re-asserts it in the directory.
struct HeldId {
  std::string id;
  std::string session_id;
  std::string subject;
  uint64_t fence = 0;
  absl::Time lease_until;
};

// One open session as the admin API lists it (admin_wire.h converts it).
struct SessionView {
  std::string session_id;
  v1::Role role = v1::ROLE_UNSPECIFIED;
  std::string id;  // peerId (acceptor) or targetId (offerer), once joined
  std::string subject;
  std::string_view state;  // "awaiting_join", "verifying", "waiting", "registered", "paired"
  std::string client_ip;
  absl::Time connected_at;
  absl::Time last_activity;
  uint64_t messages_in = 0;
  uint64_t messages_out = 0;
};

// Observable events for metrics; the adapter may ignore them.
struct EngineCounters {
  uint64_t joins = 0;
  uint64_t pairings_started = 0;
  uint64_t pairings_completed = 0;  // an answer arrived
  uint64_t pairings_ended[5] = {};  // by v1::PeerLeft::Reason
  uint64_t relayed[3] = {};         // offer, answer, iceCandidate
  uint64_t rate_limited = 0;
  uint64_t auth_throttled = 0;  // joins refused or delayed for repeated failures
  // Cluster mode: offerers moved to the replica holding their target (at
  // their join, or while waiting), joins refused while fenced, holders
  // closed because a newer claim won.
  uint64_t redirects = 0;
  uint64_t fenced_refusals = 0;
  uint64_t evictions = 0;
  absl::flat_hash_map<std::string, uint64_t> refused;  // by error code name
  // Latency samples, drained by the adapter; at most kMaxSamples are kept
  // between two drains.
  static constexpr size_t kMaxSamples = 4096;
  std::vector<double> join_to_paired_seconds;
  std::vector<double> offer_to_answer_seconds;
};

class PairingEngine {
 public:
  // `replica`: this replica's name in a cluster (its advertised address);
  // empty for a matching service on its own.
  explicit PairingEngine(EngineLimits limits = {},
                         std::unique_ptr<AcceptorDirectory> directory = nullptr,
                         std::string replica = "");

  // A transport opened; `key` is chosen by the adapter and must be new.
  Actions Open(SessionKey key, ConnectionMeta meta, absl::Time now);
  // A client message arrived on `key`'s transport. Taken by value: what is
  // relayed (SDPs, candidates) is moved into the peer's message, not copied.
  Actions OnMessage(SessionKey key, v1::ClientMessage message, absl::Time now);
  // The verifier answered request `request` of `key`. An answer to no
  // pending request (a late one, or request 0, which is never issued) is
  // ignored.
  Actions OnVerified(SessionKey key, uint64_t request, const absl::StatusOr<Principal>& principal,
                     absl::Time now);
  // The transport closed or dropped; the session is released.
  Actions OnTransportClosed(SessionKey key, absl::Time now);
  // Closes the session of acceptor `peer_id` (admin); false if none.
  Actions Disconnect(const std::string& peer_id, absl::Time now, bool* found);
  // Shutdown: every session gets goAway, then is closed with `code`; a
  // pairing ends for both sides alike (no peerLeft, no offerer 1000).
  Actions CloseAll(uint32_t code, const std::string& reason, uint32_t reconnect_after_ms);
  // Fires every deadline at or before `now`.
  Actions Advance(absl::Time now);

  // Cluster mode. The directory answered a ClaimAction / LookupAction; an
  // answer to no pending request is ignored (a claim it made is released).
  Actions OnClaimed(SessionKey key, uint64_t request, const std::string& id,
                    const absl::StatusOr<ClaimResult>& result, absl::Time now);
  Actions OnLookedUp(SessionKey key, uint64_t request,
                     const absl::StatusOr<std::optional<Holder>>& result, absl::Time now);
  // A newer claim elsewhere took `id` from its holder here with `fence`
  // (another replica's replacement, or a lost re-assertion): the holder is
  // closed with 4009, its offerer gets peerLeft REPLACED. Nothing if the
  // holder here has another fence.
  Actions OnEvicted(const std::string& id, uint64_t fence, absl::Time now);
  // `id` is now held on `replica`: the offerers waiting here for it move there.
  Actions OnAcceptorElsewhere(const std::string& id, const std::string& replica, absl::Time now);
  // This replica's directory lease: from `until` on (and until a later one
  // is set) it is fenced. Fenced, nothing is claimed or paired: joins get
  // UNAVAILABLE, waiting offerers wait on; pairings already made go on.
  // Checked against the time of each call, so that a replica that was
  // paused past its lease is fenced from its first call on. Starts fenced.
  void SetLeaseUntil(absl::Time until) { lease_until_ = until; }
  // SetLeaseUntil at `now`. A lease that had lapsed fails the claims still
  // out (UNAVAILABLE): another replica may have taken their ids meanwhile,
  // and the re-assertion before this renewal could not check them.
  Actions RenewLease(absl::Time until, absl::Time now);
  bool Fenced(absl::Time now) const { return !replica_.empty() && now >= lease_until_; }
  std::vector<HeldId> HeldIds() const;
  // The earliest armed deadline, or InfiniteFuture.
  absl::Time NextDeadline() const;

  EngineStats Stats() const;
  // Open sessions indexed by v1::Role (ROLE_UNSPECIFIED: not joined yet).
  std::array<size_t, 3> SessionsByRole() const;
  std::vector<SessionView> ListSessions() const;
  EngineCounters& counters() { return counters_; }

 private:
  enum class State {
    kAwaitingJoin,
    kVerifying,
    kWaiting,
    kRegistered,
    kPaired,
    kClaiming,   // cluster: the acceptor's claim is in the directory
    kLookingUp,  // cluster: the offerer's target is being looked up
  };
  enum class Negotiation { kAwaitingOffer, kAwaitingAnswer, kStable };
  enum Timer { kJoinDeadline, kWaitDeadline, kTokenExpiry, kNegotiation, kFailDelay, kTimerCount };
  enum class VerifyPurpose { kJoin, kRefresh };

  struct Session {
    SessionKey key = 0;
    std::string session_id;
    State state = State::kAwaitingJoin;
    v1::Role role = v1::ROLE_UNSPECIFIED;
    std::string id;  // peerId (acceptor) or targetId (offerer)
    Principal principal;
    ConnectionMeta meta;
    uint64_t verify_request = 0;  // pending request, 0 when none
    VerifyPurpose verify_purpose = VerifyPurpose::kJoin;
    uint64_t directory_request = 0;  // cluster: pending claim or look-up, 0 when none
    uint64_t fence = 0;              // cluster: the acceptor's claim, 0 when none
    bool announced = false;          // cluster: `joined` was sent by another replica
    std::optional<SessionKey> peer;
    // Pairing state, meaningful while paired (kept on both sides alike).
    Negotiation negotiation = Negotiation::kAwaitingOffer;
    bool answered_once = false;
    int media_sections = 0;         // of the last description, 0 = unknown
    std::vector<std::string> mids;  // its a=mid values ("" for none), empty = unknown
    absl::Time paired_at;
    absl::Time offer_at;
    absl::Time joined_at;
    absl::Time wait_until;  // offerer: end of waitMs
    size_t candidates = 0;
    TokenBucket bucket;
    int refused_in_row = 0;
    absl::Time timers[kTimerCount];
    absl::Time connected_at;
    absl::Time last_activity;
    uint64_t messages_in = 0;
    uint64_t messages_out = 0;

    Session(SessionKey k, TokenBucket b) : key(k), bucket(b) {
      for (auto& t : timers) t = absl::InfiniteFuture();
    }
  };

  Session* Find(SessionKey key);
  void Send(Actions& out, Session& to, v1::ServerMessage message);
  void SendError(Actions& out, Session& to, v1::Error::Code code, const std::string& text);
  // Sends `error`, then closes and releases the session.
  void Fail(Actions& out, Session& s, v1::Error::Code code, const std::string& text,
            uint32_t close_code);
  // Closes and releases the session; its peer gets peerLeft `reason`.
  void CloseSession(Actions& out, Session& s, uint32_t code, const std::string& reason,
                    v1::PeerLeft::Reason peer_reason, absl::Time now);
  // Removes every trace of `s` (in cluster mode its claim too); the caller
  // already dealt with its peer.
  void Release(Actions& out, Session& s);

  void HandleJoin(Actions& out, Session& s, const v1::Join& join, absl::Time now);
  // Both move `d` / `c` into the relayed message once it is accepted.
  void HandleDescription(Actions& out, Session& s, v1::SessionDescription&& d, bool is_offer,
                         absl::Time now);
  void HandleCandidate(Actions& out, Session& s, v1::IceCandidate&& c);
  void HandleLeave(Actions& out, Session& s, absl::Time now);
  void JoinVerified(Actions& out, Session& s, const Principal& p, absl::Time now);
  // Cluster mode: asks the directory what JoinVerified cannot decide here;
  // false when Admit may go on at once.
  bool AskDirectory(Actions& out, Session& s, absl::Time now);
  // The end of a join: replacement, `joined`, then registered, paired,
  // waiting or refused.
  void Admit(Actions& out, Session& s, absl::Time now);
  void Pair(Actions& out, Session& acceptor, Session& offerer, absl::Time now);
  // Ends the pairing of `s` (either side); the other side gets peerLeft
  // `reason`. An offerer on the other side is closed with 1000; an acceptor
  // is free again and may be paired with a waiting offerer.
  void EndPairing(Actions& out, Session& s, v1::PeerLeft::Reason reason, bool notify_self,
                  absl::Time now);
  void ServeWaiting(Actions& out, Session& acceptor, absl::Time now);
  absl::Status CheckCandidate(const Session& s, const v1::IceCandidate& c) const;

  void Arm(Session& s, Timer timer, absl::Time at);
  void Disarm(Session& s, Timer timer);
  void Fire(Actions& out, Session& s, Timer timer, absl::Time now);
  std::string NewSessionId();

  EngineLimits limits_;
  std::unique_ptr<AcceptorDirectory> directory_;
  const std::string replica_;  // empty: not in a cluster
  absl::Time lease_until_ = absl::InfinitePast();
  size_t pending_directory_ = 0;
  // Cluster: evictions that found no holder here, by fence, kept for a join
  // deadline: another replica's newer claim may have overtaken the answer
  // to the claim it evicts, which must then not join (OnClaimed).
  absl::flat_hash_map<uint64_t, absl::Time> early_evictions_;
  absl::flat_hash_map<SessionKey, std::unique_ptr<Session>> sessions_;
  // Offerers waiting for an acceptor id, in arrival order.
  absl::flat_hash_map<std::string, std::vector<SessionKey>> waiting_;
  std::set<std::tuple<absl::Time, SessionKey, Timer>> timers_;
  size_t pairings_ = 0;
  size_t pending_verifications_ = 0;
  uint64_t next_request_ = 1;
  EngineCounters counters_;
  AuthThrottle throttle_;
};

// Whether `id` is a valid peerId/targetId: 1..max bytes of
// A-Z a-z 0-9 . _ ~ : @ -.
bool IsValidPeerId(const std::string& id, size_t max_bytes);

// Whether `id` has the form of the session ids the engine makes:
// "s_" and 32 lowercase hex digits.
bool IsSessionId(const std::string& id);

// Whether an id is granted by patterns: an exact id, a prefix ending in '*',
// or a lone '*'.
bool GrantMatches(const std::vector<std::string>& patterns, const std::string& id);

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_PAIRING_ENGINE_H_
