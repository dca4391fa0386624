// The gateway's listener, registry and lifecycle; see gateway.h.
#include "gateway/gateway.h"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/log/log.h"
#include "common/net/grpc_server.h"
#include "common/protocol/close_code.h"
#include "gateway/gateway_impl.h"
#include "gateway/http_session.h"

namespace signaling::gateway {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string ContentType(const std::filesystem::path& path) {
  const std::string ext = path.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  return "";
}

}  // namespace

absl::Status ValidateOptions(const GatewayOptions& options) {
  if (options.matching_target.empty()) {
    return absl::InvalidArgumentError("matching_target is required");
  }
  if (options.threads < 1) return absl::InvalidArgumentError("threads must be at least 1");
  if (options.max_message_bytes < 1024) {
    return absl::InvalidArgumentError("max_message_bytes must be at least 1024");
  }
  if (options.relay_batch_bytes < 1024 ||
      options.relay_max_queue_bytes < options.relay_batch_bytes) {
    return absl::InvalidArgumentError(
        "relay_batch_bytes must be at least 1024 and at most relay_max_queue_bytes");
  }
  if (options.max_connections_per_ip < 1 || options.max_connections < 1) {
    return absl::InvalidArgumentError("connection caps must be at least 1");
  }
  if (options.tls_cert_file.empty() != options.tls_key_file.empty()) {
    return absl::InvalidArgumentError("tls_cert and tls_key go together");
  }
  if (!options.dev_mode) {
    if (options.allowed_origins.empty()) {
      return absl::InvalidArgumentError(
          "allowed_origins is required outside dev_mode (production refuses no Origin list)");
    }
    if (options.tls_cert_file.empty() && options.trusted_proxies.empty()) {
      return absl::InvalidArgumentError(
          "outside dev_mode, serve wss (tls_cert, tls_key) or name trusted_proxies (a "
          "TLS-terminating proxy in front)");
    }
  }
  if (auto proxies = TrustedProxies::Parse(options.trusted_proxies); !proxies.ok()) {
    return proxies.status();
  }
  for (const std::string& origin : options.allowed_origins) {
    if (origin.find("://") == std::string::npos || origin.back() == '/') {
      return absl::InvalidArgumentError(
          absl::StrCat("allowed_origins entry is not scheme://host[:port]: ", origin));
    }
  }
  return absl::OkStatus();
}

Gateway::Impl::Impl(GatewayOptions opts) : options(std::move(opts)) {}

absl::Status Gateway::Impl::Init() {
  auto proxies = TrustedProxies::Parse(options.trusted_proxies);
  if (!proxies.ok()) return proxies.status();
  trusted_proxies = *std::move(proxies);
  if (options.registry != nullptr) {
    if (absl::Status st = metrics.Register(*options.registry); !st.ok()) return st;
    auto connections =
        options.registry->AddGauge("signaling_gateway_connections", "Open WebSocket connections.");
    auto connected = options.registry->AddGauge("signaling_gateway_matching_connected",
                                                "1 when the relay stream to matching is up.");
    if (!connections.ok()) return connections.status();
    if (!connected.ok()) return connected.status();
    metrics::Gauge* open = &(*connections)->With({});
    metrics::Gauge* up = &(*connected)->With({});
    // Sampled at scrape time; `this` outlives the registry's use by contract.
    options.registry->AddCollector([this, open, up] {
      {
        absl::MutexLock lock(&mu_);
        open->Set(static_cast<double>(admitted_));
      }
      up->Set(relays && relays->connected() ? 1 : 0);
    });
  }
  if (!options.web_root.empty()) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(options.web_root, ec)) {
      const std::string type = ContentType(entry.path());
      if (!entry.is_regular_file() || type.empty()) continue;
      std::ifstream in(entry.path(), std::ios::binary);
      std::ostringstream body;
      body << in.rdbuf();
      web["/" + entry.path().filename().string()] = StaticFile{type, body.str()};
    }
    if (ec) return absl::InvalidArgumentError(absl::StrCat("cannot read web_root: ", ec.message()));
  }
  if (!options.tls_cert_file.empty()) {
    tls = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
    boost::system::error_code tls_ec;
    tls->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                     asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                     asio::ssl::context::no_tlsv1_1 | asio::ssl::context::single_dh_use);
    // Idle connections give their TLS record buffers back (~34 KiB each).
    SSL_CTX_set_mode(tls->native_handle(), SSL_MODE_RELEASE_BUFFERS);
    tls->use_certificate_chain_file(options.tls_cert_file, tls_ec);
    if (!tls_ec) tls->use_private_key_file(options.tls_key_file, asio::ssl::context::pem, tls_ec);
    if (tls_ec) {
      return absl::InvalidArgumentError(
          absl::StrCat("cannot load TLS certificate/key: ", tls_ec.message()));
    }
  }
  auto pool =
      RelayPool::Create(options.matching_target, options.matching_tls, this,
                        RelayLimits{options.relay_batch_bytes, options.relay_max_queue_bytes},
                        RelayPoolOptions{options.matching_resolve_interval,
                                         options.registry != nullptr ? &metrics : nullptr});
  if (!pool.ok()) return pool.status();
  relays = *std::move(pool);

  boost::system::error_code ec;
  const auto address = asio::ip::make_address(options.address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad address ", options.address));
  const tcp::endpoint endpoint(address, options.port);
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options.address, ":", options.port, ": ", ec.message()));
  }
  relays->Start();
  return absl::OkStatus();
}

