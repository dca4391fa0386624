// The gateway's Relay streams to the replicas; see relay_pool.h.
#include "gateway/relay_pool.h"

#include <algorithm>
#include <utility>

#include "absl/container/inlined_vector.h"
#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/net/grpc_server.h"

namespace signaling::gateway {
namespace {

// The client made n-th counts its stream generations up from n << 32:
// disjoint for 2^32 clients of 2^32 streams each (a stream attempt at most
// every 100 ms lasts a century). Generation 0 stays "on no stream".
constexpr int kGenerationShift = 32;
constexpr uint64_t kMaxClients = uint64_t{1} << (64 - kGenerationShift);

constexpr int kMaxReceiveBytes = 64 * 1024 * 1024;

}  // namespace

absl::StatusOr<std::unique_ptr<RelayPool>> RelayPool::Create(const std::string& targets,
                                                             const net::GrpcClientTls& tls,
                                                             RelayListener* listener,
                                                             RelayLimits limits,
                                                             RelayPoolOptions options) {
  if (options.resolve_interval < kMinMatchingResolveInterval ||
      options.resolve_interval > kMaxMatchingResolveInterval) {
    return absl::InvalidArgumentError(
        absl::StrCat("matching_resolve_interval must be between ",
                     absl::FormatDuration(kMinMatchingResolveInterval), " and ",
                     absl::FormatDuration(kMaxMatchingResolveInterval)));
  }
  auto target = ParseMatchingTarget(targets);
  if (!target.ok()) return target.status();
  auto credentials = net::ChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  if (!options.resolver) options.resolver = ResolveWithGetaddrinfo;
  std::unique_ptr<RelayPool> pool(new RelayPool(*std::move(target), *std::move(credentials),
                                                !tls.insecure, listener, limits,
                                                std::move(options)));
  for (const std::string& address : pool->target_.fixed) pool->AddClient(address);
  pool->Publish();
  return pool;
}

RelayPool::RelayPool(MatchingTarget target, std::shared_ptr<grpc::ChannelCredentials> credentials,
                     bool tls, RelayListener* listener, RelayLimits limits,
                     RelayPoolOptions options)
    : target_(std::move(target)),
      credentials_(std::move(credentials)),
      tls_(tls),
      listener_(listener),
      limits_(limits),
      options_(std::move(options)) {}

RelayPool::~RelayPool() { Stop(); }

void RelayPool::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (started_ || stopping_) return;
    started_ = true;
  }
  // The pool's thread is not running yet: entries_ is ours.
  for (Entry& e : entries_) e.client->Start();
  thread_ = std::thread([this] { Run(); });
}

void RelayPool::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
  }
  if (thread_.joinable()) thread_.join();
  // The thread is gone: entries_ is ours again.
  for (Entry& e : entries_) e.client->Stop();
}

void RelayPool::Run() {
  while (true) {
    if (target_.dynamic) Resolve();
    StopRetired();
    RefreshGauges();
    absl::MutexLock lock(&mu_);
    if (mu_.AwaitWithTimeout(absl::Condition(&stopping_), options_.resolve_interval)) return;
  }
}

void RelayPool::Resolve() {
  absl::StatusOr<std::vector<std::string>> found = options_.resolver(target_.host, target_.port);
  {
    absl::MutexLock lock(&mu_);
    if (stopping_) return;  // Stop() waited for the lookup; nothing to start now
  }
  if (found.ok()) {
    std::sort(found->begin(), found->end());
    found->erase(std::unique(found->begin(), found->end()), found->end());
    if (found->empty()) found = absl::UnavailableError("the name has no address");
  }
  if (!found.ok()) {
    // A lookup that fails (the DNS server down, no replica ready) keeps the
    // replicas we have: their streams say better than DNS whether they are up.
    resolve_failures_.fetch_add(1);
    if (options_.metrics != nullptr) options_.metrics->ResolveFailed();
    if (log::ShouldLog("matching-resolve")) {
      log::Get("gateway")->warn("cannot resolve the matching replicas ({}:{}): {}; keeping {}",
                                target_.host, target_.port, found.status().ToString(),
                                snapshot_.load()->known.size());
    }
  } else {
    Reconcile(*found);
  }
  resolutions_.fetch_add(1);  // last: a test that saw it sees the set it made
}

