// Who may call which RPC of the matching service. Callers are named by the
// identities of their mTLS client certificate (subject CN and SANs); each
// class of RPC has its own list: gateways may open Relay streams (and state
// their clients' IPs), internal services Session streams, admins the admin
// API, the other replicas MatchingPeer and Relay streams (a replica carries
// an internal client's Session stream on at the replica holding its target,
// stating the client's IP as a gateway does). An empty list lets nobody in. Pure: no gRPC here (see caller_guard.h
// for the adapter that reads identities from a call).
//
// Thread-safety: a CallerPolicy is immutable after construction; Allowed()
// may be called from any thread.
#ifndef SERVICES_MATCHING_CALLER_POLICY_H_
#define SERVICES_MATCHING_CALLER_POLICY_H_

#include <array>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/types/span.h"

namespace signaling::matching {

// The RPCs of the matching service (services Matching, MatchingAdmin and,
// between replicas, MatchingPeer).
enum class MatchingRpc {
  kRelay,
  kSession,
  kListSessions,
  kGetStats,
  kDisconnectPeer,
  kEvict,
  kAcceptorArrived,
  kPeerListSessions,
  kPeerGetStats,
  kPeerDisconnect,
};
inline constexpr std::array<MatchingRpc, 10> kAllMatchingRpcs = {
    MatchingRpc::kRelay,          MatchingRpc::kSession,           MatchingRpc::kListSessions,
    MatchingRpc::kGetStats,       MatchingRpc::kDisconnectPeer,    MatchingRpc::kEvict,
    MatchingRpc::kAcceptorArrived, MatchingRpc::kPeerListSessions, MatchingRpc::kPeerGetStats,
    MatchingRpc::kPeerDisconnect};

// The method name as in the proto ("Relay", "ListSessions", ...), for
// metrics and logs.
absl::string_view RpcName(MatchingRpc rpc);

// The identities allowed per class of RPC, exactly as configured
// (--relay_identities, --session_identities, --admin_identities,
// --peer_identities).
struct CallerIdentities {
  std::vector<std::string> relay = {};    // gateways: Relay
  std::vector<std::string> session = {};  // internal services: Session
  std::vector<std::string> admin = {};    // admins: ListSessions, GetStats, DisconnectPeer
  std::vector<std::string> peer = {};     // the other replicas: MatchingPeer, and Relay
  bool empty() const { return relay.empty() && session.empty() && admin.empty() && peer.empty(); }
};

class CallerPolicy {
 public:
  // Nobody may call anything: the safe default.
  CallerPolicy() = default;

  // Only the listed identities, compared exactly (case included) with each
  // of the caller's identities. Leading and trailing blanks of an entry are
  // dropped; InvalidArgument for an entry that is then empty or holds a
  // control character (a typo in a list must not silently let nobody, or
  // somebody unexpected, in).
  static absl::StatusOr<CallerPolicy> Create(const CallerIdentities& identities);

  // Everyone may call everything. Only for plaintext development mode, where
  // callers have no identities to check.
  static CallerPolicy Open();

  // True when one of `caller` (the caller's identities; empty for a caller
  // without a certificate) is allowed to call `rpc`.
  bool Allowed(MatchingRpc rpc, absl::Span<const std::string> caller) const;

  bool open() const { return open_; }

 private:
  enum Class { kGateway, kService, kAdmin, kPeer, kClasses };
  static Class ClassOf(MatchingRpc rpc);

  bool open_ = false;
  std::array<absl::flat_hash_set<std::string>, kClasses> allowed_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CALLER_POLICY_H_
