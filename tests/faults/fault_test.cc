// Faults, end to end: the three REAL service binaries as child processes on
// loopback. The auth service or the matching service is killed (SIGKILL) or
// stopped (SIGTERM) while sessions are live, then started again on the same
// port. Asserted: the exact error and close code each client gets
// (docs/protocol.md sections 5, 7 and 9), that live pairings survive what
// they do not depend on, that the gateway process recovers by itself, and
// that the matching service's counts and the gateway's connection count
// return to zero.
#include <signal.h>
#include <sys/wait.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "gtest/gtest.h"
#include "tests/integration/process_stack.h"
#include "tests/integration/wait.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

constexpr char kJson[] = "signaling.v1.json";
constexpr char kProto[] = "signaling.v1.proto";
constexpr char kCandidate[] = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";

// Everything `c` receives until the server closes it, then "close:<code>";
// "timeout" when it is not closed within `timeout`.
std::string Transcript(WsClient& c, absl::Duration timeout = absl::Seconds(15)) {
  std::vector<std::string> seen;
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    auto m = c.Read(deadline - absl::Now());
    if (m.ok()) {
      seen.push_back(KindOf(m));
      continue;
    }
    if (c.close_code()) {
      seen.push_back(absl::StrCat("close:", *c.close_code()));
      return absl::StrJoin(seen, " ");
    }
    if (!absl::IsDeadlineExceeded(m.status())) seen.push_back(KindOf(m));
  }
  seen.push_back("timeout");
  return absl::StrJoin(seen, " ");
}

// The live sessions of a fault scenario: every state a session can be in
// when a dependency fails, over both subprotocols.
struct Sessions {
  std::unique_ptr<WsClient> negotiated_acceptor;  // JSON, offer/answer done
  std::unique_ptr<WsClient> negotiated_offerer;   // protobuf
  std::unique_ptr<WsClient> paired_acceptor;      // protobuf, paired only
  std::unique_ptr<WsClient> paired_offerer;       // JSON
  std::unique_ptr<WsClient> lone_acceptor;        // JSON, registered, unpaired
  std::unique_ptr<WsClient> waiting_offerer;      // protobuf, waiting for an absent id
  std::unique_ptr<WsClient> unjoined;             // JSON, upgraded, no join yet

  std::vector<std::pair<const char*, WsClient*>> All() {
    return {{"negotiated acceptor (json)", negotiated_acceptor.get()},
            {"negotiated offerer (proto)", negotiated_offerer.get()},
            {"paired acceptor (proto)", paired_acceptor.get()},
            {"paired offerer (json)", paired_offerer.get()},
            {"lone acceptor (json)", lone_acceptor.get()},
            {"waiting offerer (proto)", waiting_offerer.get()},
            {"unjoined (json)", unjoined.get()}};
  }
};

class FaultTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(s_.Start()); }

  // A joined acceptor for `id`.
  std::unique_ptr<WsClient> Acceptor(const std::string& id, const std::string& subprotocol) {
    auto a = s_.Connect(subprotocol);
    if (!a) return nullptr;
    a->Send(JoinAcceptor(s_.Token("owner-" + id, {id}, {}), id));
    EXPECT_EQ(KindOf(a->Read()), "joined") << id;
    return a;
  }

  // An offerer for `id`, joined; `paired` also reads both sides' `paired`.
  std::unique_ptr<WsClient> Offerer(const std::string& id, const std::string& subprotocol,
                                    WsClient* acceptor, uint32_t wait_ms = 0) {
    auto b = s_.Connect(subprotocol);
    if (!b) return nullptr;
    b->Send(JoinOfferer(s_.Token("user-" + id, {}, {"kiosk-*"}), id, wait_ms));
    EXPECT_EQ(KindOf(b->Read()), "joined") << id;
    if (acceptor != nullptr) {
      EXPECT_EQ(KindOf(acceptor->Read()), "paired") << id;
      EXPECT_EQ(KindOf(b->Read()), "paired") << id;
    }
    return b;
  }

  // Offer and answer through the stack.
  void Negotiate(WsClient& a, WsClient& b) {
    b.Send(Offer(kTestOffer));
    auto offer = a.Read();
    ASSERT_EQ(KindOf(offer), "offer");
    EXPECT_EQ(offer->offer().sdp(), kTestOffer);
    a.Send(Answer(kTestAnswer));
    auto answer = b.Read();
    ASSERT_EQ(KindOf(answer), "answer");
    EXPECT_EQ(answer->answer().sdp(), kTestAnswer);
  }

  // One candidate each way and a ping each: the pairing is live.
  void ExpectLive(WsClient& a, WsClient& b, const std::string& label) {
    SCOPED_TRACE(label);
    b.Send(Candidate(kCandidate));
    auto to_a = a.Read();
    ASSERT_EQ(KindOf(to_a), "iceCandidate");
    EXPECT_EQ(to_a->ice_candidate().candidate(), kCandidate);
    a.Send(Candidate(kCandidate));
    EXPECT_EQ(KindOf(b.Read()), "iceCandidate");
    // The label as a nonce, in the nonce's grammar (no spaces).
    const std::string nonce = absl::StrReplaceAll(label, {{" ", "-"}});
    for (WsClient* c : {&a, &b}) {
      c->Send(Ping(nonce));
      auto pong = c->Read();
      ASSERT_EQ(KindOf(pong), "pong");
      EXPECT_EQ(pong->pong().nonce(), nonce);
    }
  }

  // A complete new pairing on `id` through the same gateway: offer, answer,
  // candidates, then the offerer leaves (1000) and the acceptor closes.
  void ExpectNewPairingWorks(const std::string& id) {
    SCOPED_TRACE("new pairing " + id);
    auto a = Acceptor(id, kProto);
    ASSERT_TRUE(a);
    auto b = Offerer(id, kJson, a.get());
    ASSERT_TRUE(b);
    ASSERT_FALSE(HasFatalFailure());
    Negotiate(*a, *b);
    ASSERT_FALSE(HasFatalFailure());
    ExpectLive(*a, *b, id);
    b->Send(Leave());
    EXPECT_EQ(KindOf(a->Read()), "peerLeft:LEFT");
    EXPECT_EQ(b->WaitClose(), 1000);
    a->Close();
  }

  // Sets up every kind of live session.
  void OpenSessions(Sessions& out) {
    out.negotiated_acceptor = Acceptor("kiosk-1", kJson);
    ASSERT_TRUE(out.negotiated_acceptor);
    out.negotiated_offerer = Offerer("kiosk-1", kProto, out.negotiated_acceptor.get());
    ASSERT_TRUE(out.negotiated_offerer);
    Negotiate(*out.negotiated_acceptor, *out.negotiated_offerer);
    ASSERT_FALSE(HasFatalFailure());
    out.paired_acceptor = Acceptor("kiosk-2", kProto);
    ASSERT_TRUE(out.paired_acceptor);
    out.paired_offerer = Offerer("kiosk-2", kJson, out.paired_acceptor.get());
    ASSERT_TRUE(out.paired_offerer);
    out.lone_acceptor = Acceptor("kiosk-3", kJson);
    ASSERT_TRUE(out.lone_acceptor);
    out.waiting_offerer = Offerer("kiosk-absent", kProto, nullptr, /*wait_ms=*/30000);
    ASSERT_TRUE(out.waiting_offerer);
    out.unjoined = s_.Connect(kJson);
    ASSERT_TRUE(out.unjoined);
    ASSERT_FALSE(HasFatalFailure());
    // What the matching service holds now, exactly.
    std::optional<v1::Stats> m;
    WaitFor([&] { return (m = s_.MatchingStats()) && m->sessions() == 7; }, absl::Seconds(5),
            absl::Milliseconds(20));
    ASSERT_TRUE(m);
    EXPECT_EQ(m->sessions(), 7u);
    EXPECT_EQ(m->ids(), 3u);
    EXPECT_EQ(m->pairings(), 2u);
    EXPECT_EQ(m->waiting_offerers(), 1u);
    EXPECT_EQ(s_.Metric(s_.gateway_admin, "signaling_gateway_connections"), 7.0);
  }

  // The gateway's connection gauge reaches zero (bounded poll).
  void ExpectGatewayConnectionsZero() {
    std::optional<double> connections;
    WaitFor(
        [&] {
          return (connections = s_.Metric(s_.gateway_admin, "signaling_gateway_connections")) ==
                 0.0;
        },
        absl::Seconds(10), absl::Milliseconds(50));
    EXPECT_EQ(connections, 0.0) << "the gateway leaked connections after the fault";
  }

  ProcessStack s_;
};

