// Hand-built WebSocket frames after a valid upgrade: RSV bits, unmasked
// frames, absurd lengths, invalid UTF-8, a fragmented message that never
// ends, a ping flood, an oversized message. Each case asserts the exact
// close code (protocol-v1 section 7), then that the stack is healthy.
#include <string>

#include "gtest/gtest.h"
#include "tests/hostile/hostile_fixture.h"

namespace signaling::testing {
namespace {

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

// The blasts join first: on a slow machine, reading them could outlast the
// join deadline (4001 instead of the code under test). Their waits are long:
// a timeout is only ever a failure.
constexpr absl::Duration kBlastWait = absl::Seconds(120);

TEST_F(HostileTest, NeverFinishedFragmentedMessageClosesWith1009) {
  auto raw = Joined();
  std::string data = BuildFrame(0x1, "{", /*fin=*/false);
  for (int i = 0; i < 100000; ++i) data += BuildFrame(0x0, " ", /*fin=*/false);
  EXPECT_EQ(CodeText(raw->BlastAndWaitClose(data, kBlastWait)), "1009");
}

TEST_F(HostileTest, PingFloodClosesWith1008) {
  auto raw = Joined();
  std::string data;
  for (int i = 0; i < 500; ++i) data += BuildFrame(0x9, "p");
  EXPECT_EQ(CodeText(raw->BlastAndWaitClose(data, kBlastWait)), "1008");
}

TEST_F(HostileTest, MessageOf65KiBClosesWith1009) {
  auto raw = Joined();
  std::string json = R"({"ping":{"nonce":")" + std::string(65 * 1024, 'a') + R"("}})";
  EXPECT_EQ(CodeText(raw->BlastAndWaitClose(BuildFrame(0x1, json), kBlastWait)), "1009");
}

}  // namespace
}  // namespace signaling::testing
