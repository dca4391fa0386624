// A connection's matching replica and its redirects; see replica_route.h.
#include "gateway/replica_route.h"

#include <utility>

#include "common/log/log.h"

namespace signaling::gateway {

bool ReplicaRoute::Open(RelayPool& relays, uint64_t conn, v1::ConnectionInfo info) {
  info_ = std::move(info);
  relay_ = relays.Pick();
  generation_ = relay_ != nullptr ? relay_->Open(conn, info_) : 0;
  return generation_ != 0;
}

void ReplicaRoute::Send(uint64_t conn, v1::ClientMessage message) {
  if (message.has_join() && join_ == nullptr) {
    join_ = std::make_unique<v1::ClientMessage>(message);
  }
  if (relay_ != nullptr) relay_->Send(conn, generation_, std::move(message));
}

void ReplicaRoute::Observe(const v1::ServerMessage& message) {
  if ((message.has_joined() && message.joined().role() == v1::ACCEPTOR) || message.has_paired()) {
    info_.Clear();
    join_.reset();
  }
}

void ReplicaRoute::Release() {
  relay_ = nullptr;
  generation_ = 0;
}

bool ReplicaRoute::Follow(RelayPool& relays, uint64_t conn, const v1::Redirect& redirect) {
  Release();
  RelayClient* next = relays.Find(redirect.replica());
  if (next == nullptr || join_ == nullptr || ++redirects_ > kMaxRedirects) {
    if (next == nullptr && log::ShouldLog("redirect-unknown")) {
      log::Get("gateway")->warn("a replica redirected to one not in --matching_target");
    }
    return false;
  }
  info_.set_announced_session_id(redirect.announced_session_id());
  generation_ = next->Open(conn, info_);
  if (generation_ == 0) return false;
  relay_ = next;
  relay_->Send(conn, generation_, *join_);
  return true;
}

void ReplicaRoute::Closed(uint64_t conn) {
  if (generation_ != 0 && relay_ != nullptr) relay_->Closed(conn, generation_);
}

}  // namespace signaling::gateway