// ---------------------------------------------------------------------------
// The auth service killed and restarted.

TEST_F(FaultTest, AuthKilledJoinsFailUnavailable1013LivePairingsUnaffected) {
  auto a = Acceptor("kiosk-1", kJson);
  ASSERT_TRUE(a);
  auto b = Offerer("kiosk-1", kProto, a.get());
  ASSERT_TRUE(b);
  Negotiate(*a, *b);
  ASSERT_FALSE(HasFatalFailure());

  s_.auth.Signal(SIGKILL);
  const auto status = s_.auth.WaitExitStatus(absl::Seconds(5));
  ASSERT_TRUE(status.has_value()) << "auth did not die";
  ASSERT_TRUE(WIFSIGNALED(*status) && WTERMSIG(*status) == SIGKILL) << DescribeStatus(status);

  // A join while the verifier is down fails closed: UNAVAILABLE, then 1013
  // (section 5; section 9's join-refusal table), over both subprotocols.
  for (const char* subprotocol : {kJson, kProto}) {
    SCOPED_TRACE(subprotocol);
    auto c = s_.Connect(subprotocol);
    ASSERT_TRUE(c);
    c->Send(JoinAcceptor(s_.Token("owner-kiosk-2", {"kiosk-2"}, {}), "kiosk-2"));
    EXPECT_EQ(Transcript(*c), "error:UNAVAILABLE close:1013");
  }
  // A refresh while it is down is refused with UNAVAILABLE, not fatally.
  a->Send(Refresh(s_.Token("owner-kiosk-1", {"kiosk-1"}, {})));
  EXPECT_EQ(KindOf(a->Read(absl::Seconds(10))), "error:UNAVAILABLE");

  // The pairing made before the kill never needed the verifier again.
  ExpectLive(*a, *b, "while auth is down");
  ASSERT_FALSE(HasFatalFailure());

  ASSERT_TRUE(s_.StartAuth());
  // Joins succeed again once the verifier is back (the matching service's
  // channel reconnects on its own backoff: poll, bounded).
  // Each refused attempt must be refused exactly as while auth was down; the
  // first other answer ends the wait.
  std::unique_ptr<WsClient> again;
  std::string last;
  WaitFor(
      [&] {
        auto c = s_.Connect(kJson);
        if (!c) return true;  // Connect reported the failure
        c->Send(JoinAcceptor(s_.Token("owner-kiosk-2", {"kiosk-2"}, {}), "kiosk-2"));
        last = KindOf(c->Read(absl::Seconds(10)));
        if (last == "joined") {
          again = std::move(c);
          return true;
        }
        last += " " + Transcript(*c);
        EXPECT_EQ(last, "error:UNAVAILABLE close:1013");
        return last != "error:UNAVAILABLE close:1013";
      },
      absl::Seconds(30), absl::Milliseconds(200));
  ASSERT_TRUE(again) << "joins did not recover after auth came back; last: " << last;
  auto b2 = Offerer("kiosk-2", kProto, again.get());
  ASSERT_TRUE(b2);
  Negotiate(*again, *b2);
  ASSERT_FALSE(HasFatalFailure());
  // The refresh works again, silently (section 9).
  a->Send(Refresh(s_.Token("owner-kiosk-1", {"kiosk-1"}, {})));
  ExpectLive(*a, *b, "after auth restart");

  b->Send(Leave());
  EXPECT_EQ(KindOf(a->Read()), "peerLeft:LEFT");
  EXPECT_EQ(b->WaitClose(), 1000);
  b2->Send(Leave());
  EXPECT_EQ(KindOf(again->Read()), "peerLeft:LEFT");
  EXPECT_EQ(b2->WaitClose(), 1000);
  a->Close();
  again->Close();
  EXPECT_TRUE(s_.WaitForZero()) << s_.DescribeState();
}

