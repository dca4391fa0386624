// common/ratelimit/token_bucket.h: a bucket of `burst` tokens refilled at
// `rate` per second, on an injected clock (every call takes `now`).
#include "common/ratelimit/token_bucket.h"

#include "absl/time/time.h"
#include "gtest/gtest.h"

namespace signaling {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1'700'000'000);

// Takes tokens at `now` until refused; returns how many were taken (at
// most `limit`, so that a bucket that never refuses ends the loop).
int Drain(TokenBucket& bucket, absl::Time now, int limit = 1000) {
  int taken = 0;
  while (taken < limit && bucket.TryTake(now)) ++taken;
  return taken;
}

TEST(TokenBucketTest, StartsFullWithTheBurst) {
  TokenBucket bucket(/*rate_per_second=*/1, /*burst=*/5, kT0);
  EXPECT_EQ(Drain(bucket, kT0), 5);
  EXPECT_FALSE(bucket.TryTake(kT0));
}

TEST(TokenBucketTest, FractionalBurstRoundsDown) {
  TokenBucket bucket(1, 2.5, kT0);
  EXPECT_EQ(Drain(bucket, kT0), 2);
}

TEST(TokenBucketTest, RefillsAtTheRate) {
  TokenBucket bucket(/*rate_per_second=*/4, /*burst=*/10, kT0);
  ASSERT_EQ(Drain(bucket, kT0), 10);
  // 4 tokens per second: one every 250 ms.
  EXPECT_FALSE(bucket.TryTake(kT0 + absl::Milliseconds(200)));
  EXPECT_TRUE(bucket.TryTake(kT0 + absl::Milliseconds(250)));
  EXPECT_FALSE(bucket.TryTake(kT0 + absl::Milliseconds(250)));
  EXPECT_EQ(Drain(bucket, kT0 + absl::Seconds(1)), 3);
  EXPECT_EQ(Drain(bucket, kT0 + absl::Seconds(2)), 4);
}

TEST(TokenBucketTest, PartialRefillsAccumulate) {
  TokenBucket bucket(/*rate_per_second=*/1, /*burst=*/1, kT0);
  ASSERT_TRUE(bucket.TryTake(kT0));
  // Eight steps of 125 ms (exact in binary) add up to one token, not to
  // eight rounded-down zeros.
  for (int i = 1; i < 8; ++i) {
    EXPECT_FALSE(bucket.TryTake(kT0 + absl::Milliseconds(125 * i))) << i;
  }
  EXPECT_TRUE(bucket.TryTake(kT0 + absl::Seconds(1)));
}

TEST(TokenBucketTest, NeverHoldsMoreThanTheBurst) {
  TokenBucket bucket(/*rate_per_second=*/100, /*burst=*/3, kT0);
  ASSERT_EQ(Drain(bucket, kT0), 3);
  // An hour idle refills to the burst, not to 360,000.
  EXPECT_EQ(Drain(bucket, kT0 + absl::Hours(1)), 3);
  // Idle while full: still the burst.
  TokenBucket full(100, 3, kT0);
  EXPECT_EQ(Drain(full, kT0 + absl::Hours(1)), 3);
}

TEST(TokenBucketTest, ZeroTimeStepAddsNothing) {
  TokenBucket bucket(/*rate_per_second=*/1000, /*burst=*/2, kT0);
  const absl::Time t = kT0 + absl::Seconds(5);
  ASSERT_EQ(Drain(bucket, t), 2);
  for (int i = 0; i < 100; ++i) EXPECT_FALSE(bucket.TryTake(t));
}

TEST(TokenBucketTest, BackwardTimeStepAddsNothingAndIsNotCountedTwice) {
  TokenBucket bucket(/*rate_per_second=*/1, /*burst=*/5, kT0);
  const absl::Time t10 = kT0 + absl::Seconds(10);
  ASSERT_EQ(Drain(bucket, t10), 5);
  // The clock steps back 8 s: no tokens, and none owed for it.
  EXPECT_FALSE(bucket.TryTake(kT0 + absl::Seconds(2)));
  EXPECT_FALSE(bucket.TryTake(kT0 - absl::Hours(1)));
  // Back at 10.5 s: half a token since the last refill at 10 s, not the
  // 8.5 s a bucket that followed the clock backwards would have added.
  EXPECT_FALSE(bucket.TryTake(t10 + absl::Milliseconds(500)));
  EXPECT_TRUE(bucket.TryTake(t10 + absl::Seconds(1)));
  EXPECT_FALSE(bucket.TryTake(t10 + absl::Seconds(1)));
}

TEST(TokenBucketTest, BackwardTimeStepTakesNothingAway) {
  TokenBucket bucket(/*rate_per_second=*/1, /*burst=*/3, kT0 + absl::Seconds(10));
  // Full at 10 s; the clock steps back 8 s: the three tokens are still there.
  EXPECT_EQ(Drain(bucket, kT0 + absl::Seconds(2)), 3);
}

TEST(TokenBucketTest, ZeroRateNeverRefills) {
  TokenBucket bucket(/*rate_per_second=*/0, /*burst=*/2, kT0);
  ASSERT_EQ(Drain(bucket, kT0), 2);
  EXPECT_FALSE(bucket.TryTake(kT0 + absl::Hours(24 * 365)));
}

TEST(TokenBucketTest, ARefusalTakesNothing) {
  TokenBucket bucket(/*rate_per_second=*/1, /*burst=*/1, kT0);
  ASSERT_TRUE(bucket.TryTake(kT0));
  // Refused calls at 0.5 s must not dig the bucket below zero.
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(bucket.TryTake(kT0 + absl::Milliseconds(500)));
  EXPECT_TRUE(bucket.TryTake(kT0 + absl::Seconds(1)));
}

}  // namespace
}  // namespace signaling
