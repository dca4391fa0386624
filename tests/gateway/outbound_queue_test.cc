// gateway/outbound_queue.h: frames handed out in order, one write in flight,
// the byte bound counting the frame in flight, what a slow reader's overflow,
// a failed write and a drop leave behind.
#include "gateway/outbound_queue.h"

#include <string>

#include "gtest/gtest.h"

namespace signaling::gateway {
namespace {

constexpr size_t kMax = 10;

std::string Bytes(size_t n) { return std::string(n, 'x'); }

TEST(OutboundQueue, FramesGoOutInOrderOneWriteAtATime) {
  OutboundQueue queue;
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.StartWrite(), nullptr);
  ASSERT_TRUE(queue.Push("a", true, kMax));
  ASSERT_TRUE(queue.Push("b", false, kMax));
  const OutboundQueue::Frame* first = queue.StartWrite();
  ASSERT_NE(first, nullptr);
  EXPECT_EQ(first->data, "a");
  EXPECT_TRUE(first->text);
  EXPECT_TRUE(queue.writing());
  EXPECT_EQ(queue.StartWrite(), nullptr);  // one write in flight
  EXPECT_TRUE(queue.FinishWrite(true));
  EXPECT_FALSE(queue.writing());
  const OutboundQueue::Frame* second = queue.StartWrite();
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->data, "b");
  EXPECT_FALSE(second->text);
  EXPECT_TRUE(queue.FinishWrite(true));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.StartWrite(), nullptr);
  EXPECT_FALSE(queue.FinishWrite(true));  // nothing was in flight
}

TEST(OutboundQueue, TheBoundCountsEveryQueuedByteAndWrittenFramesFreeTheirs) {
  OutboundQueue queue;
  ASSERT_TRUE(queue.Push(Bytes(4), true, kMax));
  ASSERT_NE(queue.StartWrite(), nullptr);
  EXPECT_TRUE(queue.Push(Bytes(6), true, kMax));  // 10: at the bound, not past it
  EXPECT_TRUE(queue.FinishWrite(true));           // 6 left
  EXPECT_TRUE(queue.Push(Bytes(4), true, kMax));
  EXPECT_FALSE(queue.Push(Bytes(1), true, kMax));  // 11
}

TEST(OutboundQueue, OverflowDropsAllButTheFrameInFlight) {
  OutboundQueue queue;
  ASSERT_TRUE(queue.Push("abc", true, kMax));
  const OutboundQueue::Frame* in_flight = queue.StartWrite();
  ASSERT_NE(in_flight, nullptr);
  ASSERT_TRUE(queue.Push(Bytes(5), true, kMax));
  EXPECT_FALSE(queue.Push(Bytes(3), true, kMax));
  EXPECT_EQ(in_flight->data, "abc");  // the write still reads it
  // Only the frame in flight still counts: 3 + 7 fit, one byte more does not.
  EXPECT_TRUE(queue.Push(Bytes(7), true, kMax));
  EXPECT_FALSE(queue.Push(Bytes(1), true, kMax));
  EXPECT_TRUE(queue.FinishWrite(true));
  EXPECT_TRUE(queue.empty());
}

TEST(OutboundQueue, AFrameOverTheBoundAloneIsRefused) {
  OutboundQueue queue;
  EXPECT_FALSE(queue.Push(Bytes(kMax + 1), true, kMax));
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.Push(Bytes(kMax), true, kMax));  // nothing of it counted
}

TEST(OutboundQueue, AFailedWriteDropsEverything) {
  OutboundQueue queue;
  ASSERT_TRUE(queue.Push(Bytes(4), true, kMax));
  ASSERT_TRUE(queue.Push(Bytes(4), true, kMax));
  ASSERT_NE(queue.StartWrite(), nullptr);
  EXPECT_FALSE(queue.FinishWrite(false));
  EXPECT_TRUE(queue.empty());
  EXPECT_FALSE(queue.writing());
  EXPECT_TRUE(queue.Push(Bytes(kMax), true, kMax));
}

TEST(OutboundQueue, DropKeepsOnlyTheFrameBeingWritten) {
  OutboundQueue queue;
  ASSERT_TRUE(queue.Push("a", true, kMax));
  ASSERT_TRUE(queue.Push("b", true, kMax));
  queue.Drop();  // nothing in flight: all goes
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.Push(Bytes(kMax), true, kMax));
  ASSERT_NE(queue.StartWrite(), nullptr);
  queue.Drop();
  EXPECT_FALSE(queue.empty());
  EXPECT_FALSE(queue.Push(Bytes(1), true, kMax));  // the frame in flight still counts
  EXPECT_TRUE(queue.FinishWrite(true));
  EXPECT_TRUE(queue.empty());
  EXPECT_TRUE(queue.Push(Bytes(kMax), true, kMax));
}

}  // namespace
}  // namespace signaling::gateway
