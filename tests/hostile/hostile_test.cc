// Hostile clients against the real stack (auth, matching, gateway on
// loopback): malformed HTTP upgrades, hand-built WebSocket frames, bad JSON,
// bad SDP and candidates, forged tokens, and resource abuse. Every case
// asserts the exact status / error / close code of protocol-v1 sections 6-7
// and docs/protocol.md section 9, then that a normal client can still join
// and that every piece of state returns to zero.
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <fstream>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "boost/asio.hpp"
#include "common/codec/codec.h"
#include "gtest/gtest.h"
#include "services/auth/jwt.h"
#include "tests/integration/stack.h"
#include "tests/integration/ws_client.h"

namespace signaling::testing {

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

std::string KindOf(const absl::StatusOr<v1::ServerMessage>& m) {
  if (!m.ok()) return "<" + std::string(m.status().message()) + ">";
  switch (m->kind_case()) {
    case v1::ServerMessage::kJoined: return "joined";
    case v1::ServerMessage::kPaired: return "paired";
    case v1::ServerMessage::kOffer: return "offer";
    case v1::ServerMessage::kAnswer: return "answer";
    case v1::ServerMessage::kIceCandidate: return "iceCandidate";
    case v1::ServerMessage::kPeerLeft:
      return "peerLeft:" + v1::PeerLeft::Reason_Name(m->peer_left().reason());
    case v1::ServerMessage::kError: return "error:" + v1::Error::Code_Name(m->error().code());
    case v1::ServerMessage::kGoAway: return "goAway";
    case v1::ServerMessage::kPong: return "pong";
    default: return "?";
  }
}

std::string CodeText(std::optional<uint16_t> code) {
  return code ? std::to_string(*code) : std::string("none (timeout)");
}

v1::ClientMessage Ping(const std::string& nonce = "n") {
  v1::ClientMessage m;
  m.mutable_ping()->set_nonce(nonce);
  return m;
}

constexpr char kCandidate[] = "candidate:1 1 udp 2122260223 192.0.2.10 54400 typ host";
constexpr char kKey[] = "dGhlIHNhbXBsZSBub25jZQ==";

// ---------------------------------------------------------------------------
// A raw TCP client: every operation bounded by a timeout (async operations
// run on a private io_context for at most that long).

struct Frame {
  uint8_t opcode = 0;
  bool fin = false;
  std::string payload;
};

std::string BuildFrame(uint8_t opcode, const std::string& payload, bool fin = true,
                       bool masked = true, uint8_t rsv = 0,
                       std::optional<uint64_t> length_override = std::nullopt) {
  std::string f;
  f.push_back(static_cast<char>((fin ? 0x80 : 0) | (rsv << 4) | opcode));
  const uint64_t len = length_override.value_or(payload.size());
  const uint8_t mask_bit = masked ? 0x80 : 0;
  if (len < 126 && !length_override) {
    f.push_back(static_cast<char>(mask_bit | len));
  } else if (len <= 0xFFFF && !length_override) {
    f.push_back(static_cast<char>(mask_bit | 126));
    f.push_back(static_cast<char>(len >> 8));
    f.push_back(static_cast<char>(len & 0xFF));
  } else {
    f.push_back(static_cast<char>(mask_bit | 127));
    for (int i = 7; i >= 0; --i) f.push_back(static_cast<char>((len >> (8 * i)) & 0xFF));
  }
  const uint8_t key[4] = {0x12, 0x34, 0x56, 0x78};
  if (masked) f.append(reinterpret_cast<const char*>(key), 4);
  for (size_t i = 0; i < payload.size(); ++i) {
    f.push_back(masked ? static_cast<char>(payload[i] ^ key[i % 4]) : payload[i]);
  }
  return f;
}

using Headers = std::vector<std::pair<std::string, std::string>>;

Headers DefaultHeaders() {
  return {{"Host", "127.0.0.1"},           {"Upgrade", "websocket"},
          {"Connection", "Upgrade"},       {"Sec-WebSocket-Key", kKey},
          {"Sec-WebSocket-Version", "13"}, {"Sec-WebSocket-Protocol", "signaling.v1.json"},
          {"Origin", "http://127.0.0.1"}};
}

Headers Without(Headers h, const std::string& name) {
  std::erase_if(h, [&](const auto& p) { return p.first == name; });
  return h;
}

Headers With(Headers h, const std::string& name, const std::string& value) {
  h = Without(std::move(h), name);
  h.emplace_back(name, value);
  return h;
}

std::string Request(const Headers& headers, const std::string& path = "/v1/signal") {
  std::string r = absl::StrCat("GET ", path, " HTTP/1.1\r\n");
  for (const auto& [n, v] : headers) absl::StrAppend(&r, n, ": ", v, "\r\n");
  r += "\r\n";
  return r;
}

class Raw {
 public:
  explicit Raw(uint16_t port, int rcvbuf = 0) {
    boost::system::error_code ec;
    sock_.open(tcp::v4(), ec);
    if (rcvbuf > 0) sock_.set_option(asio::socket_base::receive_buffer_size(rcvbuf), ec);
    sock_.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    connected_ = !ec;
  }
  bool connected() const { return connected_; }
  bool eof() const { return eof_; }

  // Writes all of `data`; false on error or timeout.
  bool Write(const std::string& data, absl::Duration timeout = absl::Seconds(5)) {
    bool done = false;
    boost::system::error_code ec;
    asio::async_write(sock_, asio::buffer(data), [&](auto e, size_t) {
      ec = e;
      done = true;
    });
    Run(done, timeout);
    return done && !ec;
  }

  // Reads more bytes into the buffer; false on EOF, error or timeout.
  bool ReadMore(absl::Duration timeout) {
    if (eof_) return false;
    bool done = false;
    boost::system::error_code ec;
    size_t n = 0;
    sock_.async_read_some(asio::buffer(chunk_), [&](auto e, size_t k) {
      ec = e;
      n = k;
      done = true;
    });
    Run(done, timeout);
    if (!done) return false;
    buf_.append(chunk_, n);
    if (ec) eof_ = true;
    return !ec;
  }

  // The status of the HTTP response; 0 when the connection ended or timed
  // out first. Consumes the response head.
  int ReadHttpStatus(absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (absl::Now() >= deadline || !ReadMore(deadline - absl::Now())) {
        if ((end = buf_.find("\r\n\r\n")) != std::string::npos) break;
        return 0;
      }
    }
    head_ = buf_.substr(0, end + 4);
    buf_.erase(0, end + 4);
    if (head_.size() < 12 || head_.compare(0, 5, "HTTP/") != 0) return -1;
    return std::atoi(head_.c_str() + 9);
  }
  const std::string& head() const { return head_; }

