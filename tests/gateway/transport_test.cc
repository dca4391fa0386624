// Transport security of the gateway: wss with a certificate from files,
// plain ws refused outside dev mode unless it came through a trusted
// TLS-terminating proxy, and start-up refusing unsafe production options.
#include <cstdlib>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "boost/asio/ssl.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/beast/websocket/ssl.hpp"
#include "common/codec/codec.h"
#include "gtest/gtest.h"
#include "tests/integration/stack.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

namespace beast = boost::beast;
namespace asio = boost::asio;

class TlsFiles {
 public:
  TlsFiles() {
    char dir[] = "/tmp/tls-test-XXXXXX";
    dir_ = mkdtemp(dir);
    const std::string command = absl::StrCat(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 "
        "-subj /CN=localhost -addext subjectAltName=IP:127.0.0.1 -keyout ",
        key(), " -out ", cert(), " 2>/dev/null");
    EXPECT_EQ(std::system(command.c_str()), 0);
  }
  ~TlsFiles() { std::filesystem::remove_all(dir_); }
  std::string cert() const { return dir_ + "/cert.pem"; }
  std::string key() const { return dir_ + "/key.pem"; }

 private:
  std::string dir_;
};

TEST(TransportTest, ServesWssAndRefusesPlainOnTheTlsPort) {
  TlsFiles files;
  Stack stack({.gateway = [&](gateway::GatewayOptions& o) {
    o.dev_mode = false;
    o.tls_cert_file = files.cert();
    o.tls_key_file = files.key();
  }});
  asio::io_context ioc;
  asio::ssl::context ctx(asio::ssl::context::tls_client);
  ctx.load_verify_file(files.cert());
  ctx.set_verify_mode(asio::ssl::verify_peer);
  beast::websocket::stream<beast::ssl_stream<beast::tcp_stream>> ws(ioc, ctx);
  beast::get_lowest_layer(ws).connect({asio::ip::make_address("127.0.0.1"), stack.gateway_port()});
  ws.next_layer().handshake(asio::ssl::stream_base::client);
  ws.set_option(beast::websocket::stream_base::decorator([](beast::websocket::request_type& r) {
    r.set(beast::http::field::origin, "http://127.0.0.1");
  }));
  ws.handshake("127.0.0.1", "/v1/signal");
  ws.text(true);
  ws.write(asio::buffer(codec::EncodeClientJson(
      JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"))));
  beast::flat_buffer buffer;
  ws.read(buffer);
  EXPECT_EQ(KindOf(codec::DecodeServerJson(beast::buffers_to_string(buffer.data()))), "joined");
  ws.close(beast::websocket::close_code::normal);

  // Plain ws to the TLS port never upgrades.
  auto plain = WsClient::Connect(stack.gateway_port());
  EXPECT_FALSE(plain.ok());
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

TEST(TransportTest, PlainWsOnlyThroughATrustedProxyWithItsClientIp) {
  Stack stack({.gateway = [](gateway::GatewayOptions& o) {
    o.dev_mode = false;
    o.trusted_proxies = {"127.0.0.1"};
    o.max_connections_per_ip = 1;
  }});
  const std::map<std::string, std::string> direct = {{"Origin", "http://127.0.0.1"}};
  auto refused = WsClient::Connect(stack.gateway_port(), "signaling.v1.json", direct);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.status().message().find("403"), std::string::npos) << refused.status();

  auto via_proxy = [&](const std::string& client_ip) {
    return WsClient::Connect(stack.gateway_port(), "signaling.v1.json",
                             {{"Origin", "http://127.0.0.1"},
                              {"X-Forwarded-Proto", "https"},
                              {"X-Forwarded-For", "192.0.2.1, " + client_ip}});
  };
  auto first = via_proxy("203.0.113.5");
  ASSERT_TRUE(first.ok()) << first.status();
  auto second = via_proxy("203.0.113.6");  // another client behind the proxy
  ASSERT_TRUE(second.ok()) << second.status();
  auto third = via_proxy("203.0.113.5");  // over the per-IP cap of 1
  ASSERT_FALSE(third.ok());
  EXPECT_NE(third.status().message().find("429"), std::string::npos) << third.status();
  first->reset();
  second->reset();
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

TEST(TransportTest, ProductionRefusesUnsafeOptions) {
  gateway::GatewayOptions o;
  o.matching_target = "127.0.0.1:1";
  EXPECT_FALSE(gateway::ValidateOptions(o).ok());  // no Origin list
  o.allowed_origins = {"https://app.example.com"};
  EXPECT_FALSE(gateway::ValidateOptions(o).ok());  // neither TLS nor a trusted proxy
  o.trusted_proxies = {"10.0.0.1"};
  EXPECT_TRUE(gateway::ValidateOptions(o).ok());
  o.allowed_origins = {"https://app.example.com/"};
  EXPECT_FALSE(gateway::ValidateOptions(o).ok());  // not an origin
  o.allowed_origins = {"https://app.example.com"};
  o.tls_cert_file = "/cert.pem";
  EXPECT_FALSE(gateway::ValidateOptions(o).ok());  // key missing
  gateway::GatewayOptions dev;
  dev.matching_target = "127.0.0.1:1";
  dev.dev_mode = true;
  EXPECT_TRUE(gateway::ValidateOptions(dev).ok());
}

}  // namespace
}  // namespace signaling::testing