// ---------------------------------------------------------------------------
// The matching service killed or stopped under live sessions.

// Every client of every kind gets `expected` (its messages, then the close).
void ExpectEveryClient(Sessions& sessions, const std::string& expected) {
  for (auto [label, client] : sessions.All()) {
    EXPECT_EQ(Transcript(*client), expected) << label;
  }
}

TEST_F(FaultTest, MatchingKilledClosesEverySessionUnavailable1013ThenRecovers) {
  Sessions sessions;
  OpenSessions(sessions);
  ASSERT_FALSE(HasFatalFailure());
  const pid_t gateway_pid = s_.gateway.pid();

  s_.matching.Signal(SIGKILL);
  const auto status = s_.matching.WaitExitStatus(absl::Seconds(5));
  ASSERT_TRUE(status.has_value()) << "matching did not die";

  // A dependency down: error UNAVAILABLE, then close 1013 (section 7).
  ExpectEveryClient(sessions, "error:UNAVAILABLE close:1013");
  ExpectGatewayConnectionsZero();
  EXPECT_EQ(s_.Metric(s_.gateway_admin, "signaling_gateway_matching_connected"), 0.0);
  EXPECT_TRUE(s_.WaitReady(s_.gateway_admin, 503, absl::Seconds(5)));

  // A client arriving while matching is down is refused the same way.
  auto late = s_.Connect(kJson);
  ASSERT_TRUE(late);
  EXPECT_EQ(Transcript(*late), "error:UNAVAILABLE close:1013");
  ExpectGatewayConnectionsZero();

  ASSERT_TRUE(s_.StartMatching());
  ASSERT_TRUE(s_.WaitReady(s_.gateway_admin, 200, absl::Seconds(20)))
      << "the gateway did not reconnect to the restarted matching service";
  EXPECT_EQ(s_.gateway.pid(), gateway_pid);
  ExpectNewPairingWorks("kiosk-1");
  EXPECT_TRUE(s_.WaitForZero()) << s_.DescribeState();
  EXPECT_FALSE(s_.gateway.WaitExitStatus(absl::ZeroDuration()).has_value()) << "gateway died";
}

TEST_F(FaultTest, MatchingStoppedGracefullyGivesEverySessionGoAway1001ThenRecovers) {
  // Section 7: 1001 is going away, after goAway. Paired or not, every
  // session ends alike: no peerLeft, no offerer's 1000.
  Sessions sessions;
  OpenSessions(sessions);
  ASSERT_FALSE(HasFatalFailure());
  const pid_t gateway_pid = s_.gateway.pid();

  s_.matching.Signal(SIGTERM);
  ExpectEveryClient(sessions, "goAway close:1001");
  const auto status = s_.matching.WaitExitStatus(absl::Seconds(15));
  ASSERT_TRUE(status.has_value()) << "matching did not stop";
  EXPECT_TRUE(WIFEXITED(*status) && WEXITSTATUS(*status) == 0) << DescribeStatus(status);
  ExpectGatewayConnectionsZero();
  EXPECT_EQ(s_.Metric(s_.gateway_admin, "signaling_gateway_matching_connected"), 0.0);

  // While it is down, a new client gets UNAVAILABLE + 1013.
  auto late = s_.Connect(kProto);
  ASSERT_TRUE(late);
  EXPECT_EQ(Transcript(*late), "error:UNAVAILABLE close:1013");

  ASSERT_TRUE(s_.StartMatching());
  ASSERT_TRUE(s_.WaitReady(s_.gateway_admin, 200, absl::Seconds(20)))
      << "the gateway did not reconnect to the restarted matching service";
  EXPECT_EQ(s_.gateway.pid(), gateway_pid);
  ExpectNewPairingWorks("kiosk-1");
  EXPECT_TRUE(s_.WaitForZero()) << s_.DescribeState();
}

}  // namespace
}  // namespace signaling::testing
