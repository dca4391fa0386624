// The three real services in one test process, each on its own loopback
// port (port 0): auth with a fresh HS256 key, matching, and a gateway in
// dev mode. Tokens are minted with the same signer as the mint CLI.
#ifndef TESTS_INTEGRATION_STACK_H_
#define TESTS_INTEGRATION_STACK_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "gateway/gateway.h"
#include "services/auth/auth_server.h"
#include "services/matching/matching_server.h"

namespace signaling::testing {

struct StackOptions {
  std::function<void(gateway::GatewayOptions&)> gateway;
  std::function<void(matching::MatchingServerOptions&)> matching;
  // Applied after the defaults (the HS256 "dev" key, plaintext) at every
  // StartAuth: extra keys, issuer, audience.
  std::function<void(auth::AuthServerOptions&)> auth;
};

class Stack {
 public:
  explicit Stack(StackOptions options = {});
  ~Stack();

  uint16_t gateway_port() const { return gateway_->port(); }
  int matching_port() const { return matching_->port(); }
  gateway::Gateway& gateway() { return *gateway_; }
  matching::MatchingServer& matching() { return *matching_; }

  // A token for `subject` with grants, valid for `ttl`.
  std::string Token(const std::string& subject, const std::vector<std::string>& accept,
                    const std::vector<std::string>& offer, absl::Duration ttl = absl::Hours(1));

  void StopAuth();
  void StartAuth();  // on the same port as before
  void StopMatching();
  void StartMatching();  // on the same port as before

  // The HS256 key file of the "dev" key.
  const std::string& key_path() const { return key_path_; }

  // Waits until matching holds no session, id, pairing, verification or
  // timer, and the gateway no connection. False on timeout.
  bool WaitForZero(absl::Duration timeout = absl::Seconds(10));
  std::string DescribeState();

 private:
  StackOptions options_;
  std::string key_dir_;
  std::string key_path_;
  int auth_port_ = 0;
  int matching_port_ = 0;
  std::unique_ptr<auth::AuthServer> auth_;
  std::unique_ptr<matching::MatchingServer> matching_;
  std::unique_ptr<gateway::Gateway> gateway_;
};

}  // namespace signaling::testing

#endif  // TESTS_INTEGRATION_STACK_H_