void Gateway::Impl::Accept() {
  acceptor.async_accept(asio::make_strand(ioc), [self = shared_from_this()](
                                                    boost::system::error_code ec,
                                                    tcp::socket socket) {
    if (ec == asio::error::operation_aborted || !self->acceptor.is_open()) return;
    if (!ec) {
      // Connections still in their upgrade count against the global cap too.
      if (self->http_sessions.load() >= self->options.max_connections) {
        boost::system::error_code ignored;
        socket.close(ignored);
      } else {
        // Signaling messages are small and latency-bound: no Nagle delay.
        boost::system::error_code ignored;
        socket.set_option(tcp::no_delay(true), ignored);
        if (self->tls) {
          std::make_shared<HttpSession<TlsStream>>(TlsStream(std::move(socket), *self->tls), self)
              ->Run();
        } else {
          std::make_shared<HttpSession<PlainStream>>(PlainStream(std::move(socket)), self)->Run();
        }
      }
    }
    self->Accept();
  });
}

Admission Gateway::Impl::Admit(const std::string& ip) {
  absl::MutexLock lock(&mu_);
  const auto it = per_ip_.find(ip);
  const Admission verdict =
      AdmitConnection(admitted_, options.max_connections, it == per_ip_.end() ? 0 : it->second,
                      options.max_connections_per_ip);
  if (verdict == Admission::kAdmitted) {
    ++per_ip_[ip];
    ++admitted_;
  }
  return verdict;
}

void Gateway::Impl::Release(const std::string& ip) {
  absl::MutexLock lock(&mu_);
  --admitted_;
  auto it = per_ip_.find(ip);
  if (it != per_ip_.end() && --it->second == 0) per_ip_.erase(it);
}

void Gateway::Impl::Register(uint64_t conn, const std::shared_ptr<Connection>& session) {
  absl::MutexLock lock(&mu_);
  sessions_[conn] = session;
}

void Gateway::Impl::Unregister(uint64_t conn) {
  absl::MutexLock lock(&mu_);
  sessions_.erase(conn);
}

std::vector<std::shared_ptr<Connection>> Gateway::Impl::Sessions() {
  std::vector<std::shared_ptr<Connection>> out;
  absl::MutexLock lock(&mu_);
  out.reserve(sessions_.size());
  for (const auto& [conn, weak] : sessions_) {
    if (auto session = weak.lock()) out.push_back(std::move(session));
  }
  return out;
}

