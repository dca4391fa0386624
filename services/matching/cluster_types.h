// What the shared directory of several matching replicas answers, in the
// engine's own terms (no Redis here): where an id is held, and what a claim
// found. The adapter gets these from the directory (directory/) and hands
// them to the engine (PairingEngine::OnClaimed, OnLookedUp).
#ifndef SERVICES_MATCHING_CLUSTER_TYPES_H_
#define SERVICES_MATCHING_CLUSTER_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace signaling::matching {

// Where an id is held: the replica (its advertised address), the session
// there, the claim's fence and the holder's subject.
struct Holder {
  std::string replica;
  std::string session;
  uint64_t fence = 0;
  std::string subject;
};

struct ClaimResult {
  enum class Kind {
    kClaimed,   // the id was free, or its holder's replica is gone
    kReplaced,  // the same subject held it: `previous` must be closed (REPLACED)
    kTaken,     // another subject holds it (ID_TAKEN); `previous` says where
    kBarrier,   // the replicas are re-asserting after Redis lost data: retry later
  };
  Kind kind = Kind::kClaimed;
  uint64_t fence = 0;  // of the new claim (kClaimed, kReplaced)
  std::optional<Holder> previous;
  // kClaimed, kReplaced: the replicas with offerers waiting for the id (to
  // be told where it is now).
  std::vector<std::string> waiting = {};
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_TYPES_H_
