// The cluster flags; see cluster_flags.h.
#include "services/matching/cluster_flags.h"

#include <fstream>
#include <sstream>

#include "absl/flags/flag.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"
#include "common/config/flags.h"

namespace {

const signaling::redis::ClientOptions kRedis;
const signaling::matching::ClusterOptions kCluster;

}  // namespace

ABSL_FLAG(std::string, redis, "",
          "Redis host:port shared by the matching replicas (cluster mode); empty: matching runs "
          "alone");
ABSL_FLAG(std::string, redis_sentinels, "",
          "Redis Sentinel host:port list (comma-separated), instead of --redis");
ABSL_FLAG(std::string, redis_master, kRedis.sentinel_master, "the primary's name at the sentinels");
ABSL_FLAG(std::string, redis_user, "", "Redis ACL user (with --redis_password_file)");
ABSL_FLAG(std::string, redis_password_file, "", "file holding the Redis password (never logged)");
ABSL_FLAG(int, redis_timeout_ms,
          static_cast<int>(absl::ToInt64Milliseconds(kCluster.membership.call_timeout)),
          "bound of each Redis call");
ABSL_FLAG(std::string, advertise, "",
          "host:port at which gateways and the other replicas reach this replica (its name in "
          "the cluster)");
ABSL_FLAG(std::string, peer_server_name, "",
          "the name the other replicas' certificates carry (they are dialled at their "
          "advertised address, a pod IP; default: that address)");
ABSL_FLAG(std::string, peer_identities, "",
          "identities (CN or SAN, comma-separated) of the other replicas, allowed to call "
          "MatchingPeer");

namespace signaling::matching {

std::vector<std::string> FlagList(const std::string& value) {
  if (value.empty()) return {};
  return absl::StrSplit(value, ',');
}

ClusterOptions ClusterFromFlags(net::GrpcClientTls peer_tls) {
  ClusterOptions cluster;
  cluster.redis.address = absl::GetFlag(FLAGS_redis);
  cluster.redis.sentinels = FlagList(absl::GetFlag(FLAGS_redis_sentinels));
  cluster.redis.sentinel_master = absl::GetFlag(FLAGS_redis_master);
  cluster.redis.connection.user = absl::GetFlag(FLAGS_redis_user);
  if (const std::string path = absl::GetFlag(FLAGS_redis_password_file); !path.empty()) {
    std::ifstream file(path);
    std::stringstream text;
    text << file.rdbuf();
    cluster.redis.connection.password = std::string(absl::StripAsciiWhitespace(text.str()));
    if (!file || cluster.redis.connection.password.empty()) {
      config::FailSetting("redis_password_file", "unreadable or empty");
    }
  }
  const int timeout_ms = absl::GetFlag(FLAGS_redis_timeout_ms);
  if (timeout_ms <= 0) config::FailSetting("redis_timeout_ms", "must be positive");
  cluster.membership.call_timeout = absl::Milliseconds(timeout_ms);
  cluster.redis.connection.connect_timeout = absl::Milliseconds(timeout_ms);
  cluster.advertise = absl::GetFlag(FLAGS_advertise);
  if (!cluster.redis.address.empty() && !cluster.redis.sentinels.empty()) {
    config::FailSetting("redis", "give --redis or --redis_sentinels, not both");
  }
  if (cluster.enabled() && cluster.advertise.empty()) {
    config::FailSetting("advertise", "cluster mode needs this replica's address");
  }
  cluster.peer_tls = std::move(peer_tls);
  cluster.peer_tls.server_name = absl::GetFlag(FLAGS_peer_server_name);
  return cluster;
}

std::vector<std::string> PeerIdentitiesFromFlags() {
  return FlagList(absl::GetFlag(FLAGS_peer_identities));
}

}  // namespace signaling::matching
