// The admin endpoint on loopback port 0, driven by a real Beast HTTP client.
#include "common/admin/admin_http.h"

#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace signaling::admin {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;
using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr auto kDeadline = std::chrono::seconds(5);

// A blocking HTTP client whose every operation fails after kDeadline instead
// of hanging: each one is async on a private io_context with a timeout.
class Client {
 public:
  explicit Client(unsigned short port) : stream_(ioc_) {
    stream_.expires_after(kDeadline);
    connect_error_ = Run([&](auto done) {
      stream_.async_connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port),
                            [done](beast::error_code ec) { done(ec); });
    });
  }
  beast::error_code connect_error() const { return connect_error_; }

  beast::error_code Send(const http::request<http::string_body>& req) {
    stream_.expires_after(kDeadline);
    return Run([&](auto done) {
      http::async_write(stream_, req, [done](beast::error_code ec, std::size_t) { done(ec); });
    });
  }

  beast::error_code SendRaw(const std::string& bytes) {
    stream_.expires_after(kDeadline);
    return Run([&](auto done) {
      net::async_write(stream_, net::buffer(bytes),
                       [done](beast::error_code ec, std::size_t) { done(ec); });
    });
  }

  beast::error_code Read(http::response<http::string_body>* res) {
    stream_.expires_after(kDeadline);
    return Run([&](auto done) {
      http::async_read(stream_, buffer_, *res,
                       [done](beast::error_code ec, std::size_t) { done(ec); });
    });
  }

  // Waits for the server to close the connection: eof or reset, not timeout.
  bool ClosedByServer() {
    stream_.expires_after(kDeadline);
    char byte;
    const beast::error_code ec = Run([&](auto done) {
      stream_.async_read_some(net::buffer(&byte, 1),
                              [done](beast::error_code ec, std::size_t) { done(ec); });
    });
    return ec == net::error::eof || ec == net::error::connection_reset;
  }

  // One request, one response.
  std::optional<http::response<http::string_body>> Fetch(http::verb method,
                                                         const std::string& target,
                                                         bool keep_alive = true) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.keep_alive(keep_alive);
    if (Send(req)) return std::nullopt;
    http::response<http::string_body> res;
    if (Read(&res)) return std::nullopt;
    return res;
  }

 private:
  template <typename Start>
  beast::error_code Run(Start start) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result.value_or(net::error::timed_out);
  }

  net::io_context ioc_;
  beast::tcp_stream stream_;
  beast::flat_buffer buffer_;
  beast::error_code connect_error_;
};

std::optional<http::response<http::string_body>> Get(unsigned short port,
                                                     const std::string& target) {
  Client client(port);
  if (client.connect_error()) return std::nullopt;
  return client.Fetch(http::verb::get, target);
}

std::string Str(beast::string_view s) { return std::string(s.data(), s.size()); }

class AdminServerTest : public ::testing::Test {
 protected:
  void StartServer(AdminOptions options = {}) {
    if (options.registry == nullptr) options.registry = &registry_;
    auto server = AdminServer::Start(options);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = std::move(*server);
    ASSERT_NE(server_->port(), 0);
  }
  // The server still answers a well-formed request.
  void ExpectServing() {
    auto res = Get(server_->port(), "/healthz");
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->result(), http::status::ok);
  }

  metrics::Registry registry_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, ServesMetrics) {
  auto family = registry_.AddCounter("signaling_test_requests_total", "Test requests.", {"code"});
  ASSERT_TRUE(family.ok());
  (*family)->With({{"code", "200"}}).Inc(3);
  StartServer();
  auto res = Get(server_->port(), "/metrics");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_THAT(Str((*res)[http::field::content_type]), StartsWith("text/plain; version=0.0.4"));
  EXPECT_EQ(res->body(), registry_.Serialize());
  EXPECT_THAT(res->body(), HasSubstr("signaling_test_requests_total{code=\"200\"} 3\n"));
}

