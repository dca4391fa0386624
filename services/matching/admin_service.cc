// The admin API's handlers, alone and cluster-wide; see admin_service.h.
#include "services/matching/admin_service.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "services/matching/cluster/peer_client.h"
#include "services/matching/cluster/redis_directory.h"

namespace signaling::matching {
namespace {

// The answers of one cluster-wide call as they arrive, on any thread; the
// last one in hands them all to `finish`. Every call answers by its
// deadline, so `finish` runs by then.
template <typename T>
class Gather {
 public:
  Gather(size_t expected, std::function<void(std::vector<ReplicaAnswer<T>>)> finish)
      : expected_(expected), finish_(std::move(finish)) {}

  void Add(std::string replica, std::optional<T> answer) {
    std::vector<ReplicaAnswer<T>> all;
    {
      absl::MutexLock lock(&mu_);
      answers_.push_back({std::move(replica), std::move(answer)});
      if (answers_.size() < expected_) return;
      all = std::move(answers_);
    }
    finish_(std::move(all));
  }

 private:
  const size_t expected_;
  const std::function<void(std::vector<ReplicaAnswer<T>>)> finish_;
  absl::Mutex mu_;
  std::vector<ReplicaAnswer<T>> answers_ ABSL_GUARDED_BY(mu_);
};

grpc::Status DirectoryUnavailable(const absl::Status& status) {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      absl::StrCat("cluster directory (Redis) unavailable: ", status.message()));
}

}  // namespace

absl::Time AdminService::Deadline(const grpc::CallbackServerContext& context) const {
  return std::min(absl::Now() + cluster_.deadline, absl::FromChrono(context.deadline()));
}

template <typename T>
grpc::ServerUnaryReactor* AdminService::Answer(grpc::CallbackServerContext* context, T* response,
                                               T local, Ask<T> ask, Merge<T> merge) {
  auto* reactor = context->DefaultReactor();
  if (!cluster_.enabled()) {
    *response = std::move(local);
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  const absl::Time deadline = Deadline(*context);
  // The callbacks (on the Redis client's and gRPC's threads) hold copies of
  // the pointers they use, not `this`: read through a captured `this`, the
  // service came out as garbage under ASan + UBSan (GCC 12, in CI).
  cluster_.directory->Members(
      deadline, [cluster = cluster_, deadline, reactor, response, local = std::move(local), ask,
                 merge](absl::StatusOr<std::vector<Member>> members) mutable {
        if (!members.ok()) return reactor->Finish(DirectoryUnavailable(members.status()));
        const std::string& self = cluster.directory->replica();
        std::vector<std::string> others;
        for (const Member& member : *members) {
          if (member.replica != self) others.push_back(member.replica);
        }
        auto gather = std::make_shared<Gather<T>>(
            others.size() + 1, [reactor, response, merge](std::vector<ReplicaAnswer<T>> answers) {
              *response = merge(std::move(answers));
              reactor->Finish(grpc::Status::OK);
            });
        // This replica answers for itself even when its own membership
        // lapsed: its sessions are still open.
        gather->Add(self, std::move(local));
        for (const std::string& replica : others) {
          (cluster.peers->*ask)(replica, deadline, [gather, replica](absl::StatusOr<T> answer) {
            gather->Add(replica, answer.ok() ? std::optional<T>(*std::move(answer)) : std::nullopt);
          });
        }
      });
  return reactor;
}

grpc::ServerUnaryReactor* AdminService::ListSessions(grpc::CallbackServerContext* context,
                                                     const v1::ListSessionsRequest*,
                                                     v1::ListSessionsResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kListSessions))
    return RefuseUnary(context, MatchingRpc::kListSessions);
  return Answer<v1::ListSessionsResponse>(context, response, ToWireList(router_->ListSessions()),
                                          &PeerClient::ListSessions, &MergeSessions);
}

grpc::ServerUnaryReactor* AdminService::GetStats(grpc::CallbackServerContext* context,
                                                 const v1::StatsRequest*, v1::Stats* response) {
  if (!guard_->Allow(*context, MatchingRpc::kGetStats))
    return RefuseUnary(context, MatchingRpc::kGetStats);
  return Answer<v1::Stats>(context, response, ToWire(router_->Stats()), &PeerClient::GetStats,
                           &SumStats);
}

grpc::ServerUnaryReactor* AdminService::DisconnectPeer(grpc::CallbackServerContext* context,
                                                       const v1::DisconnectPeerRequest* request,
                                                       v1::DisconnectPeerResponse* response) {
  if (!guard_->Allow(*context, MatchingRpc::kDisconnectPeer))
    return RefuseUnary(context, MatchingRpc::kDisconnectPeer);
  auto* reactor = context->DefaultReactor();
  if (!cluster_.enabled()) {
    response->set_disconnected(router_->Disconnect(request->peer_id()));
    reactor->Finish(grpc::Status::OK);
    return reactor;
  }
  DisconnectInCluster(request->peer_id(), Deadline(*context), reactor, response);
  return reactor;
}

void AdminService::DisconnectInCluster(const std::string& id, absl::Time deadline,
                                       grpc::ServerUnaryReactor* reactor,
                                       v1::DisconnectPeerResponse* response) {
  cluster_.directory->Lookup(
      id, absl::InfinitePast(), deadline,
      [router = router_, cluster = cluster_, id, deadline, reactor,
       response](absl::StatusOr<std::optional<Holder>> holder) {
        if (!holder.ok()) return reactor->Finish(DirectoryUnavailable(holder.status()));
        const std::string& self = cluster.directory->replica();
        if (!holder->has_value() || (*holder)->replica == self) {
          // Held here, or by nobody live: a session here may still hold it
          // (its claim lapsed while it was fenced, say); closing it is what
          // the operator asked.
          const bool disconnected = router->Disconnect(id);
          response->set_disconnected(disconnected);
          if (disconnected) response->set_replica(self);
          return reactor->Finish(grpc::Status::OK);
        }
        const std::string replica = (*holder)->replica;
        response->set_replica(replica);
        cluster.peers->Disconnect(replica, id, deadline,
                                   [reactor, response, replica](absl::StatusOr<bool> done) {
                                     if (done.ok()) {
                                       response->set_disconnected(*done);
                                     } else {
                                       response->add_unreachable(replica);
                                     }
                                     reactor->Finish(grpc::Status::OK);
                                   });
      });
}

}  // namespace signaling::matching
