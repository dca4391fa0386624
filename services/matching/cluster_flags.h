// The matching service's cluster flags (--redis, --redis_sentinels,
// --redis_master, --redis_user, --redis_password_file, --redis_timeout_ms,
// --advertise, --peer_identities), read into ClusterOptions. Part of the
// signaling-matching binary only.
#ifndef SERVICES_MATCHING_CLUSTER_FLAGS_H_
#define SERVICES_MATCHING_CLUSTER_FLAGS_H_

#include <string>
#include <vector>

#include "services/matching/matching_server.h"

namespace signaling::matching {

// A comma-separated list; "" is the empty list.
std::vector<std::string> FlagList(const std::string& value);

// Exits with a clear message on a bad setting (an unreadable or empty
// password file, say). `peer_tls` is how this replica calls the others.
ClusterOptions ClusterFromFlags(net::GrpcClientTls peer_tls);

// --peer_identities.
std::vector<std::string> PeerIdentitiesFromFlags();

}  // namespace signaling::matching

#endif  // SERVICES_MATCHING_CLUSTER_FLAGS_H_
