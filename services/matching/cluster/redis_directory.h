// The matching replicas' shared directory in Redis: which replica holds
// which acceptor id (a lease with a fencing token that only increases), and
// which replicas are alive (a membership with its own short lease). The
// rules are Redis Functions (functions.lua), loaded on every connection;
// this class builds their calls and reads their answers. Redis is a
// directory only: no relayed message goes through it.
//
// Every call is asynchronous, bounded by its deadline, and answered once on
// the Redis client's thread: a value, or a status (Unavailable when Redis
// cannot be reached or does not answer in time, Internal for an answer
// that does not parse). Callers fail closed on a status.
//
// Thread-safety: every method may be called from any thread.
#ifndef SERVICES_MATCHING_CLUSTER_REDIS_DIRECTORY_H_
#define SERVICES_MATCHING_CLUSTER_REDIS_DIRECTORY_H_

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/redis/client.h"
#include "services/matching/cluster_types.h"

namespace signaling::matching {

struct ReassertResult {
  bool kept = false;                // we hold the id (again)
  std::optional<Holder> displaced;  // kept over a live holder with a lower fence: close it
  std::optional<Holder> winner;     // not kept: a live holder with a higher fence
};

// A live replica of the directory: its name (advertised address) and the
// state of its last heartbeat ("SERVING" or "DRAINING").
struct Member {
  std::string replica;
  std::string state;
  bool operator==(const Member&) const = default;
};

struct RedisDirectoryOptions {
  std::string key_prefix = "signaling:";
  // This replica's name in the directory: the address others reach it at.
  std::string replica;
};

class RedisDirectory {
 public:
  // `client` must outlive the directory, and run FunctionsLoad() on every
  // new connection (ClientOptions::on_connect).
  RedisDirectory(RedisDirectoryOptions options, redis::Client* client);

  // FUNCTION LOAD REPLACE of functions.lua.
  static redis::Command FunctionsLoad();

  template <typename T>
  using Done = std::function<void(absl::StatusOr<T>)>;

  enum class Generation { kSame, kNew, kAdopted, kLost };
  // Whether the data seen last (`known`, its generation; "" at start) is
  // still there; `*current` gets the generation now. On kLost the replica
  // re-asserts its ids, and claims answer kBarrier for `barrier`.
  void CheckGeneration(
      const std::string& known, absl::Duration barrier, absl::Time deadline,
      std::function<void(absl::StatusOr<std::pair<Generation, std::string>>)> done);

  // A new epoch for this start of the replica (never reused).
  void NewEpoch(absl::Time deadline, Done<uint64_t> done);
  // The membership heartbeat: `state` is "SERVING" or "DRAINING". False when
  // a newer start of this replica took the name over (stop serving).
  void Heartbeat(uint64_t epoch, const std::string& state, absl::Duration lease,
                 absl::Time deadline, Done<bool> done);
  void Leave(uint64_t epoch, absl::Time deadline, Done<bool> done);
  // The replicas whose membership is live now, this one included when it
  // is, in name order; O(members) in Redis (an index kept by Heartbeat and
  // Leave, never a scan of the keyspace).
  void Members(absl::Time deadline, Done<std::vector<Member>> done);

  void Claim(const std::string& id, const std::string& subject, const std::string& session,
             uint64_t epoch, absl::Duration lease, absl::Time deadline, Done<ClaimResult> done);
  // The live holder of `id`, or nullopt when it is free; then, if
  // `wait_until` is in the future, this replica is noted as waiting for the
  // id until then, in the same step (the claim that ends the wait returns it
  // in ClaimResult::waiting).
  void Lookup(const std::string& id, absl::Time wait_until, absl::Time deadline,
              Done<std::optional<Holder>> done);
  // True when the claim was still ours (and is now gone).
  void Release(const std::string& id, uint64_t fence, absl::Time deadline, Done<bool> done);
  // True when the claim is still ours (its lease extended).
  void Renew(const std::string& id, uint64_t fence, absl::Duration lease, absl::Time deadline,
             Done<bool> done);
  void Reassert(const std::string& id, const Holder& ours, uint64_t epoch, absl::Duration lease,
                absl::Time deadline, Done<ReassertResult> done);

  const std::string& replica() const { return options_.replica; }

 private:
  std::string IdKey(const std::string& id) const;
  std::string WaitKey(const std::string& id) const;
  std::string MemberKey() const;
  std::string MembersKey() const;
  // Runs one FCALL and hands its array answer to `parse`.
  void Call(redis::Command command, absl::Time deadline,
            std::function<void(absl::StatusOr<redis::Reply>)> parse);

  const RedisDirectoryOptions options_;
  redis::Client* const client_;
};

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_REDIS_DIRECTORY_H_
