// StreamWriter, the write side shared by the Relay and Session reactors:
// one write in flight, batches cut at their size, the queue bounded (the
// stream given up once, past the bound), the cork, a failed write.
#include "services/matching/stream_writer.h"

#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "signaling/v1/matching.pb.h"

namespace signaling::matching {
namespace {

// Records the writes started and the cancels; writes end when the test says.
class StreamWriterTest : public ::testing::Test {
 protected:
  using Writer = StreamWriter<v1::RelayDown>;

  std::unique_ptr<Writer> Make(size_t batch_bytes, size_t max_bytes) {
    return std::make_unique<Writer>(
        batch_bytes, max_bytes,
        [this](const v1::RelayDown* batch) { writes_.push_back(batch->events_size()); },
        [this] { ++cancels_; });
  }

  // An event of about `bytes`.
  static bool Push(Writer& writer, uint64_t conn, size_t bytes) {
    return writer.Push(bytes, [&](v1::RelayDown& batch) { batch.add_events()->set_conn(conn); });
  }

  std::vector<int> writes_;  // events in each write started
  int cancels_ = 0;
};

TEST_F(StreamWriterTest, OneWriteInFlightTheRestBatched) {
  auto writer = Make(/*batch_bytes=*/100, /*max_bytes=*/1000);
  EXPECT_TRUE(writer->Drained());
  ASSERT_TRUE(Push(*writer, 1, 10));
  EXPECT_EQ(writes_, std::vector<int>{1});  // the first goes at once
  EXPECT_FALSE(writer->Drained());
  for (uint64_t conn = 2; conn <= 12; ++conn) ASSERT_TRUE(Push(*writer, conn, 10));
  EXPECT_EQ(writes_.size(), 1u);  // still one in flight
  writer->OnWriteDone(true);
  writer->OnWriteDone(true);
  EXPECT_EQ(writes_, (std::vector<int>{1, 10, 1}));  // cut at 100 bytes
  writer->OnWriteDone(true);
  EXPECT_TRUE(writer->Drained());
  EXPECT_EQ(cancels_, 0);
}

TEST_F(StreamWriterTest, BatchSizeZeroWritesEachMessageAlone) {
  auto writer = Make(0, 1000);
  for (uint64_t conn = 1; conn <= 3; ++conn) ASSERT_TRUE(Push(*writer, conn, conn == 2 ? 0 : 5));
  writer->OnWriteDone(true);
  writer->OnWriteDone(true);
  EXPECT_EQ(writes_, (std::vector<int>{1, 1, 1}));
}

TEST_F(StreamWriterTest, PastTheBoundTheStreamIsGivenUpOnce) {
  auto writer = Make(100, /*max_bytes=*/50);
  ASSERT_TRUE(Push(*writer, 1, 30));  // in flight: no longer queued
  ASSERT_TRUE(Push(*writer, 2, 30));
  EXPECT_EQ(writer->queued_bytes(), 30u);
  EXPECT_FALSE(Push(*writer, 3, 30));  // 60 > 50
  EXPECT_EQ(cancels_, 1);
  EXPECT_TRUE(writer->broken());
  EXPECT_EQ(writer->queued_bytes(), 0u);
  EXPECT_FALSE(Push(*writer, 4, 1));
  EXPECT_EQ(cancels_, 1);
  EXPECT_FALSE(writer->Drained());  // the write in flight must end first
  writer->OnWriteDone(false);
  EXPECT_TRUE(writer->Drained());
  EXPECT_EQ(writes_.size(), 1u);
}

TEST_F(StreamWriterTest, CorkHoldsWritesBackUntilUncorked) {
  auto writer = Make(100, 1000);
  writer->Cork();
  ASSERT_TRUE(Push(*writer, 1, 10));
  ASSERT_TRUE(Push(*writer, 2, 10));
  EXPECT_TRUE(writes_.empty());
  writer->Uncork();
  EXPECT_EQ(writes_, std::vector<int>{2});  // the replies leave together
}

TEST_F(StreamWriterTest, AFailedWriteEndsWriting) {
  auto writer = Make(10, 1000);
  ASSERT_TRUE(Push(*writer, 1, 10));
  ASSERT_TRUE(Push(*writer, 2, 10));
  writer->OnWriteDone(false);
  EXPECT_TRUE(writer->broken());
  EXPECT_TRUE(writer->Drained());
  EXPECT_EQ(writes_.size(), 1u);
  EXPECT_FALSE(Push(*writer, 3, 10));
  EXPECT_EQ(cancels_, 0);  // the stream already failed: nothing to cancel
}

}  // namespace
}  // namespace signaling::matching
