// The clients of the interleaving test's world (cluster_world.h) as its
// gateway keeps them, what a router hands them (Handed), and the sink
// through which it does; and what fails in a run (Mode).
#ifndef TESTS_SERVICES_MATCHING_CLUSTER_CLIENTS_H_
#define TESTS_SERVICES_MATCHING_CLUSTER_CLIENTS_H_

#include <cstdint>
#include <string>

#include "absl/time/time.h"
#include "services/matching/session_router.h"
#include "tests/services/matching/simulated_cluster.h"

namespace signaling::matching::sim {

// What fails in a run.
struct Mode {
  LinkFaults link;
  double verify_unavailable;
  bool cut_offs;  // replicas cut off from the directory for a while
  bool strict;    // every message arrives (the test's stricter checks)
};

struct Client {
  v1::ClientMessage join;
  std::string subject;
  int replica = -1;  // where its transport is; -1 once it ended
  absl::Time created;
  absl::Time ended = absl::InfiniteFuture();
  SessionKey key = 0;
  absl::Time next_send;  // its messages arrive in the order sent
  int redirects = 0;
  bool joined = false;  // told `joined`
  bool leaving = false;
};

// What a router handed a client's transport: a message, a close (its
// code) or a redirect (where to).
struct Handed {
  int replica;
  uint64_t conn;
  const v1::ServerMessage* message;
  uint32_t close_code;
  const std::string* redirect_to;
};

class World;

// One gateway's view of a replica: what the router hands a transport goes
// to the world's client of that connection.
class ClientSink final : public SessionSink {
 public:
  ClientSink(World* world, int replica) : world_(world), replica_(replica) {}
  void Deliver(uint64_t conn, v1::ServerMessage message) override;
  void CloseConn(uint64_t conn, uint32_t code, const std::string&) override;
  void Redirect(uint64_t conn, const std::string& replica, const std::string& announced) override;

 private:
  World* const world_;
  const int replica_;
};

}  // namespace signaling::matching::sim

#endif  // TESTS_SERVICES_MATCHING_CLUSTER_CLIENTS_H_
