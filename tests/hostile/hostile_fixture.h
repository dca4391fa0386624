// The shared fixture of the hostile suites (tests/hostile/*_test.cc): one
// real stack (auth, matching, gateway on loopback) for the cases that run on
// the default configuration, the raw client for what a real client never
// sends, and the health check every case ends with: a normal client can
// still join, then every piece of state returns to zero.
#ifndef TESTS_HOSTILE_HOSTILE_FIXTURE_H_
#define TESTS_HOSTILE_HOSTILE_FIXTURE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gtest/gtest.h"
#include "services/matching/matching_server.h"
#include "tests/integration/raw_ws_client.h"
#include "tests/integration/stack.h"
#include "tests/integration/wait.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {

using Raw = RawWsClient;

inline constexpr char kCandidate[] = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";

// A close code as text, "none (timeout)" without one: the assertions read
// EXPECT_EQ(CodeText(...), "1009").
std::string CodeText(std::optional<uint16_t> code);

// The KindOf of a JSON server message ("error:INVALID_MESSAGE", ...).
std::string ErrorCodeOf(const std::string& json);

// Upgrades `raw`, sends `json` and returns the first reply's kind (or why
// there was none).
std::string RawJoin(Raw& raw, const std::string& json);

// A JSON join: `role` "ACCEPTOR" (with peerId `id`) or "OFFERER" (targetId).
std::string JoinJson(const std::string& token, const std::string& role, const std::string& id);
// A JSON iceCandidate for m-line 0, mid "0".
std::string CandidateJson(const std::string& candidate);

// `s` with every `from` replaced by `to`.
std::string Replace(std::string s, const std::string& from, const std::string& to);

// A normal client can still join `stack`, then every counter returns to 0.
void ExpectHealthy(Stack& stack);

// Auth-failure throttling raised so that forged tokens are answered at once
// and many failures from 127.0.0.1 do not lock the next case out.
void RaiseAuthThrottle(matching::MatchingServerOptions& o);

// What an acceptor's join gets: "joined", or the refusal and the close code
// ("error:UNAUTHENTICATED close:4001").
std::string JoinOutcome(Stack& stack, const std::string& token, const std::string& peer_id);

// One stack for the suite (see SetUpTestSuite in hostile_fixture.cc for its
// configuration); each case ends with ExpectHealthy on it.
class HostileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite();
  static void TearDownTestSuite();
  void TearDown() override;

  Stack& stack() { return *stack_; }
  uint16_t port() { return stack_->gateway_port(); }

  // A connected JSON client, owned by the fixture.
  WsClient& Connect();

  // A raw request's response status (0: connection ended without one).
  int Status(const std::string& request);

  // A raw upgraded connection.
  std::unique_ptr<Raw> Upgraded();

  // A raw connection upgraded and joined as the acceptor "kiosk-7": the
  // join deadline no longer runs, so what a case sends next is read to its
  // end however slowly.
  std::unique_ptr<Raw> Joined();

  // An acceptor "kiosk-7" and an offerer, joined and paired.
  std::pair<WsClient*, WsClient*> Pair();

  // Paired, with the 1-section test offer and answer exchanged.
  std::pair<WsClient*, WsClient*> Negotiated();

  // `c` gets exactly `expected` and stays usable (ping -> pong).
  void ExpectNonFatal(WsClient& c, const std::string& expected);

  static Stack* stack_;
  std::vector<std::unique_ptr<WsClient>> clients_;
};

}  // namespace signaling::testing

#endif  // TESTS_HOSTILE_HOSTILE_FIXTURE_H_