TEST_F(AdminServerTest, HealthzIsOk) {
  StartServer();
  auto res = Get(server_->port(), "/healthz");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(res->body(), "ok");
}

TEST_F(AdminServerTest, ReadyzFollowsTheCheck) {
  std::atomic<bool> ready{false};
  AdminOptions options;
  options.ready = [&ready] { return ready.load(); };
  StartServer(options);
  auto res = Get(server_->port(), "/readyz");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result(), http::status::service_unavailable);
  EXPECT_EQ(res->body(), "not ready");
  ready = true;
  res = Get(server_->port(), "/readyz");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result(), http::status::ok);
  EXPECT_EQ(res->body(), "ready");
}

TEST_F(AdminServerTest, ReadyzWithoutACheckIsReady) {
  StartServer();
  auto res = Get(server_->port(), "/readyz?verbose=1");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result(), http::status::ok);
}

TEST_F(AdminServerTest, UnknownPathIs404) {
  StartServer();
  for (const char* target : {"/nope", "/", "/metrics/x", "*"}) {
    auto res = Get(server_->port(), target);
    ASSERT_TRUE(res.has_value()) << target;
    EXPECT_EQ(res->result(), http::status::not_found) << target;
  }
}

TEST_F(AdminServerTest, NonGetIs405) {
  StartServer();
  for (http::verb verb :
       {http::verb::post, http::verb::put, http::verb::delete_, http::verb::head}) {
    Client client(server_->port());
    auto res = client.Fetch(verb, "/metrics");
    ASSERT_TRUE(res.has_value());
    EXPECT_EQ(res->result(), http::status::method_not_allowed);
    EXPECT_EQ(Str((*res)[http::field::allow]), "GET");
  }
}

TEST_F(AdminServerTest, KeepAliveServesSeveralRequests) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.connect_error());
  for (const char* target : {"/healthz", "/metrics", "/nope", "/readyz"}) {
    auto res = client.Fetch(http::verb::get, target);
    ASSERT_TRUE(res.has_value()) << target;
    EXPECT_TRUE(res->keep_alive());
  }
  auto last = client.Fetch(http::verb::get, "/healthz", /*keep_alive=*/false);
  ASSERT_TRUE(last.has_value());
  EXPECT_FALSE(last->keep_alive());
  EXPECT_TRUE(client.ClosedByServer());
}

TEST_F(AdminServerTest, MalformedRequestGets400AndClose) {
  StartServer();
  for (const std::string& garbage :
       std::vector<std::string>{"GARBAGE\r\n\r\n", "GET /healthz HTTP/9.9\r\n\r\n",
                                "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
                                std::string("\0\1\2\3\r\n\r\n", 8)}) {
    Client client(server_->port());
    ASSERT_FALSE(client.connect_error());
    ASSERT_FALSE(client.SendRaw(garbage));
    // The server read all we sent, so its answer is not lost to a reset.
    http::response<http::string_body> res;
    ASSERT_FALSE(client.Read(&res)) << garbage;
    EXPECT_EQ(res.result(), http::status::bad_request) << garbage;
    EXPECT_FALSE(res.keep_alive());
    EXPECT_TRUE(client.ClosedByServer());
    ExpectServing();
  }
}

TEST_F(AdminServerTest, OversizedHeaderGets431OrClose) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.connect_error());
  http::request<http::string_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, "127.0.0.1");
  req.set("X-Big", std::string(16 * 1024, 'a'));
  const beast::error_code send_ec = client.Send(req);
  http::response<http::string_body> res;
  const beast::error_code ec = send_ec ? send_ec : client.Read(&res);
  if (!ec) {
    EXPECT_EQ(res.result(), http::status::request_header_fields_too_large);
  } else {
    EXPECT_NE(ec, net::error::timed_out);
    EXPECT_NE(ec, beast::error::timeout);
  }
  ExpectServing();
}

