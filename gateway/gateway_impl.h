// Internals shared by the gateway's sessions: the listener, the registry of
// live connections (for caps, routing and drain) and the relay to the
// matching service. Not part of the gateway's public interface.
#ifndef GATEWAY_GATEWAY_IMPL_H_
#define GATEWAY_GATEWAY_IMPL_H_

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/synchronization/mutex.h"
#include "boost/asio.hpp"
#include "boost/asio/ssl.hpp"
#include "gateway/gateway.h"
#include "gateway/gateway_metrics.h"
#include "gateway/relay_pool.h"
#include "gateway/upgrade_policy.h"

namespace signaling::gateway {

class Connection;

// A file of the demo page, held in memory.
struct StaticFile {
  std::string content_type;
  std::string body;
};

class Gateway::Impl final : public RelayListener, public std::enable_shared_from_this<Impl> {
 public:
  explicit Impl(GatewayOptions options);

  absl::Status Init();
  void Accept();

  // Admission before an upgrade; when kAdmitted the slot is held until
  // Release.
  Admission Admit(const std::string& ip);
  void Release(const std::string& ip);
  uint64_t NextConn() { return next_conn_.fetch_add(1) + 1; }
  void Register(uint64_t conn, const std::shared_ptr<Connection>& session);
  void Unregister(uint64_t conn);

  // RelayListener: route each event to its session's strand, one hand-off
  // to the I/O threads per batch.
  void OnRelayDown(v1::RelayDown batch) override;
  void OnStreamLost(uint64_t generation) override;

  std::vector<std::shared_ptr<Connection>> Sessions();

  const GatewayOptions options;
  TrustedProxies trusted_proxies;  // options.trusted_proxies, parsed
  boost::asio::io_context ioc{options.threads};
  boost::asio::ip::tcp::acceptor acceptor{ioc};
  // Batches from the matching service are handed out in the stream's order.
  boost::asio::strand<boost::asio::io_context::executor_type> relay_strand{ioc.get_executor()};
  std::unique_ptr<boost::asio::ssl::context> tls;  // set when serving wss
  std::unique_ptr<RelayPool> relays;               // one stream per matching replica
  absl::flat_hash_map<std::string, StaticFile> web;
  std::vector<std::thread> threads;
  std::atomic<size_t> http_sessions{0};
  std::atomic<bool> draining{false};
  GatewayMetrics metrics;

 private:
  std::atomic<uint64_t> next_conn_{0};
  mutable absl::Mutex mu_;
  absl::flat_hash_map<uint64_t, std::weak_ptr<Connection>> sessions_ ABSL_GUARDED_BY(mu_);
  absl::flat_hash_map<std::string, size_t> per_ip_ ABSL_GUARDED_BY(mu_);
  size_t admitted_ ABSL_GUARDED_BY(mu_) = 0;

  friend class Gateway;
};

}  // namespace signaling::gateway

#endif  // GATEWAY_GATEWAY_IMPL_H_
