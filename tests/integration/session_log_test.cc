// Session lines end to end: the real gateway and matching binaries at
// --log_level debug, one pairing through them, and their logs read back.
// Each session's life is on both sides as structured fields under the same
// hashed session id, and no line carries a raw id, a token, an SDP or a
// full client IP.
#include <map>
#include <memory>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/str_split.h"
#include "common/log/redact.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/integration/process_stack.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {
namespace {

using nlohmann::json;

// The lines of a log file that are events, parsed.
std::vector<json> Events(const std::string& path) {
  std::vector<json> events;
  for (absl::string_view line : absl::StrSplit(ReadFile(path), '\n', absl::SkipEmpty())) {
    json j = json::parse(line, nullptr, false);
    if (j.is_object() && j.contains("event")) events.push_back(std::move(j));
  }
  return events;
}

// The one event `name` of session `tag`; a failure (and {}) unless there is
// exactly one.
json One(const std::vector<json>& events, const std::string& name, const std::string& tag,
         const std::string& side) {
  std::vector<json> found;
  for (const json& e : events) {
    if (e["event"] == name && e.value("session", "") == tag) found.push_back(e);
  }
  EXPECT_EQ(found.size(), 1u) << side << ": " << name << " of " << tag;
  return found.size() == 1 ? found[0] : json::object();
}

TEST(SessionLogTest, BothSidesLogEachSessionUnderTheSameHashedId) {
  ProcessStackOptions options;
  options.gateway_flags = {"--log_level=debug"};
  options.matching_flags = {"--log_level=debug"};
  ProcessStack s(options);
  ASSERT_TRUE(s.Start());

  const std::string acceptor_token = s.Token("owner-kiosk-7", {"kiosk-7"}, {});
  const std::string offerer_token = s.Token("user-kiosk-7", {}, {"kiosk-*"});
  auto a = s.Connect();
  ASSERT_TRUE(a);
  a->Send(JoinAcceptor(acceptor_token, "kiosk-7"));
  auto joined_a = a->Read();
  ASSERT_EQ(KindOf(joined_a), "joined");
  a->Send(Offer(kTestOffer));  // an acceptor never offers: refused, not fatal
  ASSERT_EQ(KindOf(a->Read()), "error:INVALID_STATE");
  auto b = s.Connect();
  ASSERT_TRUE(b);
  b->Send(JoinOfferer(offerer_token, "kiosk-7"));
  auto joined_b = b->Read();
  ASSERT_EQ(KindOf(joined_b), "joined");
  ASSERT_EQ(KindOf(a->Read()), "paired");
  ASSERT_EQ(KindOf(b->Read()), "paired");
  b->Send(Offer(kTestOffer));
  ASSERT_EQ(KindOf(a->Read()), "offer");
  a->Send(Answer(kTestAnswer));
  ASSERT_EQ(KindOf(b->Read()), "answer");
  b->Send(Leave());
  ASSERT_EQ(KindOf(a->Read()), "peerLeft:LEFT");
  ASSERT_EQ(b->WaitClose(), 1000);
  a->Close(1000);
  ASSERT_TRUE(s.WaitForZero()) << s.DescribeState();

  const std::string id_a = joined_a->joined().session_id();
  const std::string id_b = joined_b->joined().session_id();
  const std::string tag_a = log::Redact(id_a), tag_b = log::Redact(id_b);
  const std::vector<json> gateway = Events(s.dir() + "/gateway.log");
  const std::vector<json> matching = Events(s.dir() + "/matching.log");

  // Matching: opened, joined (role, hashed id), paired (hashed peer
  // session), refused (code), ended (code, cause, duration, in/out).
  for (const auto& [tag, peer, role] :
       {std::tuple{tag_a, tag_b, "ACCEPTOR"}, std::tuple{tag_b, tag_a, "OFFERER"}}) {
    EXPECT_EQ(One(matching, "session.opened", tag, "matching").value("ip", ""), "127.0.0.0/24");
    const json joined = One(matching, "session.joined", tag, "matching");
    EXPECT_EQ(joined.value("role", ""), role);
    EXPECT_EQ(joined.value("id", ""), log::Redact("kiosk-7"));
    EXPECT_EQ(One(matching, "session.paired", tag, "matching").value("peer_session", ""), peer);
  }
  EXPECT_EQ(One(matching, "session.refused", tag_a, "matching").value("code", ""), "INVALID_STATE");
  const json m_end_a = One(matching, "session.ended", tag_a, "matching");
  const json m_end_b = One(matching, "session.ended", tag_b, "matching");
  EXPECT_EQ(m_end_a.value("cause", ""), "transport closed");
  EXPECT_EQ(m_end_b.value("code", 0), 1000);
  EXPECT_EQ(m_end_b.value("cause", ""), "left");

  // Gateway: opened (conn, redacted IP), joined (the same hash, role), ended.
  std::map<std::string, int64_t> conn_of;
  for (const auto& [tag, role] : {std::pair{tag_a, "ACCEPTOR"}, std::pair{tag_b, "OFFERER"}}) {
    const json joined = One(gateway, "session.joined", tag, "gateway");
    EXPECT_EQ(joined.value("role", ""), role);
    conn_of[tag] = joined.value("conn", int64_t{-1});
    bool opened = false;
    for (const json& e : gateway) {
      if (e["event"] == "session.opened" && e.value("conn", int64_t{-2}) == conn_of[tag]) {
        opened = true;
        EXPECT_EQ(e.value("ip", ""), "127.0.0.0/24");
      }
    }
    EXPECT_TRUE(opened) << "no session.opened for conn " << conn_of[tag];
  }
  const json g_end_a = One(gateway, "session.ended", tag_a, "gateway");
  const json g_end_b = One(gateway, "session.ended", tag_b, "gateway");
  EXPECT_EQ(g_end_a.value("code", 0), 1000);
  EXPECT_EQ(g_end_a.value("cause", ""), "closed by the client");
  EXPECT_EQ(g_end_b.value("code", 0), 1000);
  EXPECT_EQ(g_end_b.value("cause", ""), "left");
  EXPECT_EQ(g_end_a.value("conn", int64_t{-1}), conn_of[tag_a]);

  // Messages counted alike on both sides: a sent join, offer, answer and got
  // joined, error, paired, offer, peerLeft; b sent join, offer, leave and
  // got joined, paired, answer.
  for (const json* e : {&m_end_a, &g_end_a}) {
    EXPECT_EQ(e->value("in", 0), 3) << *e;
    EXPECT_EQ(e->value("out", 0), 5) << *e;
  }
  for (const json* e : {&m_end_b, &g_end_b}) {
    EXPECT_EQ(e->value("in", 0), 3) << *e;
    EXPECT_EQ(e->value("out", 0), 3) << *e;
  }
  for (const json* e : {&m_end_a, &m_end_b, &g_end_a, &g_end_b}) {
    EXPECT_TRUE((*e)["duration_ms"].is_number_integer()) << *e;
    EXPECT_GE(e->value("duration_ms", -1), 0) << *e;
  }

  // Nothing that identifies or authenticates anyone, on any line.
  for (const char* name : {"gateway", "matching", "auth"}) {
    const std::string text = ReadFile(s.dir() + "/" + name + ".log");
    for (const std::string& secret :
         {id_a, id_b, acceptor_token, offerer_token, std::string("kiosk-7"),
          std::string("owner-kiosk-7"), std::string("a=ice-ufrag"), std::string("127.0.0.1\"")}) {
      EXPECT_EQ(text.find(secret), std::string::npos) << name << ".log holds " << secret;
    }
  }
}

}  // namespace
}  // namespace signaling::testing
