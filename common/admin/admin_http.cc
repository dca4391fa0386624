// Boost.Beast implementation of the admin endpoint: a listener and one
// session per connection, all on a single io_context thread.
#include "common/admin/admin_http.h"

#include <atomic>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <exception>
#include <mutex>
#include <optional>
#include <string_view>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace signaling::admin {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

constexpr std::string_view kMetricsContentType = "text/plain; version=0.0.4; charset=utf-8";
constexpr std::string_view kTextContentType = "text/plain; charset=utf-8";
// Pause after a failed accept (e.g. out of descriptors) so as not to spin.
constexpr auto kAcceptRetryDelay = std::chrono::milliseconds(100);

// What every session reads; owned jointly so that it outlives them all.
struct Shared {
  AdminOptions options;
  metrics::Registry* registry = nullptr;
  std::chrono::steady_clock::duration timeout{};
  std::atomic<int> connections{0};
};

http::response<http::string_body> MakeResponse(http::status status, std::string_view content_type,
                                               std::string body, unsigned version,
                                               bool keep_alive) {
  http::response<http::string_body> res{status, version};
  res.set(http::field::content_type, beast::string_view(content_type.data(), content_type.size()));
  res.set(http::field::cache_control, "no-store");
  res.body() = std::move(body);
  res.keep_alive(keep_alive);
  res.prepare_payload();
  return res;
}

http::response<http::string_body> Route(const Shared& shared,
                                        const http::request<http::string_body>& req) {
  const unsigned version = req.version();
  const bool keep_alive = req.keep_alive();
  if (req.method() != http::verb::get) {
    auto res = MakeResponse(http::status::method_not_allowed, kTextContentType,
                            "method not allowed", version, keep_alive);
    res.set(http::field::allow, "GET");
    return res;
  }
  std::string_view path(req.target().data(), req.target().size());
  path = path.substr(0, path.find('?'));
  if (path == "/metrics") {
    return MakeResponse(http::status::ok, kMetricsContentType, shared.registry->Serialize(),
                        version, keep_alive);
  }
  if (path == "/healthz") {
    return MakeResponse(http::status::ok, kTextContentType, "ok", version, keep_alive);
  }
  if (path == "/readyz") {
    const bool ready = !shared.options.ready || shared.options.ready();
    return ready ? MakeResponse(http::status::ok, kTextContentType, "ready", version, keep_alive)
                 : MakeResponse(http::status::service_unavailable, kTextContentType, "not ready",
                                version, keep_alive);
  }
  return MakeResponse(http::status::not_found, kTextContentType, "not found", version, keep_alive);
}

// One connection: read a request, write its response, repeat.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(tcp::socket&& socket, std::shared_ptr<Shared> shared)
      : stream_(std::move(socket)), shared_(std::move(shared)) {
    shared_->connections.fetch_add(1, std::memory_order_relaxed);
  }
  ~Session() { shared_->connections.fetch_sub(1, std::memory_order_relaxed); }

  void Run() {
    net::dispatch(stream_.get_executor(),
                  beast::bind_front_handler(&Session::DoRead, shared_from_this()));
  }

 private:
  void DoRead() {
    // A parser handles one message: make a fresh one for every request.
    parser_.emplace();
    parser_->header_limit(static_cast<std::uint32_t>(shared_->options.header_limit_bytes));
    parser_->body_limit(shared_->options.body_limit_bytes);
    stream_.expires_after(shared_->timeout);
    http::async_read(stream_, buffer_, *parser_,
                     beast::bind_front_handler(&Session::OnRead, shared_from_this()));
  }

  void OnRead(beast::error_code ec, std::size_t) {
    if (ec == http::error::end_of_stream) return DoClose();
    if (ec == http::error::header_limit) {
      return DoWrite(MakeResponse(http::status::request_header_fields_too_large, kTextContentType,
                                  "header too large", 11, false));
    }
    if (ec == http::error::body_limit) {
      return DoWrite(MakeResponse(http::status::payload_too_large, kTextContentType,
                                  "body too large", 11, false));
    }
    if (ec && ec.category() == http::make_error_code(http::error::bad_target).category()) {
      // Any other parse error: the rest of the stream cannot be trusted.
      return DoWrite(
          MakeResponse(http::status::bad_request, kTextContentType, "bad request", 11, false));
    }
    // Timeout (the stream is already closed), reset, abort: nothing to say.
    if (ec) return;
    DoWrite(Route(*shared_, parser_->get()));
  }

  void DoWrite(http::response<http::string_body> res) {
    res_ = std::move(res);
    stream_.expires_after(shared_->timeout);
    http::async_write(stream_, res_,
                      beast::bind_front_handler(&Session::OnWrite, shared_from_this()));
  }

  void OnWrite(beast::error_code ec, std::size_t) {
    if (ec) return;
    if (!res_.keep_alive()) return DoClose();
    DoRead();
  }

  void DoClose() {
    beast::error_code ignored;
    stream_.socket().shutdown(tcp::socket::shutdown_send, ignored);
    stream_.close();
  }

  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  std::shared_ptr<Shared> shared_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
};

