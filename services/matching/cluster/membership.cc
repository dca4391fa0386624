// The membership's heartbeat loop, generation check and re-assertion; see
// membership.h.
#include "services/matching/cluster/membership.h"

#include <utility>

#include "absl/synchronization/notification.h"
#include "common/log/log.h"
#include "services/matching/cluster/peer_client.h"

namespace signaling::matching {
namespace {

spdlog::logger& Log() {
  static const std::shared_ptr<spdlog::logger> log = log::Get("matching");
  return *log;
}

// Waits for one directory call's answer. The client answers every call by
// its deadline; the wait's margin covers its thread's queue.
template <typename T, typename Start>
absl::StatusOr<T> AwaitAnswer(absl::Duration timeout, Start start) {
  auto answer = std::make_shared<std::pair<absl::Notification, absl::StatusOr<T>>>();
  answer->second = absl::UnknownError("no answer");
  start([answer](absl::StatusOr<T> result) {
    answer->second = std::move(result);
    answer->first.Notify();
  });
  if (!answer->first.WaitForNotificationWithTimeout(timeout * 2)) {
    return absl::DeadlineExceededError("directory call unanswered");
  }
  return answer->second;
}

}  // namespace

Membership::Membership(MembershipOptions options, redis::Client* client, RedisDirectory* directory,
                       SessionRouter* router, PeerClient* peers, ClusterMetrics* metrics)
    : options_(std::move(options)),
      directory_(directory),
      router_(router),
      peers_(peers),
      metrics_(metrics) {
  client->SetConnectListener([this](const redis::Endpoint&) { reconnected_ = true; });
}

Membership::~Membership() { Stop(); }

void Membership::Start() {
  thread_ = std::thread([this] { Loop(); });
}

void Membership::Drain() { draining_ = true; }

void Membership::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  if (const uint64_t epoch = epoch_.load(); epoch != 0) {
    // Queued after every release the shutdown asked for: they are sent first.
    auto left = AwaitAnswer<bool>(options_.call_timeout, [&](auto done) {
      directory_->Leave(epoch, absl::Now() + options_.call_timeout, std::move(done));
    });
    if (!left.ok())
      Log().warn("leaving the cluster directory failed: {}", std::string(left.status().message()));
  }
  router_->SetLeaseUntil(absl::InfinitePast());
  live_ = false;
}

void Membership::Loop() {
  absl::Time next = absl::Now();
  for (;;) {
    {
      absl::MutexLock lock(&mu_);
      if (mu_.AwaitWithDeadline(absl::Condition(&stopping_), next)) return;
    }
    next = absl::Now() + options_.heartbeat;
    if (epoch_.load() == 0) {
      auto epoch = AwaitAnswer<uint64_t>(options_.call_timeout, [&](auto done) {
        directory_->NewEpoch(absl::Now() + options_.call_timeout, std::move(done));
      });
      if (!epoch.ok()) continue;
      epoch_ = *epoch;
      Log().info("joined the cluster directory with epoch {}", *epoch);
    }
    const absl::Time sent = absl::Now();
    if (!Renew()) {
      metrics_->LeaseLive(false);
      if (live_.exchange(false)) Log().warn("cluster membership not renewed: fencing");
      must_reassert_ = true;
      continue;
    }
    if (reconnected_.exchange(false)) must_reassert_ = true;
    // Paused, or every renewal lost, past the engine's lease: the membership
    // may have lapsed in Redis and the ids been claimed meanwhile.
    if (sent - last_renewed_ > options_.fence_after) must_reassert_ = true;
    last_renewed_ = sent;
    CheckGeneration();
    if (must_reassert_) Reassert();
    if (must_reassert_) continue;  // some answer missing: try again, still fenced
    router_->SetLeaseUntil(sent + options_.fence_after);
    metrics_->LeaseLive(true);
    if (!live_.exchange(true)) Log().info("cluster membership live");
  }
}

bool Membership::Renew() {
  auto renewed = AwaitAnswer<bool>(options_.call_timeout, [&](auto done) {
    directory_->Heartbeat(epoch_.load(), draining_ ? "DRAINING" : "SERVING", options_.lease,
                          absl::Now() + options_.call_timeout, std::move(done));
  });
  metrics_->Renewal(!renewed.ok() ? "failed" : *renewed ? "ok" : "superseded");
  if (renewed.ok() && !*renewed && log::ShouldLog("membership-superseded")) {
    Log().error(
        "a newer start of this replica took its name in the cluster directory: "
        "this one stays fenced");
  }
  return renewed.ok() && *renewed;
}

void Membership::CheckGeneration() {
  auto generation = AwaitAnswer<std::pair<RedisDirectory::Generation, std::string>>(
      options_.call_timeout, [&](auto done) {
        directory_->CheckGeneration(generation_, options_.barrier,
                                    absl::Now() + options_.call_timeout, std::move(done));
      });
  if (!generation.ok()) {
    must_reassert_ = true;
    return;
  }
  if (generation->first == RedisDirectory::Generation::kLost) {
    Log().warn("the cluster directory lost its data: re-asserting this replica's ids");
    must_reassert_ = true;
  }
  generation_ = generation->second;
}

void Membership::Reassert() {
  bool all_answered = true;
  for (const HeldId& held : router_->HeldIds()) {
    const Holder ours{directory_->replica(), held.session_id, held.fence, held.subject};
    const absl::Duration lease = std::max(held.lease_until - absl::Now(), absl::Seconds(1));
    auto result = AwaitAnswer<ReassertResult>(options_.call_timeout, [&](auto done) {
      directory_->Reassert(held.id, ours, epoch_.load(), lease, absl::Now() + options_.call_timeout,
                           std::move(done));
    });
    if (!result.ok()) {
      all_answered = false;
      continue;
    }
    if (!result->kept) {
      metrics_->Reasserted("lost");
      router_->OnEvicted(held.id, held.fence);  // a newer claim won: 4009 here
    } else if (result->displaced.has_value() &&
               result->displaced->replica != directory_->replica()) {
      metrics_->Reasserted("displaced");
      peers_->Evict(result->displaced->replica, held.id, result->displaced->fence);
    } else {
      metrics_->Reasserted("kept");
    }
  }
  must_reassert_ = !all_answered;
}

}  // namespace signaling::matching
