// `ferry run` without --once (flows on their schedules) stopped by SIGTERM mid initial load: exits
// 0 like any requested stop, reports the interrupted run with what it did, and the next run
// completes with every record exactly once. Runs with the GracefulStopTest instantiation.
#include "stop_fixture.hpp"

namespace ferry::testing {
namespace {

TEST_P(GracefulStopTest, ScheduledRunStoppedMidLoadExitsCleanlyWithItsSummary) {
  const std::string url = stateUrl();
  if (url.empty()) GTEST_SKIP() << "PostgreSQL unavailable: " << postgresUnavailableReason();
  Stopped stopped;
  std::string first;
  ASSERT_NO_FATAL_FAILURE(interruptMidLoad(url, false, &stopped, &first));
  // Running until stopped is this mode's job: a stop is a success.
  EXPECT_EQ(stopped.exit, 0) << first;
  EXPECT_TRUE(stopped.took < kStopBound) << "stopping took " << stopped.took.count() << " ms";
  const std::size_t written = sinkLines();
  ASSERT_LT(written, static_cast<std::size_t>(kRecords)) << "the load ended before the signal";
  EXPECT_EQ(written % kBatch, 0U) << "a batch was cut short: " << written;
  // The interrupted run is reported like any other, with what it did.
  const auto summary = parseSummary(first, "stop-copy");
  ASSERT_TRUE(summary.has_value()) << first;
  EXPECT_EQ(summary->status, "abandoned") << first;
  EXPECT_EQ(static_cast<std::size_t>(summary->created), written) << first;

  ASSERT_NO_FATAL_FAILURE(resumeToCompletion(url, written));
}

}  // namespace
}  // namespace ferry::testing