// Accepts connections until closed.
class Listener : public std::enable_shared_from_this<Listener> {
 public:
  Listener(net::io_context& ioc, tcp::acceptor acceptor, std::shared_ptr<Shared> shared)
      : ioc_(ioc), acceptor_(std::move(acceptor)), retry_timer_(ioc), shared_(std::move(shared)) {}

  void Run() { DoAccept(); }

  // Only while the io_context is not running.
  void Close() {
    beast::error_code ignored;
    acceptor_.close(ignored);
    retry_timer_.cancel();
  }

 private:
  void DoAccept() {
    acceptor_.async_accept(net::make_strand(ioc_),
                           beast::bind_front_handler(&Listener::OnAccept, shared_from_this()));
  }

  void OnAccept(beast::error_code ec, tcp::socket socket) {
    if (ec == net::error::operation_aborted || !acceptor_.is_open()) return;
    if (ec) {
      retry_timer_.expires_after(kAcceptRetryDelay);
      retry_timer_.async_wait([self = shared_from_this()](beast::error_code wait_ec) {
        if (!wait_ec) self->DoAccept();
      });
      return;
    }
    if (shared_->connections.load(std::memory_order_relaxed) < shared_->options.max_connections) {
      std::make_shared<Session>(std::move(socket), shared_)->Run();
    }  // else: `socket` closes as it goes out of scope.
    DoAccept();
  }

  net::io_context& ioc_;
  tcp::acceptor acceptor_;
  net::steady_timer retry_timer_;
  std::shared_ptr<Shared> shared_;
};

}  // namespace

struct AdminServer::Impl {
  std::mutex stop_mu;
  std::unique_ptr<net::io_context> ioc;
  std::shared_ptr<Listener> listener;
  std::thread thread;
  unsigned short port = 0;
};

absl::StatusOr<std::unique_ptr<AdminServer>> AdminServer::Start(const AdminOptions& options) {
  if (options.header_limit_bytes == 0 || options.header_limit_bytes > UINT32_MAX) {
    return absl::InvalidArgumentError("admin: header_limit_bytes out of range");
  }
  if (options.read_timeout <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError("admin: read_timeout must be positive");
  }
  if (options.max_connections < 1) {
    return absl::InvalidArgumentError("admin: max_connections must be >= 1");
  }
  beast::error_code ec;
  const net::ip::address address = net::ip::make_address(options.address, ec);
  if (ec) {
    return absl::InvalidArgumentError(absl::StrCat("admin: bad address \"", options.address, "\""));
  }

  auto shared = std::make_shared<Shared>();
  shared->options = options;
  shared->registry = options.registry != nullptr ? options.registry : &metrics::DefaultRegistry();
  shared->timeout = absl::ToChronoMilliseconds(options.read_timeout);

  auto impl = std::make_unique<Impl>();
  impl->ioc = std::make_unique<net::io_context>(1);
  tcp::acceptor acceptor(*impl->ioc);
  const tcp::endpoint endpoint(address, options.port);
  auto fail = [&](std::string_view what) {
    return absl::UnavailableError(absl::StrCat("admin: ", std::string(what), " ", options.address,
                                               ":", options.port, ": ", ec.message()));
  };
  if (acceptor.open(endpoint.protocol(), ec); ec) return fail("open");
  if (acceptor.set_option(net::socket_base::reuse_address(true), ec); ec) {
    return fail("setsockopt");
  }
  if (acceptor.bind(endpoint, ec); ec) return fail("bind");
  if (acceptor.listen(net::socket_base::max_listen_connections, ec); ec) {
    return fail("listen");
  }
  impl->port = acceptor.local_endpoint(ec).port();
  if (ec) return fail("getsockname");

  impl->listener = std::make_shared<Listener>(*impl->ioc, std::move(acceptor), shared);
  impl->listener->Run();
  impl->thread = std::thread([ioc = impl->ioc.get()] {
    // Handlers report errors as values; an exception here (out of memory, a
    // throwing ready() callback) drops that one handler, not the server.
    for (;;) {
      try {
        ioc->run();
        return;
      } catch (const std::exception&) {
      }
    }
  });
  return std::unique_ptr<AdminServer>(new AdminServer(std::move(impl)));
}

AdminServer::AdminServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

AdminServer::~AdminServer() { Stop(); }

unsigned short AdminServer::port() const { return impl_->port; }

void AdminServer::Stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->ioc == nullptr) return;
  impl_->ioc->stop();
  if (impl_->thread.joinable()) impl_->thread.join();
  // The thread is gone: nothing else touches the listener now.
  impl_->listener->Close();
  impl_->listener.reset();
  // Destroying the io_context destroys the pending handlers, and with them
  // the sessions and their sockets.
  impl_->ioc.reset();
}

}  // namespace signaling::admin
