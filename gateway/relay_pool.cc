// The gateway's Relay streams to the replicas; see relay_pool.h.
#include "gateway/relay_pool.h"

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/net/grpc_server.h"

namespace signaling::gateway {
namespace {

// Generations of replica i start at i << 48: disjoint for 2^48 streams each.
constexpr int kGenerationShift = 48;

}  // namespace

absl::StatusOr<std::unique_ptr<RelayPool>> RelayPool::Create(const std::string& targets,
                                                             const net::GrpcClientTls& tls,
                                                             RelayListener* listener,
                                                             RelayLimits limits) {
  auto credentials = net::ChannelCredentials(tls);
  if (!credentials.ok()) return credentials.status();
  std::vector<Replica> replicas;
  for (absl::string_view target : absl::StrSplit(targets, ',', absl::SkipWhitespace())) {
    const std::string address(absl::StripAsciiWhitespace(target));
    for (const Replica& r : replicas) {
      if (r.address == address) {
        return absl::InvalidArgumentError(
            absl::StrCat("matching_target lists ", address, " twice"));
      }
    }
    const uint64_t base = static_cast<uint64_t>(replicas.size()) << kGenerationShift;
    replicas.push_back(
        {address, std::make_unique<RelayClient>(
                      grpc::CreateCustomChannel(address, *credentials,
                                                net::ClientChannelArguments(64 * 1024 * 1024)),
                      listener, limits, base)});
  }
  if (replicas.empty()) return absl::InvalidArgumentError("matching_target is required");
  return std::unique_ptr<RelayPool>(new RelayPool(std::move(replicas)));
}

void RelayPool::Start() {
  for (const Replica& r : replicas_) r.client->Start();
}

void RelayPool::Stop() {
  for (const Replica& r : replicas_) r.client->Stop();
}

RelayClient* RelayPool::Pick() {
  const size_t start = next_.fetch_add(1);
  for (size_t i = 0; i < replicas_.size(); ++i) {
    RelayClient* client = replicas_[(start + i) % replicas_.size()].client.get();
    if (client->accepting()) return client;
  }
  return nullptr;
}

RelayClient* RelayPool::Find(const std::string& address) {
  for (const Replica& r : replicas_) {
    if (r.address == address) return r.client.get();
  }
  return nullptr;
}

bool RelayPool::connected() const {
  for (const Replica& r : replicas_) {
    if (r.client->connected()) return true;
  }
  return false;
}

}  // namespace signaling::gateway