TEST_F(AdminServerTest, OversizedBodyGets413OrClose) {
  StartServer();
  Client client(server_->port());
  ASSERT_FALSE(client.connect_error());
  http::request<http::string_body> req{http::verb::get, "/healthz", 11};
  req.set(http::field::host, "127.0.0.1");
  req.body() = std::string(4096, 'b');
  req.prepare_payload();
  const beast::error_code send_ec = client.Send(req);
  http::response<http::string_body> res;
  const beast::error_code ec = send_ec ? send_ec : client.Read(&res);
  if (!ec) {
    EXPECT_EQ(res.result(), http::status::payload_too_large);
  } else {
    EXPECT_NE(ec, net::error::timed_out);
    EXPECT_NE(ec, beast::error::timeout);
  }
  ExpectServing();
}

TEST_F(AdminServerTest, IdleConnectionIsClosedAfterReadTimeout) {
  AdminOptions options;
  options.read_timeout = absl::Milliseconds(200);
  StartServer(options);
  Client idle(server_->port());
  ASSERT_FALSE(idle.connect_error());
  Client partial(server_->port());
  ASSERT_FALSE(partial.connect_error());
  ASSERT_FALSE(partial.SendRaw("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
  EXPECT_TRUE(idle.ClosedByServer());
  EXPECT_TRUE(partial.ClosedByServer());
  ExpectServing();
}

TEST_F(AdminServerTest, ConnectionsBeyondTheLimitAreClosed) {
  AdminOptions options;
  options.max_connections = 1;
  StartServer(options);
  auto first = std::make_unique<Client>(server_->port());
  // The response proves the server holds the first connection's session.
  ASSERT_TRUE(first->Fetch(http::verb::get, "/healthz").has_value());
  Client second(server_->port());
  ASSERT_FALSE(second.connect_error());
  EXPECT_TRUE(second.ClosedByServer());
  // Once the first goes away, new connections are served again.
  first.reset();
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  bool served = false;
  while (!served && std::chrono::steady_clock::now() < deadline) {
    served = Get(server_->port(), "/healthz").has_value();
  }
  EXPECT_TRUE(served);
}

TEST_F(AdminServerTest, StopClosesThePortAndIsIdempotent) {
  StartServer();
  const unsigned short port = server_->port();
  Client open_connection(port);
  ASSERT_FALSE(open_connection.connect_error());
  server_->Stop();
  EXPECT_TRUE(open_connection.ClosedByServer());
  Client after(port);
  EXPECT_EQ(after.connect_error(), net::error::connection_refused);
  server_->Stop();
  server_.reset();
}

TEST_F(AdminServerTest, DefaultRegistryWhenNoneGiven) {
  auto server = AdminServer::Start(AdminOptions{});
  ASSERT_TRUE(server.ok()) << server.status();
  auto res = Get((*server)->port(), "/metrics");
  ASSERT_TRUE(res.has_value());
  EXPECT_EQ(res->result(), http::status::ok);
}

TEST(AdminServerStart, RejectsBadOptions) {
  AdminOptions bad_address;
  bad_address.address = "not an address";
  EXPECT_EQ(AdminServer::Start(bad_address).status().code(), absl::StatusCode::kInvalidArgument);
  AdminOptions bad_timeout;
  bad_timeout.read_timeout = absl::ZeroDuration();
  EXPECT_EQ(AdminServer::Start(bad_timeout).status().code(), absl::StatusCode::kInvalidArgument);
  AdminOptions bad_limit;
  bad_limit.max_connections = 0;
  EXPECT_EQ(AdminServer::Start(bad_limit).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(AdminServerStart, PortInUseIsUnavailable) {
  auto first = AdminServer::Start(AdminOptions{});
  ASSERT_TRUE(first.ok());
  AdminOptions same;
  same.port = (*first)->port();
  EXPECT_EQ(AdminServer::Start(same).status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace signaling::admin