  // The next whole frame; nullopt on close of TCP or timeout.
  std::optional<Frame> ReadFrame(absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      if (auto f = ParseFrame()) return f;
      if (absl::Now() >= deadline || !ReadMore(deadline - absl::Now())) return ParseFrame();
    }
  }

  // Reads frames until the server's close frame; its code (1005 without a
  // code), 1006 when TCP ended without one, nullopt on timeout. Text frames
  // seen on the way are kept in texts().
  std::optional<uint16_t> WaitClose(absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      auto f = ReadFrame(std::max(deadline - absl::Now(), absl::ZeroDuration()));
      if (!f) {
        if (eof_) return 1006;
        return std::nullopt;
      }
      if (f->opcode == 0x8) {
        if (f->payload.size() < 2) return 1005;
        return static_cast<uint16_t>((uint8_t(f->payload[0]) << 8) | uint8_t(f->payload[1]));
      }
      if (f->opcode == 0x1) texts_.push_back(f->payload);
    }
  }

  // Writes `data` while reading concurrently (so a close frame is seen even
  // when the server stops reading), then waits for the close.
  std::optional<uint16_t> BlastAndWaitClose(const std::string& data,
                                            absl::Duration timeout = absl::Seconds(10)) {
    bool write_done = false;
    asio::async_write(sock_, asio::buffer(data), [&](auto, size_t) { write_done = true; });
    std::optional<uint16_t> code;
    const absl::Time deadline = absl::Now() + timeout;
    while (!code && absl::Now() < deadline && !eof_) {
      bool done = false;
      boost::system::error_code ec;
      size_t n = 0;
      sock_.async_read_some(asio::buffer(chunk_), [&](auto e, size_t k) {
        ec = e;
        n = k;
        done = true;
      });
      ioc_.restart();
      while (!done && absl::Now() < deadline) ioc_.run_one_for(std::chrono::milliseconds(50));
      if (!done) break;
      buf_.append(chunk_, n);
      if (ec) eof_ = true;
      while (auto f = ParseFrame()) {
        if (f->opcode == 0x8) {
          code =
              f->payload.size() < 2
                  ? 1005
                  : static_cast<uint16_t>((uint8_t(f->payload[0]) << 8) | uint8_t(f->payload[1]));
          break;
        }
        if (f->opcode == 0x1) texts_.push_back(f->payload);
      }
    }
    if (!code && eof_) code = 1006;
    boost::system::error_code ignored;
    sock_.close(ignored);
    ioc_.restart();
    ioc_.run_for(std::chrono::seconds(1));  // let the cancelled handlers finish
    (void)write_done;
    return code;
  }

  // Waits for the server to end the TCP connection; true if it did.
  bool WaitEof(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (!eof_ && absl::Now() < deadline) ReadMore(deadline - absl::Now());
    return eof_;
  }

  // A valid upgrade; true on 101.
  bool Upgrade(const Headers& headers = DefaultHeaders()) {
    return Write(Request(headers)) && ReadHttpStatus() == 101;
  }
  bool SendText(const std::string& json) { return Write(BuildFrame(0x1, json)); }
  // The next text frame, skipping control frames; nullopt at close/timeout.
  std::optional<std::string> ReadText(absl::Duration timeout = absl::Seconds(5)) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      auto f = ReadFrame(std::max(deadline - absl::Now(), absl::ZeroDuration()));
      if (!f || f->opcode == 0x8) return std::nullopt;
      if (f->opcode == 0x1) return f->payload;
    }
  }
  const std::vector<std::string>& texts() const { return texts_; }
  void Close() {
    boost::system::error_code ignored;
    sock_.close(ignored);
  }

 private:
  void Run(bool& done, absl::Duration timeout) {
    ioc_.restart();
    ioc_.run_for(
        std::chrono::milliseconds(std::max<int64_t>(1, absl::ToInt64Milliseconds(timeout))));
    if (!done) {
      boost::system::error_code ignored;
      sock_.cancel(ignored);
      ioc_.restart();
      ioc_.run();
      done = false;
    }
  }

  std::optional<Frame> ParseFrame() {
    if (buf_.size() < 2) return std::nullopt;
    const uint8_t b0 = buf_[0], b1 = buf_[1];
    size_t pos = 2;
    uint64_t len = b1 & 0x7F;
    if (len == 126) {
      if (buf_.size() < 4) return std::nullopt;
      len = (uint8_t(buf_[2]) << 8) | uint8_t(buf_[3]);
      pos = 4;
    } else if (len == 127) {
      if (buf_.size() < 10) return std::nullopt;
      len = 0;
      for (int i = 0; i < 8; ++i) len = (len << 8) | uint8_t(buf_[2 + i]);
      pos = 10;
    }
    if (b1 & 0x80) pos += 4;  // servers must not mask; tolerate it
    if (buf_.size() < pos + len) return std::nullopt;
    Frame f;
    f.fin = b0 & 0x80;
    f.opcode = b0 & 0x0F;
    f.payload = buf_.substr(pos, len);
    buf_.erase(0, pos + len);
    return f;
  }

  asio::io_context ioc_;
  tcp::socket sock_{ioc_};
  bool connected_ = false;
  bool eof_ = false;
  std::string buf_;
  std::string head_;
  char chunk_[65536];
  std::vector<std::string> texts_;
};

std::string ErrorCodeOf(const std::string& json) {
  auto m = codec::DecodeServerJson(json);
  return KindOf(m);
}

// A raw connection joined with JSON; the first reply's kind.
std::string RawJoin(Raw& raw, const std::string& json) {
  if (!raw.Upgrade()) return "<upgrade failed: " + raw.head() + ">";
  raw.SendText(json);
  auto text = raw.ReadText();
  return text ? ErrorCodeOf(*text) : "<closed>";
}

std::string JoinJson(const std::string& token, const std::string& role, const std::string& id) {
  nlohmann::json j = {{"join",
                       {{"sessionToken", token},
                        {"role", role},
                        {role == "ACCEPTOR" ? "peerId" : "targetId", id}}}};
  return j.dump();
}

std::string CandidateJson(const std::string& candidate) {
  nlohmann::json j = {
      {"iceCandidate", {{"candidate", candidate}, {"sdpMid", "0"}, {"sdpMLineIndex", 0}}}};
  return j.dump();
}

// ---------------------------------------------------------------------------
// Health: a normal client can still join, then every counter returns to 0.

std::atomic<int> health_counter{0};

