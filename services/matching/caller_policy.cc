// Per-RPC caller identity lists; see caller_policy.h.
#include "services/matching/caller_policy.h"

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"

namespace signaling::matching {
namespace {

absl::Status AddAll(const std::vector<std::string>& entries, absl::string_view list,
                    absl::flat_hash_set<std::string>& into) {
  for (const std::string& entry : entries) {
    const absl::string_view identity = absl::StripAsciiWhitespace(entry);
    if (identity.empty()) {
      return absl::InvalidArgumentError(absl::StrCat(list, ": empty identity in the list"));
    }
    for (const char c : identity) {
      if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
        return absl::InvalidArgumentError(absl::StrCat(list, ": control character in identity \"",
                                                       absl::CHexEscape(identity), "\""));
      }
    }
    into.emplace(identity);
  }
  return absl::OkStatus();
}

}  // namespace

absl::string_view RpcName(MatchingRpc rpc) {
  switch (rpc) {
    case MatchingRpc::kRelay: return "Relay";
    case MatchingRpc::kSession: return "Session";
    case MatchingRpc::kListSessions: return "ListSessions";
    case MatchingRpc::kGetStats: return "GetStats";
    case MatchingRpc::kDisconnectPeer: return "DisconnectPeer";
    case MatchingRpc::kEvict: return "Evict";
    case MatchingRpc::kAcceptorArrived: return "AcceptorArrived";
    case MatchingRpc::kPeerListSessions: return "PeerListSessions";
    case MatchingRpc::kPeerGetStats: return "PeerGetStats";
    case MatchingRpc::kPeerDisconnect: return "PeerDisconnect";
  }
  return "unknown";
}

CallerPolicy::Class CallerPolicy::ClassOf(MatchingRpc rpc) {
  switch (rpc) {
    case MatchingRpc::kRelay: return kGateway;
    case MatchingRpc::kSession: return kService;
    case MatchingRpc::kListSessions:
    case MatchingRpc::kGetStats:
    case MatchingRpc::kDisconnectPeer: return kAdmin;
    case MatchingRpc::kEvict:
    case MatchingRpc::kAcceptorArrived:
    case MatchingRpc::kPeerListSessions:
    case MatchingRpc::kPeerGetStats:
    case MatchingRpc::kPeerDisconnect: return kPeer;
  }
  return kAdmin;
}

absl::StatusOr<CallerPolicy> CallerPolicy::Create(const CallerIdentities& identities) {
  CallerPolicy policy;
  for (absl::Status status : {
           AddAll(identities.relay, "relay_identities", policy.allowed_[kGateway]),
           AddAll(identities.session, "session_identities", policy.allowed_[kService]),
           AddAll(identities.admin, "admin_identities", policy.allowed_[kAdmin]),
           AddAll(identities.peer, "peer_identities", policy.allowed_[kPeer]),
       }) {
    if (!status.ok()) return status;
  }
  return policy;
}

CallerPolicy CallerPolicy::Open() {
  CallerPolicy policy;
  policy.open_ = true;
  return policy;
}

bool CallerPolicy::Allowed(MatchingRpc rpc, absl::Span<const std::string> caller) const {
  if (open_) return true;
  const auto& allowed = allowed_[ClassOf(rpc)];
  for (const std::string& identity : caller) {
    if (allowed.contains(identity)) return true;
    // A replica forwarding a Session stream opens a Relay stream.
    if (rpc == MatchingRpc::kRelay && allowed_[kPeer].contains(identity)) return true;
  }
  return false;
}

}  // namespace signaling::matching
