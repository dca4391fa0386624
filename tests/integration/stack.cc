// The three services in one test process; see stack.h.
#include "tests/integration/stack.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "services/auth/token_minting.h"
#include "tests/integration/wait.h"

namespace signaling::testing {

Stack::Stack(StackOptions options) : options_(std::move(options)) {
  char dir[] = "/tmp/signaling-test-XXXXXX";
  key_dir_ = mkdtemp(dir);
  key_path_ = key_dir_ + "/dev.key";
  auto material = auth::GenerateKeyMaterial("HS256");
  EXPECT_TRUE(material.ok());
  std::ofstream(key_path_, std::ios::binary) << *material;
  StartAuth();
  StartMatching();
  gateway::GatewayOptions g;
  g.address = "127.0.0.1";
  g.port = 0;
  g.matching_target = absl::StrCat("127.0.0.1:", matching_port_);
  g.matching_tls.insecure = true;
  g.dev_mode = true;  // plain ws on loopback
  g.allowed_origins = {"http://127.0.0.1"};
  if (options_.gateway) options_.gateway(g);
  auto started = gateway::Gateway::Start(std::move(g));
  EXPECT_TRUE(started.ok()) << started.status();
  gateway_ = *std::move(started);
  WaitFor([&] { return gateway_->Stats().matching_connected; }, absl::Seconds(10));
  EXPECT_TRUE(gateway_->Stats().matching_connected) << "gateway never reached matching";
}

Stack::~Stack() {
  gateway_.reset();
  matching_.reset();
  auth_.reset();
  std::error_code ec;
  std::filesystem::remove_all(key_dir_, ec);
}

void Stack::StartAuth() {
  auth::AuthServerOptions o;
  o.listen = absl::StrCat("127.0.0.1:", auth_port_);
  o.keys = {{"dev", "HS256", key_path_}};
  o.tls.insecure = true;
  if (options_.auth) options_.auth(o);
  auto started = auth::AuthServer::Start(std::move(o));
  ASSERT_TRUE(started.ok()) << started.status();
  auth_ = *std::move(started);
  auth_port_ = auth_->port();
}

void Stack::StopAuth() {
  auth_->Shutdown(absl::Milliseconds(100));
  auth_.reset();
}

void Stack::StartMatching() {
  matching::MatchingServerOptions o;
  o.listen = absl::StrCat("127.0.0.1:", matching_port_);
  o.auth_target = absl::StrCat("127.0.0.1:", auth_port_);
  o.server_tls.insecure = true;
  o.auth_tls.insecure = true;
  o.verify_deadline = absl::Seconds(1);
  if (options_.matching) options_.matching(o);
  auto started = matching::MatchingServer::Start(std::move(o));
  ASSERT_TRUE(started.ok()) << started.status();
  matching_ = *std::move(started);
  matching_port_ = matching_->port();
}

void Stack::StopMatching() {
  matching_->Shutdown(absl::Milliseconds(100));
  matching_.reset();
}

std::string Stack::Token(const std::string& subject, const std::vector<std::string>& accept,
                         const std::vector<std::string>& offer, absl::Duration ttl) {
  auto key = auth::LoadSigningKey("dev", "HS256", key_path_);
  EXPECT_TRUE(key.ok());
  auto token = auth::MintToken(
      *key, {.subject = subject, .accept = accept, .offer = offer, .ttl = ttl}, absl::Now());
  EXPECT_TRUE(token.ok());
  return *token;
}

bool Stack::WaitForZero(absl::Duration timeout) {
  return WaitFor(
      [&] {
        const v1::Stats m = matching_->Stats();
        const gateway::GatewayStats g = gateway_->Stats();
        return m.sessions() == 0 && m.ids() == 0 && m.pairings() == 0 &&
               m.waiting_offerers() == 0 && m.pending_verifications() == 0 && m.timers() == 0 &&
               g.connections == 0 && g.http_sessions == 0;
      },
      timeout, absl::Milliseconds(20));
}

std::string Stack::DescribeState() {
  const v1::Stats m = matching_->Stats();
  const gateway::GatewayStats g = gateway_->Stats();
  return absl::StrCat("matching: sessions=", m.sessions(), " ids=", m.ids(),
                      " pairings=", m.pairings(), " waiting=", m.waiting_offerers(),
                      " verifying=", m.pending_verifications(), " timers=", m.timers(),
                      "; gateway: connections=", g.connections, " http=", g.http_sessions);
}

}  // namespace signaling::testing
