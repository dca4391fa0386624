// redis::Connection against a real redis-server: replies of every type,
// pipelines in order, AUTH with a password and an ACL user, and bounded
// waits when the server is gone or hung.
#include "common/redis/connection.h"

#include "absl/strings/match.h"
#include "gtest/gtest.h"
#include "tests/common/redis/redis_server.h"

namespace signaling::redis {
namespace {

using testing::RedisServer;

absl::Time In(absl::Duration d) { return absl::Now() + d; }

std::unique_ptr<Connection> MustOpen(const RedisServer& server, ConnectionOptions options = {}) {
  auto endpoint = ParseEndpoint(server.address());
  EXPECT_TRUE(endpoint.ok()) << endpoint.status();
  auto connection = Connection::Open(*endpoint, options, In(absl::Seconds(2)));
  EXPECT_TRUE(connection.ok()) << connection.status();
  return connection.ok() ? *std::move(connection) : nullptr;
}

TEST(ParseEndpointTest, HostPortAndBracketedV6) {
  auto v4 = ParseEndpoint("127.0.0.1:6379");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4->host, "127.0.0.1");
  EXPECT_EQ(v4->port, 6379);
  auto v6 = ParseEndpoint("[::1]:7000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->ToString(), "[::1]:7000");
  for (const char* bad :
       {"", "redis", ":6379", "host:", "host:0", "host:65536", "host:12x", "::1:6379"}) {
    EXPECT_FALSE(ParseEndpoint(bad).ok()) << bad;
  }
}

TEST(ConnectionTest, RepliesOfEveryTypeInPipelineOrder) {
  RedisServer server;
  ASSERT_TRUE(server.up()) << testing::ReadFile(server.log_path());
  auto connection = MustOpen(server);
  ASSERT_NE(connection, nullptr);
  auto replies = connection->Pipeline({{"SET", "k", std::string("a\0b", 3)},
                                       {"GET", "k"},
                                       {"GET", "absent"},
                                       {"INCR", "n"},
                                       {"RPUSH", "l", "x", "y"},
                                       {"LRANGE", "l", "0", "-1"},
                                       {"INCR", "k"}},
                                      In(absl::Seconds(2)));
  ASSERT_TRUE(replies.ok()) << replies.status();
  ASSERT_EQ(replies->size(), 7u);
  EXPECT_EQ((*replies)[0].type, Reply::Type::kStatus);
  EXPECT_EQ((*replies)[0].text, "OK");
  EXPECT_EQ((*replies)[1].type, Reply::Type::kString);
  EXPECT_EQ((*replies)[1].text, std::string("a\0b", 3));  // binary-safe
  EXPECT_TRUE((*replies)[2].is_nil());
  EXPECT_EQ((*replies)[3].integer, 1);
  EXPECT_EQ((*replies)[4].integer, 2);
  EXPECT_EQ((*replies)[5].DebugString(), "[x, y]");
  EXPECT_TRUE((*replies)[6].is_error()) << (*replies)[6].DebugString();
  EXPECT_TRUE(connection->ok()) << "an error reply does not spend the connection";
  auto ping = connection->Run({"PING"}, In(absl::Seconds(2)));
  ASSERT_TRUE(ping.ok());
  EXPECT_EQ(ping->text, "PONG");
}

TEST(ConnectionTest, AuthWithPasswordAndAclUser) {
  RedisServer server({"--requirepass", "s3cret", "--user", "gw", "on", ">gwpass", "~*", "+@all"});
  ASSERT_TRUE(server.up());
  auto endpoint = ParseEndpoint(server.address());
  ASSERT_TRUE(endpoint.ok());

  auto none = Connection::Open(*endpoint, {}, In(absl::Seconds(2)));
  ASSERT_TRUE(none.ok()) << "AUTH is not sent without a password";
  auto refused = (*none)->Run({"GET", "k"}, In(absl::Seconds(2)));
  ASSERT_TRUE(refused.ok());
  EXPECT_TRUE(absl::StartsWith(refused->text, "NOAUTH")) << refused->DebugString();

  ConnectionOptions wrong;
  wrong.password = "guess";
  auto denied = Connection::Open(*endpoint, wrong, In(absl::Seconds(2)));
  EXPECT_EQ(denied.status().code(), absl::StatusCode::kPermissionDenied);
  EXPECT_FALSE(absl::StrContains(denied.status().message(), "guess")) << denied.status();

  ConnectionOptions password;
  password.password = "s3cret";
  ASSERT_NE(MustOpen(server, password), nullptr);
  ConnectionOptions acl;
  acl.user = "gw";
  acl.password = "gwpass";
  auto as_user = MustOpen(server, acl);
  ASSERT_NE(as_user, nullptr);
  auto whoami = as_user->Run({"ACL", "WHOAMI"}, In(absl::Seconds(2)));
  ASSERT_TRUE(whoami.ok());
  EXPECT_EQ(whoami->text, "gw");
}

TEST(ConnectionTest, NobodyListeningFailsWithinTheDeadline) {
  RedisServer server;
  ASSERT_TRUE(server.up());
  server.Kill();
  auto endpoint = ParseEndpoint(server.address());
  ASSERT_TRUE(endpoint.ok());
  const absl::Time start = absl::Now();
  auto connection = Connection::Open(*endpoint, {}, In(absl::Milliseconds(300)));
  EXPECT_EQ(connection.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
}

TEST(ConnectionTest, AHungServerSpendsTheConnectionAtItsDeadline) {
  RedisServer server;
  ASSERT_TRUE(server.up());
  auto connection = MustOpen(server);
  ASSERT_NE(connection, nullptr);
  server.Pause();
  const absl::Time start = absl::Now();
  auto reply = connection->Run({"PING"}, In(absl::Milliseconds(300)));
  const absl::Duration took = absl::Now() - start;
  server.Resume();
  EXPECT_EQ(reply.status().code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(reply.status().message(), "timed out")) << reply.status();
  EXPECT_GE(took, absl::Milliseconds(250));
  EXPECT_LT(took, absl::Seconds(2));
  EXPECT_FALSE(connection->ok());
  // Spent: the next call fails at once, even with the server back.
  auto again = connection->Run({"PING"}, In(absl::Seconds(2)));
  EXPECT_EQ(again.status().code(), absl::StatusCode::kUnavailable);
}

}  // namespace
}  // namespace signaling::redis