void RelayPool::Reconcile(const std::vector<std::string>& addresses) {
  auto listed = [&](const std::string& address) {
    return std::binary_search(addresses.begin(), addresses.end(), address);
  };
  bool changed = false;
  for (Entry& e : entries_) {
    if (e.state == State::kKnown && !listed(e.address)) {
      e.state = State::kRetired;
      changed = true;
      log::Get("gateway")->info("matching replica {} no longer resolves: no new sessions go to it",
                                e.address);
    } else if (e.state == State::kRetired && listed(e.address)) {
      e.state = State::kKnown;  // back while its old stream still runs
      changed = true;
      log::Get("gateway")->info("matching replica {} resolves again", e.address);
    }
  }
  for (const std::string& address : addresses) {
    const bool known = std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
      return e.state == State::kKnown && e.address == address;
    });
    if (known) continue;
    AddClient(address);
    entries_.back().client->Start();
    changed = true;
    log::Get("gateway")->info("matching replica {} resolved: connecting", address);
  }
  if (changed) Publish();
}

void RelayPool::StopRetired() {
  bool changed = false;
  for (Entry& e : entries_) {
    if (e.state != State::kRetired || e.client->connected()) continue;
    // Its stream is down, so no session is bound to it any more; sessions
    // may still hold the pointer, so the object stays (see relay_pool.h).
    e.client->Stop();
    e.state = State::kStopped;
    changed = true;
    log::Get("gateway")->info("matching replica {} is gone: stopped its client", e.address);
  }
  if (changed) Publish();
}

void RelayPool::AddClient(const std::string& address) {
  if (next_slot_ >= kMaxClients) {
    // Generations would overlap; never reached in practice (see kMaxClients).
    log::Get("gateway")->error("too many matching replica clients; not adding {}", address);
    return;
  }
  grpc::ChannelArguments args = net::ClientChannelArguments(kMaxReceiveBytes);
  // A resolved IP is not what the replicas' certificates name: verify them
  // against the name the operator gave, as gRPC itself does for dns:.
  if (tls_ && target_.dynamic) args.SetSslTargetNameOverride(target_.host);
  const uint64_t base = next_slot_++ << kGenerationShift;
  entries_.push_back(
      {address,
       std::make_unique<RelayClient>(grpc::CreateCustomChannel(address, credentials_, args),
                                     listener_, limits_, base),
       State::kKnown});
}

void RelayPool::Publish() {
  auto next = std::make_shared<Snapshot>();
  for (const Entry& e : entries_) {
    if (e.state == State::kKnown) next->known.push_back({e.address, e.client.get()});
    if (e.state == State::kRetired) next->retired.push_back({e.address, e.client.get()});
  }
  snapshot_.store(std::move(next));
}

void RelayPool::RefreshGauges() {
  if (options_.metrics == nullptr) return;
  const Counts now = counts();
  options_.metrics->Replicas(now.known, now.serving);
}

RelayClient* RelayPool::Pick() {
  const std::shared_ptr<const Snapshot> snapshot = snapshot_.load();
  // Choosing among the serving ones (rather than skipping a down one to
  // its neighbour) keeps the spread even: a neighbour would get double.
  absl::InlinedVector<RelayClient*, 8> serving;
  for (const Replica& r : snapshot->known) {
    if (r.client->accepting()) serving.push_back(r.client);
  }
  if (serving.empty()) return nullptr;
  return serving[next_.fetch_add(1, std::memory_order_relaxed) % serving.size()];
}

RelayClient* RelayPool::Find(const std::string& address) {
  const std::shared_ptr<const Snapshot> snapshot = snapshot_.load();
  for (const auto* list : {&snapshot->known, &snapshot->retired}) {
    for (const Replica& r : *list) {
      if (r.address == address) return r.client;
    }
  }
  return nullptr;
}

bool RelayPool::connected() const {
  const std::shared_ptr<const Snapshot> snapshot = snapshot_.load();
  for (const auto* list : {&snapshot->known, &snapshot->retired}) {
    for (const Replica& r : *list) {
      if (r.client->connected()) return true;
    }
  }
  return false;
}

RelayPool::Counts RelayPool::counts() const {
  const std::shared_ptr<const Snapshot> snapshot = snapshot_.load();
  Counts out;
  out.known = snapshot->known.size();
  for (const Replica& r : snapshot->known) {
    if (r.client->accepting()) ++out.serving;
  }
  out.resolve_failures = resolve_failures_.load();
  out.resolutions = resolutions_.load();
  return out;
}

}  // namespace signaling::gateway
