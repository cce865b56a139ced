// SIGTERM in the middle of an initial load, with the real binary on a jsonl -> jsonl flow of
// thousands of records (SQLite, and PostgreSQL through tests/support):
// - `ferry run --once`: the batch in flight is finished and committed, the summary is printed,
//   and a second run writes exactly the records the first did not, none twice;
// - `ferry serve`: stops within a bounded time, and after a restart the flow resumes on its own
//   and completes with every record exactly once.
// Unlike the kill -9 test (tests/integration/engine/crash_test.cpp) nothing is replayed: the sink
// file holds one line per record, so a batch written but not committed would show as a duplicate.
#include <set>

#include "stop_fixture.hpp"

namespace ferry::testing {
namespace {

using sdk::Value;

TEST_P(GracefulStopTest, RunOnceStoppedMidBatchFinishesTheBatchAndTheNextRunCompletes) {
  const std::string url = stateUrl();
  if (url.empty()) GTEST_SKIP() << "PostgreSQL unavailable: " << postgresUnavailableReason();
  Stopped stopped;
  std::string first;
  ASSERT_NO_FATAL_FAILURE(interruptMidLoad(url, true, &stopped, &first));
  // An interrupted --once run did not do its job: status 1 ("the command failed"), never a
  // death by the signal.
  EXPECT_EQ(stopped.exit, 1) << first;
  EXPECT_TRUE(stopped.took < kStopBound) << "stopping took " << stopped.took.count() << " ms";
  std::cout << "[ measured ] ferry run --once (" << GetParam() << "): SIGTERM to exit "
            << stopped.took.count() << " ms\n";

  // The summary: abandoned, and what it counts is exactly what reached the sink, so the batch in
  // flight was finished and committed, not cut.
  const auto summary = parseSummary(first, "stop-copy");
  ASSERT_TRUE(summary.has_value()) << first;
  EXPECT_EQ(summary->status, "abandoned") << first;
  const std::size_t written = sinkLines();
  EXPECT_EQ(static_cast<std::size_t>(summary->created), written) << first;
  EXPECT_EQ(written % kBatch, 0U) << "a batch was cut short: " << written;
  ASSERT_LT(written, static_cast<std::size_t>(kRecords)) << "the run ended before the signal";

  // The second run picks up at the committed cursor: only what is missing, none twice.
  RunSummaryLine second;
  ASSERT_NO_FATAL_FAILURE(resumeToCompletion(url, written, &second));
  EXPECT_EQ(second.status, "succeeded");
}

TEST_P(GracefulStopTest, ServeStoppedMidInitialLoadResumesAfterRestart) {
  const std::string url = stateUrl();
  if (url.empty()) GTEST_SKIP() << "PostgreSQL unavailable: " << postgresUnavailableReason();
  dir_.writePrivate("tokens", std::string(kAdminToken) + "\n");
  ServeConfig config = ServeConfig::inFolder(dir_, FERRY_PLUGIN_DIR);
  config.state = url;
  config.logFormat = "json";
  config.logLevel = "info";
  dir_.write("ferry.yaml", config.yaml());
  const std::vector<std::string> env{"FERRY_MASTER_KEY=" + std::string(kMasterKey)};
  auto admin = [](const ServeProcess& s, const std::string& method, const std::string& path) {
    return httpCall(s.base(), method, path, kAdminToken);
  };

  std::size_t written = 0;
  {
    ServeProcess serve(FERRY_BINARY, dir_.file("ferry.yaml"), env);
    ASSERT_TRUE(serve.ready()) << readFile(dir_.file("ferry.log"));
    // Flow files are deployed inactive; activation starts the initial load at once.
    const HttpAnswer activated = admin(serve, "POST", "/api/v1/flows/stop-copy/activate");
    ASSERT_EQ(activated.status, 200) << activated.body;
    ASSERT_TRUE(waitForSink(nullptr, 2 * kBatch + 1)) << readFile(dir_.file("ferry.log"));
    const auto signalled = std::chrono::steady_clock::now();
    EXPECT_EQ(serve.terminate(std::chrono::duration_cast<std::chrono::seconds>(kStopBound)), 0)
        << readFile(dir_.file("ferry.log"));
    const auto stopMs = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - signalled);
    std::cout << "[ measured ] ferry serve (" << GetParam() << "): SIGTERM to exit "
              << stopMs.count() << " ms\n";
    written = sinkLines();
    ASSERT_LT(written, static_cast<std::size_t>(kRecords)) << "the load ended before the signal";
    EXPECT_EQ(written % kBatch, 0U) << "a batch was cut short: " << written;
  }

  // Restarted, the flow is still active and resumes by itself from the committed cursor.
  ServeProcess serve(FERRY_BINARY, dir_.file("ferry.yaml"), env);
  ASSERT_TRUE(serve.ready()) << readFile(dir_.file("ferry.log"));
  ASSERT_TRUE(eventually(
      [&] {
        const Value status = json(admin(serve, "GET", "/api/v1/flows/stop-copy/status"));
        return text(at(status, {"lastRun", "status"})) == "succeeded";
      },
      90s))
      << readFile(dir_.file("ferry.log"));
  expectExactlyOnce();

  // The run history: the stopped run is abandoned with exactly what reached the sink, the
  // resumed one created the rest.
  const auto runs = Value::fromJson(admin(serve, "GET", "/api/v1/flows/stop-copy/runs").body);
  ASSERT_TRUE(runs && runs->isObject() && runs->asObject().find("runs") != nullptr);
  long long created = 0;
  std::multiset<std::string> statuses;
  for (const auto& run : runs->asObject().find("runs")->asList()) {
    const Value* status = run.asObject().find("status");
    statuses.insert(status != nullptr ? status->asString() : "?");
    const Value* counts = run.asObject().find("counts");
    const Value* n = counts != nullptr ? counts->asObject().find("created") : nullptr;
    if (n != nullptr && n->isInteger()) created += n->asInteger();
  }
  EXPECT_EQ(statuses.count("abandoned"), 1U) << runs->toJson();
  EXPECT_EQ(statuses.count("succeeded"), 1U) << runs->toJson();
  EXPECT_EQ(created, kRecords) << runs->toJson();
  EXPECT_EQ(serve.terminate(), 0);
}

INSTANTIATE_TEST_SUITE_P(Backends, GracefulStopTest, ::testing::Values("sqlite", "postgresql"),
                         [](const auto& info) { return info.param; });

}  // namespace
}  // namespace ferry::testing
