// Which matching replica a connection's session is on: the replica's Relay
// client and the stream generation the session is bound to. In cluster mode
// a replica may release the session and name another one; until no redirect
// can come any more (an acceptor is joined or an offerer paired) the route
// keeps what the session was opened with and its join, to open it on the
// named replica and join again there.
//
// Thread-safety: generation() may be called from any thread; the rest runs
// on the session's strand.
#ifndef GATEWAY_REPLICA_ROUTE_H_
#define GATEWAY_REPLICA_ROUTE_H_

#include <atomic>
#include <cstdint>
#include <memory>

#include "gateway/relay_pool.h"
#include "signaling/v1/matching.pb.h"
#include "signaling/v1/signaling.pb.h"

namespace signaling::gateway {

class ReplicaRoute {
 public:
  // Redirects followed at most for one connection: replicas whose views
  // disagree must not bounce a client forever.
  static constexpr int kMaxRedirects = 3;

  // Opens the session of `conn` with `info` on the replica `relays` picks;
  // false when no replica took it.
  bool Open(RelayPool& relays, uint64_t conn, v1::ConnectionInfo info);
  // Forwards a client's message to the replica; its first join is kept.
  void Send(uint64_t conn, v1::ClientMessage message);
  // A message of the matching service for the client: after an acceptor's
  // joined or a paired no redirect comes, and what was kept for one goes.
  void Observe(const v1::ServerMessage& message);
  // The replica released the session: nothing more goes to it.
  void Release();
  // Releases the session (as Release), then opens it on the replica that
  // `redirect` names, with its announced session id, and sends the join
  // again. False when it cannot: the replica is not in `relays`, nothing
  // is kept, kMaxRedirects were followed already, or the replica is down.
  bool Follow(RelayPool& relays, uint64_t conn, const v1::Redirect& redirect);
  // The connection ended: its replica, if any, is told.
  void Closed(uint64_t conn);

  // The stream generation the session is bound to; 0 while it is on none.
  uint64_t generation() const { return generation_.load(); }

 private:
  RelayClient* relay_ = nullptr;
  std::atomic<uint64_t> generation_{0};
  // Kept while a redirect may still come.
  v1::ConnectionInfo info_;
  std::unique_ptr<v1::ClientMessage> join_;
  int redirects_ = 0;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_REPLICA_ROUTE_H_