void ExpectHealthy(Stack& stack) {
  {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << "health: " << c.status();
    const std::string id = absl::StrCat("health-", health_counter++);
    (*c)->Send(JoinAcceptor(stack.Token("health-owner", {"health-*"}, {}), id));
    auto joined = (*c)->Read();
    EXPECT_EQ(KindOf(joined), "joined") << "health check join";
    (*c)->Close();
  }
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

void RaiseAuthThrottle(matching::MatchingServerOptions& o) {
  o.limits.auth_throttle.free_failures = 100000;
  o.limits.auth_throttle.lockout_failures = 1000000;
}

// One stack for the cases that run on the default configuration (the only
// change: auth-failure throttling raised so forged tokens are answered at
// once, and 50+ failures from 127.0.0.1 do not lock the next case out).
class HostileTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { stack_ = new Stack(StackOptions{.matching = RaiseAuthThrottle}); }
  static void TearDownTestSuite() {
    delete stack_;
    stack_ = nullptr;
  }
  void TearDown() override {
    clients_.clear();
    ExpectHealthy(*stack_);
  }

  Stack& stack() { return *stack_; }
  uint16_t port() { return stack_->gateway_port(); }

  WsClient& Connect() {
    auto c = WsClient::Connect(port());
    EXPECT_TRUE(c.ok()) << c.status();
    clients_.push_back(std::move(*c));
    return *clients_.back();
  }

  // A raw request's response status (0: connection ended without one).
  int Status(const std::string& request) {
    Raw raw(port());
    EXPECT_TRUE(raw.connected());
    raw.Write(request);
    const int status = raw.ReadHttpStatus();
    return status;
  }

  // A raw upgraded connection.
  std::unique_ptr<Raw> Upgraded() {
    auto raw = std::make_unique<Raw>(port());
    EXPECT_TRUE(raw->Upgrade()) << raw->head();
    return raw;
  }

  std::pair<WsClient*, WsClient*> Pair() {
    WsClient& a = Connect();
    a.Send(JoinAcceptor(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
    EXPECT_EQ(KindOf(a.Read()), "joined");
    WsClient& b = Connect();
    b.Send(JoinOfferer(stack().Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
    EXPECT_EQ(KindOf(b.Read()), "joined");
    EXPECT_EQ(KindOf(a.Read()), "paired");
    EXPECT_EQ(KindOf(b.Read()), "paired");
    return {&a, &b};
  }

  // Paired, with the 1-section test offer and answer exchanged.
  std::pair<WsClient*, WsClient*> Negotiated() {
    auto [a, b] = Pair();
    b->Send(Offer(kTestOffer));
    EXPECT_EQ(KindOf(a->Read()), "offer");
    a->Send(Answer(kTestAnswer));
    EXPECT_EQ(KindOf(b->Read()), "answer");
    return {a, b};
  }

  // `c` gets exactly `code` and stays usable (ping -> pong).
  void ExpectNonFatal(WsClient& c, const std::string& expected) {
    EXPECT_EQ(KindOf(c.Read()), expected);
    c.Send(Ping("after"));
    auto pong = c.Read();
    EXPECT_EQ(KindOf(pong), "pong") << "the refusal must not be fatal";
  }

  static Stack* stack_;
  std::vector<std::unique_ptr<WsClient>> clients_;
};

Stack* HostileTest::stack_ = nullptr;

// ===========================================================================
// HTTP upgrade

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

TEST(HostileSlowloris, HeaderOneByteAtATimeIsCutOffAfterTheUpgradeTimeout) {
  Stack stack(StackOptions{
      .gateway = [](gateway::GatewayOptions& g) { g.upgrade_timeout = absl::Seconds(1); }});
  Raw raw(stack.gateway_port());
  ASSERT_TRUE(raw.connected());
  const std::string request = Request(DefaultHeaders());
  const absl::Time start = absl::Now();
  bool closed = false;
  for (size_t i = 0; i < request.size() - 2 && absl::Now() - start < absl::Seconds(6); ++i) {
    if (!raw.Write(request.substr(i, 1), absl::Milliseconds(500))) {
      closed = true;
      break;
    }
    raw.ReadMore(absl::Milliseconds(250));  // one byte per 250 ms
    if (raw.eof()) {
      closed = true;
      break;
    }
  }
  if (!closed) closed = raw.WaitEof(absl::Seconds(1));
  const absl::Duration took = absl::Now() - start;
  EXPECT_TRUE(closed) << "the server kept a slowloris connection open for " << took;
  EXPECT_LT(took, absl::Seconds(3)) << "closed only after " << took;
  EXPECT_EQ(raw.ReadHttpStatus(absl::ZeroDuration()) == 101, false);
  raw.Close();
  ExpectHealthy(stack);
}

// ===========================================================================
// Frames after a valid upgrade

TEST_F(HostileTest, Rsv1BitClosesWith1002) {
  auto raw = Upgraded();
  raw->Write(BuildFrame(0x1, "{}", true, true, /*rsv=*/4));
  EXPECT_EQ(CodeText(raw->WaitClose()), "1002");
}

TEST_F(HostileTest, UnmaskedClientFrameClosesWith1002) {
  auto raw = Upgraded();
  raw->Write(BuildFrame(0x1, R"({"ping":{}})", true, /*masked=*/false));
  EXPECT_EQ(CodeText(raw->WaitClose()), "1002");
}

TEST_F(HostileTest, TwoToThe63LengthClosesWith1009Or1002) {
  auto raw = Upgraded();
  raw->Write(BuildFrame(0x1, "", true, true, 0, uint64_t{1} << 63));
  const auto code = raw->WaitClose();
  EXPECT_TRUE(code == 1009 || code == 1002) << "close " << CodeText(code);
}

TEST_F(HostileTest, InvalidUtf8InTextFrameClosesWith1007) {
  auto raw = Upgraded();
  raw->Write(BuildFrame(0x1, "{\"ping\":{\"nonce\":\"\xff\xfe\xc0\x80\"}}"));
  EXPECT_EQ(CodeText(raw->WaitClose()), "1007");
}

TEST_F(HostileTest, NeverFinishedFragmentedMessageClosesWith1009) {
  auto raw = Upgraded();
  std::string data = BuildFrame(0x1, "{", /*fin=*/false);
  for (int i = 0; i < 100000; ++i) data += BuildFrame(0x0, " ", /*fin=*/false);
  EXPECT_EQ(CodeText(raw->BlastAndWaitClose(data)), "1009");
}

TEST_F(HostileTest, PingFloodClosesWith1008) {
  auto raw = Upgraded();
  std::string data;
  for (int i = 0; i < 500; ++i) data += BuildFrame(0x9, "p");
  EXPECT_EQ(CodeText(raw->BlastAndWaitClose(data)), "1008");
}

TEST_F(HostileTest, MessageOf65KiBClosesWith1009) {
  auto raw = Upgraded();
  std::string json = R"({"ping":{"nonce":")" + std::string(65 * 1024, 'a') + R"("}})";
  EXPECT_EQ(CodeText(raw->BlastAndWaitClose(BuildFrame(0x1, json))), "1009");
}

// ===========================================================================
// JSON: error INVALID_MESSAGE, then close 1007.

class HostileJsonTest : public HostileTest,
                        public ::testing::WithParamInterface<std::pair<const char*, std::string>> {
};

std::string Nested(int depth) {
  return std::string("{\"join\":") + std::string(depth, '[') + std::string(depth, ']') + "}";
}

INSTANTIATE_TEST_SUITE_P(
    Json, HostileJsonTest,
    ::testing::Values(
        std::make_pair("Malformed", std::string(R"({"join":{"role":"ACCEPTOR",)")),
        std::make_pair("NotAnObject", std::string(R"(["join"])")),
        std::make_pair("Nesting10000", Nested(10000)),
        std::make_pair("RawNulByte",
                       std::string("{\"join\":{\"role\":\"ACCEPTOR\",\"peerId\":\"a\0b\"}}", 41)),
        std::make_pair(
            "EscapedNulInPeerId",
            std::string(R"({"join":{"sessionToken":"x","role":"ACCEPTOR","peerId":"a\u0000b"}})")),
        std::make_pair("TwoKinds", std::string(R"({"ping":{},"leave":{}})")),
        std::make_pair("UnknownKind", std::string(R"({"hello":{}})")),
        std::make_pair(
            "WrongFieldTypes",
            std::string(R"({"join":{"sessionToken":5,"role":["ACCEPTOR"],"peerId":{}}})")),
        std::make_pair(
            "HugeNumber",
            std::string(
                R"({"join":{"sessionToken":"x","role":"OFFERER","targetId":"k","waitMs":1e400}})")),
        std::make_pair(
            "HugeInteger",
            std::string(
                R"({"join":{"sessionToken":"x","role":"OFFERER","targetId":"k","waitMs":99999999999999999999999999}})"))),
    [](const auto& info) { return std::string(info.param.first); });

TEST_P(HostileJsonTest, IsInvalidMessageThen1007) {
  auto raw = Upgraded();
  raw->SendText(GetParam().second);
  auto text = raw->ReadText();
  ASSERT_TRUE(text.has_value()) << "no error before the close";
  EXPECT_EQ(ErrorCodeOf(*text), "error:INVALID_MESSAGE") << *text;
  EXPECT_EQ(CodeText(raw->WaitClose()), "1007");
}

TEST_F(HostileTest, JsonBinaryFrameOnJsonSubprotocolIsInvalidMessageThen1007) {
  auto raw = Upgraded();
  raw->Write(BuildFrame(0x2, R"({"ping":{}})"));
  auto text = raw->ReadText();
  ASSERT_TRUE(text.has_value());
  EXPECT_EQ(ErrorCodeOf(*text), "error:INVALID_MESSAGE") << *text;
  EXPECT_EQ(CodeText(raw->WaitClose()), "1007");
}

TEST_F(HostileTest, MalformedJsonAfterJoinIsInvalidMessageThen1007) {
  auto [a, b] = Pair();
  b->SendRaw("{\"offer\":{\"sdp\":", true);
  EXPECT_EQ(KindOf(b->Read()), "error:INVALID_MESSAGE");
  EXPECT_EQ(CodeText(b->WaitClose()), "1007");
  EXPECT_EQ(KindOf(a->Read()), "peerLeft:DISCONNECTED");
}

// ===========================================================================
// SDP (paired): INVALID_SDP, not fatal.

std::string Replace(std::string s, const std::string& from, const std::string& to) {
  return absl::StrReplaceAll(s, {{from, to}});
}

std::string OutOfOrder() {
  // o= before v=.
  std::string s = kTestOffer;
  s = Replace(s, "v=0\r\n", "");
  const size_t pos = s.find("s=-\r\n");
  s.insert(pos, "v=0\r\n");
  return s;
}

class HostileSdpTest : public HostileTest,
                       public ::testing::WithParamInterface<std::pair<const char*, std::string>> {};

INSTANTIATE_TEST_SUITE_P(
    Sdp, HostileSdpTest,
    ::testing::Values(
        std::make_pair("BareM", Replace(kTestOffer, "t=0 0\r\n", "t=0 0\r\nm\r\n")),
        std::make_pair("BareA", Replace(kTestOffer, "a=mid:0\r\n", "a\r\na=mid:0\r\n")),
        std::make_pair("AttributeWithoutValue",
                       Replace(kTestOffer, "a=mid:0\r\n", "a=\r\na=mid:0\r\n")),
        std::make_pair("NulInValue", Replace(kTestOffer, "a=ice-ufrag:Xk9f",
                                             std::string("a=ice-ufrag:Xk\0f", 16))),
        std::make_pair(
            "PayloadType2To32",
            Replace(kTestOffer, "m=application 9 UDP/DTLS/SCTP webrtc-datachannel",
                    "m=audio 9 UDP/TLS/RTP/SAVPF 4294967296\r\na=rtpmap:4294967296 opus/48000/2")),
        std::make_pair("OutOfOrder", OutOfOrder()),
        std::make_pair("CrOnlyLineEnds", Replace(kTestOffer, "\r\n", "\r")),
        std::make_pair("Empty", std::string()),
        std::make_pair("AnswerAsOffer", std::string(kTestAnswer)),
        std::make_pair("NoMediaSection",
                       std::string(kTestOffer).substr(0, std::string(kTestOffer).find("m=")))),
    [](const auto& info) { return std::string(info.param.first); });

TEST_P(HostileSdpTest, IsInvalidSdpAndNotFatal) {
  auto [a, b] = Pair();
  b->Send(Offer(GetParam().second));
  ExpectNonFatal(*b, "error:INVALID_SDP");
  // Nothing was relayed to the acceptor.
  EXPECT_EQ(KindOf(a->Read(absl::Milliseconds(200))), "<no message>");
}

TEST_F(HostileTest, SdpWith100KiBBundleLineHitsTheMessageLimit1009) {
  // 100 KiB of SDP is over the 64 KiB WebSocket message limit, which the
  // gateway enforces before the SDP limits (32 KiB, 4 KiB a line) are ever
  // consulted: the result is close 1009, and the acceptor sees the offerer
  // disconnect. The offerer is raw so the close frame is read while the
  // oversized message is still being written.
  WsClient& a = Connect();
  a.Send(JoinAcceptor(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf(a.Read()), "joined");
  Raw b(port());
  ASSERT_EQ(RawJoin(b, JoinJson(stack().Token("user-42", {}, {"kiosk-*"}), "OFFERER", "kiosk-7")),
            "joined");
  ASSERT_EQ(KindOf(a.Read()), "paired");
  std::string group = "a=group:BUNDLE";
  while (group.size() < 100 * 1024) group += " 0";
  nlohmann::json offer = {{"offer", {{"sdp", Replace(kTestOffer, "a=group:BUNDLE 0", group)}}}};
  EXPECT_EQ(CodeText(b.BlastAndWaitClose(BuildFrame(0x1, offer.dump()))), "1009");
  EXPECT_EQ(KindOf(a.Read()), "peerLeft:DISCONNECTED");
}

TEST_F(HostileTest, SdpWith30KiBBundleLineIsInvalidSdp) {
  // Under the message limit, a line over 4 KiB is an SDP-level refusal.
  auto [a, b] = Pair();
  std::string group = "a=group:BUNDLE";
  while (group.size() < 30 * 1024) group += " 0";
  b->Send(Offer(Replace(kTestOffer, "a=group:BUNDLE 0", group)));
  ExpectNonFatal(*b, "error:INVALID_SDP");
}

TEST_F(HostileTest, ThreeHundredAttributesInOneSectionAreRelayed) {
  auto [a, b] = Pair();
  std::string extra;
  for (int i = 0; i < 300; ++i) absl::StrAppend(&extra, "a=x-hostile-", i, ":value", i, "\r\n");
  const std::string sdp = std::string(kTestOffer) + extra;
  b->Send(Offer(sdp));
  auto got = a->Read();
  ASSERT_EQ(KindOf(got), "offer");
  EXPECT_EQ(got->offer().sdp(), sdp);
}

// ===========================================================================
// Candidates (paired, after a 1-section offer/answer): INVALID_CANDIDATE.

std::string Extensions(int n) {
  std::string c = kCandidate;
  for (int i = 0; i < n; ++i) absl::StrAppend(&c, " x", i, " y");
  return c;
}

class HostileCandidateTest
    : public HostileTest,
      public ::testing::WithParamInterface<std::tuple<const char*, std::string, uint32_t>> {};

INSTANTIATE_TEST_SUITE_P(
    Candidates, HostileCandidateTest,
    ::testing::Values(
        std::make_tuple("Foundation33",
                        "candidate:" + std::string(33, 'f') +
                            " 1 udp 2122260223 192.0.2.10 54400 typ host",
                        0u),
        std::make_tuple("Component0",
                        std::string("candidate:1 0 udp 2122260223 192.0.2.10 54400 typ host"), 0u),
        std::make_tuple("Component257",
                        std::string("candidate:1 257 udp 2122260223 192.0.2.10 54400 typ host"),
                        0u),
        std::make_tuple("Priority2To32",
                        std::string("candidate:1 1 udp 4294967296 192.0.2.10 54400 typ host"), 0u),
        std::make_tuple("Port70000",
                        std::string("candidate:1 1 udp 2122260223 192.0.2.10 70000 typ host"), 0u),
        std::make_tuple(
            "RaddrWithoutRport",
            std::string("candidate:1 1 udp 1677729535 198.51.100.7 61000 typ srflx raddr 0.0.0.0"),
            0u),
        std::make_tuple("ThousandsOfExtensions", Extensions(3000), 0u),
        std::make_tuple("Extensions33", Extensions(33), 0u),
        std::make_tuple("MLineIndex99", std::string(kCandidate), 99u),
        std::make_tuple("Over1KiB", std::string(kCandidate) + " ufrag " + std::string(1024, 'u'),
                        0u)),
    [](const auto& info) { return std::string(std::get<0>(info.param)); });

TEST_P(HostileCandidateTest, IsInvalidCandidateAndNotFatal) {
  auto [a, b] = Negotiated();
  b->Send(Candidate(std::get<1>(GetParam()), std::get<2>(GetParam())));
  ExpectNonFatal(*b, "error:INVALID_CANDIDATE");
  EXPECT_EQ(KindOf(a->Read(absl::Milliseconds(200))), "<no message>");
}

// ===========================================================================
// Tokens: UNAUTHENTICATED + 4001, or PERMISSION_DENIED + 4003.

std::string B64(const std::string& s) { return absl::WebSafeBase64Escape(s); }

nlohmann::json Claims(int64_t exp_offset = 3600) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  return {{"sub", "kiosk-owner"},
          {"aud", "signaling"},
          {"exp", now + exp_offset},
          {"grants", {{"accept", {"kiosk-*"}}, {"offer", nlohmann::json::array()}}}};
}

class HostileTokenTest : public HostileTest {
 protected:
  auth::SigningKey DevKey() {
    auto key = auth::LoadSigningKey("dev", "HS256", stack().key_path());
    EXPECT_TRUE(key.ok()) << key.status();
    return *key;
  }
  std::string Sign(const auth::SigningKey& key, const nlohmann::json& claims,
                   const std::string& header_alg = "") {
    auto t = auth::SignJwt(key, claims, header_alg);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::string();
  }
  void ExpectRefused(const std::string& token, const std::string& error, uint16_t close,
                     const std::string& peer_id = "kiosk-7") {
    WsClient& c = Connect();
    c.Send(JoinAcceptor(token, peer_id));
    EXPECT_EQ(KindOf(c.Read()), error);
    EXPECT_EQ(CodeText(c.WaitClose()), std::to_string(close));
  }
  void ExpectUnauthenticated(const std::string& token) {
    ExpectRefused(token, "error:UNAUTHENTICATED", 4001);
  }
};

TEST_F(HostileTokenTest, ControlValidTokenJoins) {
  WsClient& c = Connect();
  c.Send(JoinAcceptor(Sign(DevKey(), Claims()), "kiosk-7"));
  EXPECT_EQ(KindOf(c.Read()), "joined");
}

TEST_F(HostileTokenTest, AlgNone) {
  const std::string token =
      B64(R"({"alg":"none","typ":"JWT","kid":"dev"})") + "." + B64(Claims().dump()) + ".";
  ExpectUnauthenticated(token);
  ExpectUnauthenticated(token.substr(0, token.size() - 1));  // no signature part at all
}

TEST_F(HostileTokenTest, Hs256UnderUnknownKid) {
  ExpectUnauthenticated(Sign({"rsa-prod", "HS256", std::string(32, 'k')}, Claims()));
}

TEST_F(HostileTokenTest, Rs256HeaderUnderHs256Kid) {
  // Signed with the real dev secret, but the header claims RS256.
  ExpectUnauthenticated(Sign(DevKey(), Claims(), "RS256"));
}

TEST_F(HostileTokenTest, ExpiredPastTheLeeway) {
  ExpectUnauthenticated(Sign(DevKey(), Claims(-40)));
  ExpectUnauthenticated(stack().Token("kiosk-owner", {"kiosk-*"}, {}, absl::Minutes(-5)));
}

TEST_F(HostileTokenTest, NotBeforeInTheFuture) {
  nlohmann::json c = Claims();
  c["nbf"] = absl::ToUnixSeconds(absl::Now()) + 600;
  ExpectUnauthenticated(Sign(DevKey(), c));
}

TEST_F(HostileTokenTest, WrongAudience) {
  nlohmann::json c = Claims();
  c["aud"] = "other";
  ExpectUnauthenticated(Sign(DevKey(), c));
}

TEST_F(HostileTokenTest, PathTraversalKid) {
  ExpectUnauthenticated(Sign({"../../etc/passwd", "HS256", std::string(32, 'k')}, Claims()));
  auth::SigningKey key = DevKey();
  key.kid = "../../etc/passwd";
  ExpectUnauthenticated(Sign(key, Claims()));
}

TEST_F(HostileTokenTest, TokenOver8KiB) {
  nlohmann::json c = Claims();
  c["pad"] = std::string(8 * 1024, 'p');
  ExpectUnauthenticated(Sign(DevKey(), c));  // validly signed, but too big
}

TEST_F(HostileTokenTest, TamperedPayload) {
  const std::string token = stack().Token("user-42", {}, {"kiosk-*"});
  const size_t d1 = token.find('.'), d2 = token.rfind('.');
  nlohmann::json c = Claims();
  c["sub"] = "user-42";
  c["grants"]["accept"] = {"*"};
  const std::string forged = token.substr(0, d1 + 1) + B64(c.dump()) + token.substr(d2);
  ExpectUnauthenticated(forged);
}

TEST_F(HostileTokenTest, GarbageTokens) {
  for (const std::string t : {"", "a", "a.b.c", "..", "eyJ.eyJ.eyJ", "\x01.\x02.\x03"}) {
    SCOPED_TRACE(absl::CEscape(t));
    ExpectUnauthenticated(t);
  }
}

TEST_F(HostileTokenTest, ValidTokenForAnotherPeerIdIsPermissionDenied4003) {
  ExpectRefused(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "error:PERMISSION_DENIED", 4003,
                "printer-1");
}

// ===========================================================================
// Abuse

TEST(HostileAbuse, PerIpCapIs429AndFreesOnClose) {
  Stack stack(
      StackOptions{.gateway = [](gateway::GatewayOptions& g) { g.max_connections_per_ip = 5; }});
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 5; ++i) {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << i << ": " << c.status();
    clients.push_back(std::move(*c));
  }
  {
    Raw raw(stack.gateway_port());
    raw.Write(Request(DefaultHeaders()));
    EXPECT_EQ(raw.ReadHttpStatus(), 429) << raw.head();
  }
  clients.front()->Close();
  clients.erase(clients.begin());
  std::unique_ptr<WsClient> again;
  for (int i = 0; i < 50 && !again; ++i) {
    auto c = WsClient::Connect(stack.gateway_port());
    if (c.ok())
      again = std::move(*c);
    else
      absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_TRUE(again) << "a slot freed by a close was not given back";
  again.reset();
  for (auto& c : clients) c->Close();
  clients.clear();
  ExpectHealthy(stack);
}

TEST(HostileAbuse, GlobalCapIs503) {
  Stack stack(StackOptions{.gateway = [](gateway::GatewayOptions& g) { g.max_connections = 3; }});
  std::vector<std::unique_ptr<WsClient>> clients;
  for (int i = 0; i < 3; ++i) {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << i << ": " << c.status();
    clients.push_back(std::move(*c));
  }
  {
    Raw raw(stack.gateway_port());
    raw.Write(Request(DefaultHeaders()));
    EXPECT_EQ(raw.ReadHttpStatus(), 503) << raw.head();
  }
  for (auto& c : clients) c->Close();
  clients.clear();
  ASSERT_TRUE(stack.WaitForZero()) << stack.DescribeState();
  ExpectHealthy(stack);
}

TEST(HostileAbuse, NoJoinIsUnauthenticated4001AfterTheDeadline) {
  Stack stack(StackOptions{.matching = [](matching::MatchingServerOptions& o) {
    o.limits.join_deadline = absl::Milliseconds(300);
  }});
  {
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok()) << c.status();
    const absl::Time start = absl::Now();
    EXPECT_EQ(KindOf((*c)->Read(absl::Seconds(3))), "error:UNAUTHENTICATED");
    EXPECT_EQ(CodeText((*c)->WaitClose()), "4001");
    EXPECT_LT(absl::Now() - start, absl::Seconds(2));
  }
  {
    // Raw, upgraded, silent: the same.
    Raw raw(stack.gateway_port());
    ASSERT_TRUE(raw.Upgrade()) << raw.head();
    auto text = raw.ReadText(absl::Seconds(3));
    ASSERT_TRUE(text.has_value());
    EXPECT_EQ(ErrorCodeOf(*text), "error:UNAUTHENTICATED");
    EXPECT_EQ(CodeText(raw.WaitClose()), "4001");
  }
  ExpectHealthy(stack);
}

TEST_F(HostileTest, TenThousandCandidatesAreRateLimitedThenClosed4029) {
  WsClient& a = Connect();
  a.Send(JoinAcceptor(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf(a.Read()), "joined");
  Raw b(port());
  ASSERT_EQ(RawJoin(b, JoinJson(stack().Token("user-42", {}, {"kiosk-*"}), "OFFERER", "kiosk-7")),
            "joined");
  ASSERT_EQ(KindOf(a.Read()), "paired");
  auto paired = b.ReadText();
  ASSERT_TRUE(paired && ErrorCodeOf(*paired) == "paired");
  std::string burst;
  const std::string frame = BuildFrame(0x1, CandidateJson(kCandidate));
  for (int i = 0; i < 10000; ++i) burst += frame;
  const auto code = b.BlastAndWaitClose(burst, absl::Seconds(20));
  int rate_limited = 0, other = 0;
  for (const auto& t : b.texts()) {
    const std::string k = ErrorCodeOf(t);
    if (k == "error:RATE_LIMITED")
      ++rate_limited;
    else if (k != "error:RESOURCE_EXHAUSTED")
      ++other;
  }
  EXPECT_GT(rate_limited, 0);
  EXPECT_EQ(CodeText(code), "4029");
  // The acceptor: relayed candidates, then peerLeft DISCONNECTED.
  std::string last;
  for (int i = 0; i < 2000; ++i) {
    last = KindOf(a.Read());
    if (last != "iceCandidate") break;
  }
  EXPECT_EQ(last, "peerLeft:DISCONNECTED");
}

TEST_F(HostileTest, MessageRateOverTheBucketIsRateLimited) {
  WsClient& a = Connect();
  a.Send(JoinAcceptor(stack().Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf(a.Read()), "joined");
  for (int i = 0; i < 60; ++i) a.Send(Ping(std::to_string(i)));
  int pongs = 0, limited = 0;
  for (int i = 0; i < 60; ++i) {
    const std::string k = KindOf(a.Read());
    if (k == "pong")
      ++pongs;
    else if (k == "error:RATE_LIMITED")
      ++limited;
    else
      ADD_FAILURE() << "unexpected " << k;
  }
  EXPECT_GT(limited, 0);
  EXPECT_EQ(pongs + limited, 60);
  EXPECT_GE(pongs, 49);  // burst 50, one token taken by the join
  EXPECT_FALSE(a.close_code().has_value()) << "under the abuse threshold: not closed";
  absl::SleepFor(absl::Milliseconds(200));
  a.Send(Ping("after"));
  EXPECT_EQ(KindOf(a.Read()), "pong");
}

TEST(HostileAbuse, SlowReaderIsClosedWith1013) {
  Stack stack(
      StackOptions{.gateway = [](gateway::GatewayOptions& g) { g.max_outbound_bytes = 16 * 1024; },
                   .matching =
                       [](matching::MatchingServerOptions& o) {
                         o.limits.rate_per_second = 1e6;
                         o.limits.rate_burst = 1e6;
                         o.limits.max_candidates_per_session = 1000000;
                       }});
  // The acceptor joins over raw TCP with a tiny receive buffer, then stops
  // reading.
  Raw a(stack.gateway_port(), /*rcvbuf=*/4096);
  ASSERT_EQ(
      RawJoin(a, JoinJson(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "ACCEPTOR", "kiosk-7")),
      "joined");
  auto b = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(b.ok());
  (*b)->Send(JoinOfferer(stack.Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
  ASSERT_EQ(KindOf((*b)->Read()), "joined");
  ASSERT_EQ(KindOf((*b)->Read()), "paired");
  // ~1 KiB candidates (the 32 extensions allowed), 3,000 of them.
  std::string big = kCandidate;
  for (int i = 0; i < 32 && big.size() < 980; ++i) {
    absl::StrAppend(&big, " x", i, " ", std::string(24, 'v'));
  }
  const absl::Time start = absl::Now();
  std::string last;
  for (int i = 0; i < 3000; ++i) (*b)->Send(Candidate(big));
  // The offerer learns its peer was dropped.
  for (int i = 0; i < 3000; ++i) {
    last = KindOf((*b)->Read(absl::Seconds(5)));
    if (last != "error:RATE_LIMITED" && last != "error:RESOURCE_EXHAUSTED") break;
  }
  EXPECT_EQ(last, "peerLeft:DISCONNECTED") << "after " << (absl::Now() - start);
  // The slow reader drains what was buffered and finds the close code.
  EXPECT_EQ(CodeText(a.WaitClose(absl::Seconds(10))), "1013");
  a.Close();
  b->reset();
  ExpectHealthy(stack);
}

// ===========================================================================
// Audit additions (docs/coverage.md): each limit of section 6 and each code
// of section 7 not triggered elsewhere through the real gateway.

// What a join gets: "joined", or the refusal and the close code.
std::string JoinOutcome(Stack& stack, const std::string& token, const std::string& peer_id) {
  auto c = WsClient::Connect(stack.gateway_port());
  if (!c.ok()) return "<connect: " + std::string(c.status().message()) + ">";
  (*c)->Send(JoinAcceptor(token, peer_id));
  const std::string first = KindOf((*c)->Read());
  if (first == "joined") {
    (*c)->Close();
    return first;
  }
  return first + " close:" + CodeText((*c)->WaitClose());
}

v1::ClientMessage Refresh(const std::string& token) {
  v1::ClientMessage m;
  m.mutable_refresh()->set_session_token(token);
  return m;
}

TEST_F(HostileTest, SdpOver32KiBIsInvalidSdp) {
  // Short lines (under the 4 KiB line limit), 40 KiB in all: under the 64 KiB
  // message limit, over the 32 KiB SDP limit.
  auto [a, b] = Pair();
  std::string sdp = kTestOffer;
  for (int i = 0; sdp.size() < 40 * 1024; ++i)
    absl::StrAppend(&sdp, "a=x-pad-", i, ":", std::string(40, 'p'), "\r\n");
  ASSERT_LT(codec::EncodeClientJson(Offer(sdp)).size(), 64u * 1024);
  b->Send(Offer(sdp));
  ExpectNonFatal(*b, "error:INVALID_SDP");
  EXPECT_EQ(KindOf(a->Read(absl::Milliseconds(200))), "<no message>");
}

TEST_F(HostileTest, OfferSdpSentAsAnswerIsInvalidSdp) {
  // a=setup:actpass in an answer (section 9: an answer is active or passive).
  auto [a, b] = Pair();
  b->Send(Offer(kTestOffer));
  ASSERT_EQ(KindOf(a->Read()), "offer");
  a->Send(Answer(kTestOffer));
  ExpectNonFatal(*a, "error:INVALID_SDP");
  EXPECT_EQ(KindOf(b->Read(absl::Milliseconds(200))), "<no message>");
}

TEST_F(HostileTest, BadPeerAndTargetIdsAreInvalidMessageThen1007) {
  const std::string acceptor = stack().Token("kiosk-owner", {"*"}, {});
  const std::string offerer = stack().Token("user-42", {}, {"*"});
  for (const std::string id : {std::string(129, 'k'), std::string("kiosk/7"), std::string(""),
                               std::string("kiosk 7"), std::string("kiosk-\xc3\xa9")}) {
    SCOPED_TRACE(absl::CEscape(id));
    EXPECT_EQ(JoinOutcome(stack(), acceptor, id), "error:INVALID_MESSAGE close:1007");
    WsClient& c = Connect();
    c.Send(JoinOfferer(offerer, id));
    EXPECT_EQ(KindOf(c.Read()), "error:INVALID_MESSAGE");
    EXPECT_EQ(CodeText(c.WaitClose()), "1007");
  }
  // 128 characters of the whole alphabet is fine.
  std::string longest = "AZaz09._~:@-";
  while (longest.size() < 128) longest += 'k';
  EXPECT_EQ(JoinOutcome(stack(), acceptor, longest), "joined");
}

TEST_F(HostileTest, RefusedRefreshesAreNotFatal) {
  // Section 9: a refused refresh gets UNAUTHENTICATED or PERMISSION_DENIED
  // and the session goes on; a good one is silent.
  auto [a, b] = Pair();
  a->Send(Refresh("not.a.token"));
  ExpectNonFatal(*a, "error:UNAUTHENTICATED");
  a->Send(Refresh(stack().Token("someone-else", {"kiosk-*"}, {})));
  ExpectNonFatal(*a, "error:UNAUTHENTICATED");
  a->Send(Refresh(stack().Token("kiosk-owner", {"printer-*"}, {})));
  ExpectNonFatal(*a, "error:PERMISSION_DENIED");
  b->Send(Refresh(stack().Token("user-42", {}, {"printer-*"})));
  ExpectNonFatal(*b, "error:PERMISSION_DENIED");
  a->Send(Refresh(stack().Token("kiosk-owner", {"kiosk-*"}, {})));
  a->Send(Ping("silent"));
  auto pong = a->Read();
  ASSERT_EQ(KindOf(pong), "pong") << "a good refresh has no reply";
  EXPECT_EQ(pong->pong().nonce(), "silent");
  // The pairing is intact.
  b->Send(Offer(kTestOffer));
  EXPECT_EQ(KindOf(a->Read()), "offer");
}

TEST(HostileTokenExpiry, ExpiryCloses4001PeerSeesDisconnectedRefusedRefreshDoesNotExtend) {
  Stack stack;
  {
    // Refreshed in time with a good token: outlives its first expiry.
    auto c = WsClient::Connect(stack.gateway_port());
    ASSERT_TRUE(c.ok());
    (*c)->Send(
        JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}, absl::Seconds(2)), "kiosk-8"));
    ASSERT_EQ(KindOf((*c)->Read()), "joined");
    (*c)->Send(Refresh(stack.Token("kiosk-owner", {"kiosk-*"}, {}, absl::Hours(1))));
    const absl::Time until = absl::Now() + absl::Seconds(4);
    for (int i = 0; absl::Now() < until; ++i) {
      (*c)->Send(Ping(std::to_string(i)));
      ASSERT_EQ(KindOf((*c)->Read()), "pong") << "after " << i << " pings";
      absl::SleepFor(absl::Milliseconds(250));  // pacing, under the rate limit
    }
    (*c)->Close();
  }
  auto a = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(a.ok());
  (*a)->Send(
      JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}, absl::Seconds(3)), "kiosk-7"));
  ASSERT_EQ(KindOf((*a)->Read()), "joined");
  auto b = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(b.ok());
  (*b)->Send(JoinOfferer(stack.Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
  ASSERT_EQ(KindOf((*b)->Read()), "joined");
  ASSERT_EQ(KindOf((*a)->Read()), "paired");
  ASSERT_EQ(KindOf((*b)->Read()), "paired");
  (*a)->Send(Refresh("not.a.token"));
  EXPECT_EQ(KindOf((*a)->Read()), "error:UNAUTHENTICATED");
  // The old expiry stands: error UNAUTHENTICATED, close 4001; the peer gets
  // peerLeft DISCONNECTED and, being an offerer, close 1000.
  EXPECT_EQ(KindOf((*a)->Read(absl::Seconds(10))), "error:UNAUTHENTICATED");
  EXPECT_EQ(CodeText((*a)->WaitClose()), "4001");
  EXPECT_EQ(KindOf((*b)->Read(absl::Seconds(10))), "peerLeft:DISCONNECTED");
  EXPECT_EQ(CodeText((*b)->WaitClose()), "1000");
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

TEST(HostileTokenKeys, RsaPublicKeyAsHmacSecretIsUnauthenticated4001) {
  // HS/RS confusion through the gateway: an RS256 key is configured; a token
  // signed HS256 with that key's public PEM as the HMAC secret, under its kid.
  auto rsa = auth::GenerateKeyMaterial("RS256");
  ASSERT_TRUE(rsa.ok()) << rsa.status();
  auto public_pem = auth::PublicKeyPem(*rsa);
  ASSERT_TRUE(public_pem.ok()) << public_pem.status();
  const std::string path =
      ::testing::TempDir() + "/hostile-rsa-" + std::to_string(getpid()) + ".pem";
  std::ofstream(path, std::ios::binary) << *rsa;
  Stack stack(StackOptions{.auth = [&](auth::AuthServerOptions& o) {
    o.keys.push_back({"rsa", "RS256", path});
  }});
  auto sign = [](const auth::SigningKey& key) {
    auto t = auth::SignJwt(key, Claims());
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::string();
  };
  EXPECT_EQ(JoinOutcome(stack, sign({"rsa", "RS256", *rsa}), "kiosk-7"), "joined");  // control
  EXPECT_EQ(JoinOutcome(stack, sign({"rsa", "HS256", *public_pem}), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  EXPECT_EQ(JoinOutcome(stack, sign({"dev", "HS256", *public_pem}), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  std::remove(path.c_str());
  ExpectHealthy(stack);
}

TEST(HostileTokenKeys, WrongOrMissingIssuerIsUnauthenticated4001) {
  Stack stack(StackOptions{
      .auth = [](auth::AuthServerOptions& o) { o.verifier.issuer = "https://id.example"; }});
  auto key = auth::LoadSigningKey("dev", "HS256", stack.key_path());
  ASSERT_TRUE(key.ok());
  auto sign = [&](const std::optional<std::string>& iss) {
    nlohmann::json c = Claims();
    if (iss) c["iss"] = *iss;
    auto t = auth::SignJwt(*key, c);
    EXPECT_TRUE(t.ok()) << t.status();
    return t.ok() ? *t : std::string();
  };
  EXPECT_EQ(JoinOutcome(stack, sign("https://id.example"), "kiosk-7"), "joined");  // control
  EXPECT_EQ(JoinOutcome(stack, sign("https://evil.example"), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  EXPECT_EQ(JoinOutcome(stack, sign("https://id.example/"), "kiosk-7"),
            "error:UNAUTHENTICATED close:4001");
  EXPECT_EQ(JoinOutcome(stack, sign(std::nullopt), "kiosk-7"), "error:UNAUTHENTICATED close:4001");
  EXPECT_TRUE(stack.WaitForZero()) << stack.DescribeState();
}

TEST(HostileLimits, CandidatesPerMessageAndPerSession) {
  // The rate limit raised so that 500 candidates go through at once; the
  // candidate limits keep their defaults (100 a message, 500 a session).
  Stack stack(StackOptions{.matching = [](matching::MatchingServerOptions& o) {
    o.limits.rate_per_second = 1e6;
    o.limits.rate_burst = 1e6;
  }});
  auto a = WsClient::Connect(stack.gateway_port());
  ASSERT_TRUE(a.ok());
  (*a)->Send(JoinAcceptor(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "kiosk-7"));
  ASSERT_EQ(KindOf((*a)->Read()), "joined");
  auto b = WsClient::Connect(stack.gateway_port(), "signaling.v1.proto");
  ASSERT_TRUE(b.ok());
  (*b)->Send(JoinOfferer(stack.Token("user-42", {}, {"kiosk-*"}), "kiosk-7"));
  ASSERT_EQ(KindOf((*b)->Read()), "joined");
  ASSERT_EQ(KindOf((*a)->Read()), "paired");
  ASSERT_EQ(KindOf((*b)->Read()), "paired");
  auto offer_with = [](int n) {
    v1::ClientMessage m = Offer(kTestOffer);
    for (int i = 0; i < n; ++i) {
      auto* c = m.mutable_offer()->add_ice_candidates();
      c->set_candidate(kCandidate);
      c->set_sdp_mid("0");
      c->set_sdp_m_line_index(0);
    }
    return m;
  };
  (*b)->Send(offer_with(101));
  EXPECT_EQ(KindOf((*b)->Read()), "error:INVALID_CANDIDATE");
  (*b)->Send(offer_with(100));
  auto offer = (*a)->Read();
  ASSERT_EQ(KindOf(offer), "offer") << "the 101-candidate offer must not be relayed";
  EXPECT_EQ(offer->offer().ice_candidates_size(), 100);
  (*a)->Send(Answer(kTestAnswer));
  ASSERT_EQ(KindOf((*b)->Read()), "answer");
  for (int i = 0; i < 400; ++i) (*b)->Send(Candidate(kCandidate));
  for (int i = 0; i < 400; ++i) ASSERT_EQ(KindOf((*a)->Read()), "iceCandidate") << i;
  (*b)->Send(Candidate(kCandidate));  // the 501st of this session
  EXPECT_EQ(KindOf((*b)->Read()), "error:RESOURCE_EXHAUSTED");
  (*b)->Send(Ping("b"));
  EXPECT_EQ(KindOf((*b)->Read()), "pong") << "RESOURCE_EXHAUSTED is not fatal";
  (*a)->Send(Ping("a"));
  EXPECT_EQ(KindOf((*a)->Read()), "pong") << "the 501st candidate must not be relayed";
  (*a)->Send(Candidate(kCandidate));  // the acceptor's own count is separate
  EXPECT_EQ(KindOf((*b)->Read()), "iceCandidate");
  (*b)->Send(Leave());
  EXPECT_EQ(KindOf((*a)->Read()), "peerLeft:LEFT");
  EXPECT_EQ(CodeText((*b)->WaitClose()), "1000");
  (*a)->Close();
  ExpectHealthy(stack);
}

TEST(HostileIdle, SilentClientIsClosed1001) {
  // idle 1 s: a joined client that sends nothing and never answers the
  // server's ping is closed with 1001 (section 6, idle).
  Stack stack(StackOptions{
      .gateway = [](gateway::GatewayOptions& g) { g.idle_timeout = absl::Seconds(1); }});
  Raw silent(stack.gateway_port());
  ASSERT_EQ(
      RawJoin(silent, JoinJson(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "ACCEPTOR", "kiosk-2")),
      "joined");
  const absl::Time start = absl::Now();
  EXPECT_EQ(CodeText(silent.WaitClose(absl::Seconds(8))), "1001");
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900)) << "closed before the idle timeout";
  silent.Close();
  ExpectHealthy(stack);
}

// A client that answers every server ping but sends nothing else stays.
TEST(HostileIdle, ClientAnsweringPingsStaysOpen) {
  Stack stack(StackOptions{
      .gateway = [](gateway::GatewayOptions& g) { g.idle_timeout = absl::Seconds(1); }});
  Raw answering(stack.gateway_port());
  ASSERT_EQ(RawJoin(answering,
                    JoinJson(stack.Token("kiosk-owner", {"kiosk-*"}, {}), "ACCEPTOR", "kiosk-1")),
            "joined");
  int answered = 0;
  std::optional<uint16_t> closed;
  const absl::Time start = absl::Now();
  while (!closed && absl::Now() - start < absl::Seconds(5)) {
    auto f = answering.ReadFrame(absl::Milliseconds(100));
    if (!f) {
      if (answering.eof()) closed = 1006;
      continue;
    }
    if (f->opcode == 0x9) {
      answering.Write(BuildFrame(0xA, f->payload));
      ++answered;
    } else if (f->opcode == 0x8) {
      closed =
          f->payload.size() < 2 ? 1005 : (uint8_t(f->payload[0]) << 8) | uint8_t(f->payload[1]);
    }
  }
  EXPECT_FALSE(closed.has_value())
      << "closed with " << CodeText(closed) << " after " << (absl::Now() - start) << ", "
      << answered << " pings answered";
  EXPECT_GE(answered, 3) << "pings every half idle period";
  answering.Close();
  ExpectHealthy(stack);
}

TEST(HostileSlowloris, SilentConnectionIsClosedAfterTheUpgradeTimeout) {
  Stack stack(StackOptions{
      .gateway = [](gateway::GatewayOptions& g) { g.upgrade_timeout = absl::Seconds(1); }});
  Raw raw(stack.gateway_port());
  ASSERT_TRUE(raw.connected());
  const absl::Time start = absl::Now();
  EXPECT_TRUE(raw.WaitEof(absl::Seconds(8)))
      << "a connection that never sent a request stayed open";
  EXPECT_LT(absl::Now() - start, absl::Seconds(5));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(900));
  raw.Close();
  ExpectHealthy(stack);
}

}  // namespace
}  // namespace signaling::testing
