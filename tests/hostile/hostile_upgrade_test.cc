// Hostile HTTP upgrades against the real gateway: missing or look-alike
// Origin (403), oversized headers (431), wrong version (426), no key or
// only unknown subprotocols (400), wrong path (404). Each case asserts the
// exact status of protocol-v1 section 6 and docs/protocol.md section 9,
// then that the stack is healthy (hostile_fixture.h).
#include <string>

#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "tests/hostile/hostile_fixture.h"

namespace signaling::testing {
namespace {

TEST_F(HostileTest, UpgradeWithoutOriginIs403) {
  EXPECT_EQ(Status(Request(Without(DefaultHeaders(), "Origin"))), 403);
}

TEST_F(HostileTest, UpgradeWithNullOriginIs403) {
  EXPECT_EQ(Status(Request(With(DefaultHeaders(), "Origin", "null"))), 403);
}

TEST_F(HostileTest, UpgradeWithLookAlikeOriginsIs403) {
  for (const char* origin : {"http://127.0.0.1.evil.com", "http://127.0.0.1:8080",
                             "https://127.0.0.1", "HTTP://127.0.0.1/", "http://127.0.0.1/x"}) {
    SCOPED_TRACE(origin);
    EXPECT_EQ(Status(Request(With(DefaultHeaders(), "Origin", origin))), 403);
  }
}

TEST_F(HostileTest, TwoThousandHeadersIs431) {
  Headers h = DefaultHeaders();
  for (int i = 0; i < 2000; ++i) h.emplace_back(absl::StrCat("X-H-", i), "v");
  EXPECT_EQ(Status(Request(h)), 431);
}

TEST_F(HostileTest, OneHeaderOver8KiBIs431) {
  EXPECT_EQ(Status(Request(With(DefaultHeaders(), "X-Big", std::string(8 * 1024 + 1, 'a')))), 431);
}

TEST_F(HostileTest, WrongWebSocketVersionIsRefusedWithoutUpgrade) {
  Raw raw(port());
  raw.Write(Request(With(DefaultHeaders(), "Sec-WebSocket-Version", "12")));
  const int status = raw.ReadHttpStatus();
  // Beast answers 426 Upgrade Required with Sec-WebSocket-Version: 13.
  EXPECT_EQ(status, 426) << raw.head();
  EXPECT_NE(status, 101);
}

TEST_F(HostileTest, MissingWebSocketKeyIs400) {
  EXPECT_EQ(Status(Request(Without(DefaultHeaders(), "Sec-WebSocket-Key"))), 400);
}

TEST_F(HostileTest, OnlyUnknownSubprotocolsIs400) {
  EXPECT_EQ(Status(Request(With(DefaultHeaders(), "Sec-WebSocket-Protocol", "chat, superchat"))),
            400);
}

TEST_F(HostileTest, WrongPathIs404) {
  EXPECT_EQ(Status(Request(DefaultHeaders(), "/v1/other")), 404);
  EXPECT_EQ(Status(Request(DefaultHeaders(), "/v1/signal/../admin")), 404);
}

}  // namespace
}  // namespace signaling::testing
