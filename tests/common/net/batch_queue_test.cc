// BatchQueue: batches are cut at the byte limit, whatever the backlog, and
// the queue is bounded (the broken Relay run: one batch above the peer's
// receive limit ended the stream and every session on it).
#include "common/net/batch_queue.h"

#include <string>

#include "gtest/gtest.h"
#include "signaling/v1/matching.pb.h"

namespace signaling::net {
namespace {

// Adds one message event carrying `payload` bytes of candidate text.
bool AddEvent(BatchQueue<v1::RelayUp>& queue, uint64_t conn, size_t payload) {
  v1::RelayUp::Event event;
  event.set_conn(conn);
  event.mutable_message()->mutable_ice_candidate()->set_candidate(std::string(payload, 'x'));
  v1::RelayUp* batch = queue.Add(event.ByteSizeLong() + 8);
  if (batch == nullptr) return false;
  *batch->add_events() = std::move(event);
  return true;
}

TEST(BatchQueueTest, EmptyUntilAdded) {
  BatchQueue<v1::RelayUp> queue(1024, 1 << 20);
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(BatchQueueTest, SmallEventsShareOneBatchInOrder) {
  BatchQueue<v1::RelayUp> queue(64 * 1024, 1 << 20);
  for (uint64_t conn = 1; conn <= 10; ++conn) ASSERT_TRUE(AddEvent(queue, conn, 100));
  EXPECT_EQ(queue.batches(), 1u);
  v1::RelayUp out;
  queue.PopInto(&out);
  ASSERT_EQ(out.events_size(), 10);
  for (int i = 0; i < 10; ++i) EXPECT_EQ(out.events(i).conn(), static_cast<uint64_t>(i + 1));
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(BatchQueueTest, BacklogNeverMakesABatchAboveTheLimit) {
  constexpr size_t kBatch = 16 * 1024;
  BatchQueue<v1::RelayUp> queue(kBatch, 64 << 20);
  // A backlog of 4 MiB of ~1 KB candidates, as under load while a write is
  // in flight.
  for (uint64_t conn = 0; conn < 4096; ++conn) ASSERT_TRUE(AddEvent(queue, conn, 1000));
  EXPECT_GT(queue.batches(), 200u);
  uint64_t next = 0;
  v1::RelayUp out;
  while (!queue.empty()) {
    queue.PopInto(&out);
    EXPECT_LE(out.ByteSizeLong(), kBatch);
    for (const auto& event : out.events()) EXPECT_EQ(event.conn(), next++);
  }
  EXPECT_EQ(next, 4096u);
  EXPECT_EQ(queue.bytes(), 0u);
}

TEST(BatchQueueTest, AnEventLargerThanABatchTravelsAlone) {
  BatchQueue<v1::RelayUp> queue(1024, 1 << 20);
  ASSERT_TRUE(AddEvent(queue, 1, 100));
  ASSERT_TRUE(AddEvent(queue, 2, 5000));
  ASSERT_TRUE(AddEvent(queue, 3, 100));
  EXPECT_EQ(queue.batches(), 3u);
  v1::RelayUp out;
  queue.PopInto(&out);
  EXPECT_EQ(out.events_size(), 1);
  queue.PopInto(&out);
  ASSERT_EQ(out.events_size(), 1);
  EXPECT_EQ(out.events(0).conn(), 2u);
}

TEST(BatchQueueTest, RefusesPastTheQueueBoundAndClears) {
  BatchQueue<v1::RelayUp> queue(4096, 10 * 1024);
  int added = 0;
  while (AddEvent(queue, added, 1000)) ++added;
  EXPECT_GE(added, 9);
  EXPECT_LE(added, 10);
  EXPECT_LE(queue.bytes(), 10u * 1024);
  queue.Clear();
  EXPECT_TRUE(queue.empty());
  EXPECT_EQ(queue.bytes(), 0u);
  EXPECT_TRUE(AddEvent(queue, 1, 1000));
}

}  // namespace
}  // namespace signaling::net