void Gateway::Impl::OnRelayDown(v1::RelayDown batch) {
  std::vector<std::pair<std::shared_ptr<Connection>, v1::RelayDown::Event>> routed;
  {
    absl::MutexLock lock(&mu_);
    for (auto& event : *batch.mutable_events()) {
      auto it = sessions_.find(event.conn());
      if (it == sessions_.end()) continue;
      if (auto session = it->second.lock())
        routed.emplace_back(std::move(session), std::move(event));
    }
  }
  if (routed.empty()) return;
  // On the relay strand, batches run one at a time, in order; each event is
  // dispatched to its session's strand, inline when that strand is free.
  asio::post(relay_strand, [routed = std::move(routed)]() mutable {
    for (auto& [session, event] : routed) session->DispatchEvent(std::move(event));
  });
}

void Gateway::Impl::OnStreamLost(uint64_t generation) {
  for (auto& session : Sessions()) {
    if (session->generation() != generation) continue;
    v1::ServerMessage error;
    error.mutable_error()->set_code(v1::Error::UNAVAILABLE);
    error.mutable_error()->set_message("signaling service unavailable, try again later");
    session->PostServerMessage(std::move(error));
    session->PostClose(protocol::kCloseTryAgain, "service unavailable");
  }
}

absl::StatusOr<std::unique_ptr<Gateway>> Gateway::Start(GatewayOptions options) {
  if (absl::Status status = ValidateOptions(options); !status.ok()) return status;
  if (options.dev_mode) {
    log::Get("gateway")->warn(
        "dev_mode: plain ws from anywhere and no Origin check; never use in production");
  }
  auto impl = std::make_shared<Impl>(std::move(options));
  if (absl::Status status = impl->Init(); !status.ok()) return status;
  impl->Accept();
  for (int i = 0; i < impl->options.threads; ++i) {
    impl->threads.emplace_back([impl = impl.get()] { impl->ioc.run(); });
  }
  return std::unique_ptr<Gateway>(new Gateway(std::move(impl)));
}

Gateway::Gateway(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

Gateway::~Gateway() { Stop(); }

uint16_t Gateway::port() const {
  boost::system::error_code ec;
  return impl_->acceptor.local_endpoint(ec).port();
}

GatewayStats Gateway::Stats() const {
  GatewayStats stats;
  {
    absl::MutexLock lock(&impl_->mu_);
    stats.connections = impl_->admitted_;
  }
  stats.http_sessions = impl_->http_sessions.load();
  stats.matching_connected = impl_->relays->connected();
  return stats;
}

bool Gateway::Ready() const { return !impl_->draining && impl_->relays->connected(); }

void Gateway::Drain(absl::Duration grace) {
  impl_->draining = true;
  for (auto& session : impl_->Sessions()) {
    session->PostGoAway(impl_->options.go_away_reconnect_ms);
  }
  const absl::Time deadline = absl::Now() + grace;
  auto connections = [this] {
    absl::MutexLock lock(&impl_->mu_);
    return impl_->admitted_;
  };
  while (connections() > 0 && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(50));
  for (auto& session : impl_->Sessions())
    session->PostClose(protocol::kCloseGoingAway, "server draining");
  const absl::Time hard = absl::Now() + absl::Seconds(10);
  while (connections() > 0 && absl::Now() < hard) absl::SleepFor(absl::Milliseconds(50));
}

void Gateway::Stop() {
  if (impl_->threads.empty()) return;
  asio::post(impl_->ioc, [impl = impl_] {
    boost::system::error_code ignored;
    impl->acceptor.close(ignored);
  });
  impl_->relays->Stop();
  for (auto& session : impl_->Sessions()) session->PostKill();
  // The threads return once every socket's operations have completed.
  const absl::Time deadline = absl::Now() + absl::Seconds(3);
  while (!impl_->ioc.stopped() && absl::Now() < deadline) absl::SleepFor(absl::Milliseconds(10));
  impl_->ioc.stop();
  for (auto& thread : impl_->threads) thread.join();
  impl_->threads.clear();
}

}  // namespace signaling::gateway
