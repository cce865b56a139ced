#include "ferry/host/http/rate_limit.hpp"

#include <gtest/gtest.h>

namespace ferry::host {
namespace {

using std::chrono::milliseconds;

TEST(TokenBucket, BurstIsFreeThenTokensComeAtTheRate) {
  TokenBucket b(5.0, 2.0, 0);  // 5/s, burst 2
  EXPECT_EQ(b.reserve(0), milliseconds(0));
  EXPECT_EQ(b.reserve(0), milliseconds(0));
  EXPECT_EQ(b.reserve(0), milliseconds(200));
  EXPECT_EQ(b.reserve(0), milliseconds(400));  // queued behind the previous reservation
}

TEST(TokenBucket, SustainedRateMatchesConfiguration) {
  // A caller that always waits as told: 50 calls at 10/s (burst 1) span 4.9 s.
  TokenBucket b(10.0, 1.0, 1000);
  std::int64_t now = 1000;
  for (int i = 0; i < 50; ++i) now += b.reserve(now).count();
  EXPECT_EQ(now - 1000, 4900);
}

TEST(TokenBucket, RefillsWhileIdleButNotBeyondBurst) {
  TokenBucket b(2.0, 3.0, 0);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.reserve(0), milliseconds(0));
  // 10 s idle refills to the burst of 3, not 20.
  for (int i = 0; i < 3; ++i) EXPECT_EQ(b.reserve(10'000), milliseconds(0));
  EXPECT_EQ(b.reserve(10'000), milliseconds(500));
}

TEST(TokenBucket, PauseHoldsTokensUntilItEnds) {
  TokenBucket b(10.0, 5.0, 0);
  b.pauseUntil(2000);
  // After the pause the bucket refills from empty: first token 100 ms after the pause ends.
  EXPECT_EQ(b.reserve(500), milliseconds(1600));
  b.pauseUntil(1000);  // shorter than the pause in force: ignored
  EXPECT_EQ(b.reserve(2100), milliseconds(100));
}

TEST(TokenBucket, ReconfigureKeepsBalanceCappedAtNewBurst) {
  TokenBucket b(1.0, 10.0, 0);
  b.reconfigure(4.0, 1.0, 0);
  EXPECT_EQ(b.reserve(0), milliseconds(0));
  EXPECT_EQ(b.reserve(0), milliseconds(250));
}

TEST(Backoff, FullJitterStaysUnderExponentialCeiling) {
  sdk::RetryPolicy p;
  p.baseDelay = milliseconds(100);
  p.maxDelay = milliseconds(1000);
  EXPECT_EQ(backoffDelay(p, 1, 0.0), milliseconds(0));
  EXPECT_EQ(backoffDelay(p, 1, 0.999), milliseconds(99));
  EXPECT_EQ(backoffDelay(p, 2, 0.5), milliseconds(100));     // ceiling 200
  EXPECT_EQ(backoffDelay(p, 3, 0.5), milliseconds(200));     // ceiling 400
  EXPECT_EQ(backoffDelay(p, 10, 0.5), milliseconds(500));    // capped at 1000
  EXPECT_EQ(backoffDelay(p, 1000, 0.5), milliseconds(500));  // no overflow
}

TEST(RetryAfter, ParsesSecondsAndHttpDates) {
  const std::int64_t now = 1445412480000;  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(parseRetryAfter("120", now), milliseconds(120'000));
  EXPECT_EQ(parseRetryAfter(" 0 ", now), milliseconds(0));
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:28:05 GMT", now), milliseconds(5000));
  EXPECT_EQ(parseRetryAfter("Wednesday, 21-Oct-15 07:28:07 GMT", now), milliseconds(7000));
  EXPECT_EQ(parseRetryAfter("Wed Oct 21 07:28:02 2015", now), milliseconds(2000));
  EXPECT_EQ(parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", now), milliseconds(0));  // past
  EXPECT_FALSE(parseRetryAfter("", now));
  EXPECT_FALSE(parseRetryAfter("-5", now));
  EXPECT_FALSE(parseRetryAfter("soon", now));
  EXPECT_FALSE(parseRetryAfter("99999999999999", now));
}

}  // namespace
}  // namespace ferry::host
