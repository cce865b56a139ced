// Run progress: records, rate, the reader's estimate of what is left and the ETA derived from
// them, as the runner reports them and as the scheduler exposes the run in progress.
#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "ferry/host/engine/scheduler.hpp"

namespace ferry::host::engine::testing {
namespace {

using namespace std::chrono_literals;
using sdk::Object;

// A source in front of a MemorySystem that takes `pageTime` of the test's clock per read (a
// remote API's latency) and, when given a total, estimates what is left the way a connector
// that knows its query's size does: total minus changes returned so far.
class EstimatingSource final : public sdk::Source {
 public:
  EstimatingSource(MemorySystem& inner, sdk::testing::ManualClock& clock,
                   std::chrono::milliseconds pageTime, std::optional<std::uint64_t> total)
      : inner_(inner), clock_(clock), pageTime_(pageTime), total_(total) {}

  sdk::Result<sdk::ReadBatch> read(const sdk::ReadRequest& request) override {
    if (onRead) onRead();
    clock_.advance(pageTime_);
    auto batch = inner_.read(request);
    if (!batch) return batch;
    consumed_ += batch->changes.size();
    if (total_) batch->remaining = *total_ > consumed_ ? *total_ - consumed_ : 0;
    return batch;
  }

  std::function<void()> onRead;  // called at the start of every read

 private:
  MemorySystem& inner_;
  sdk::testing::ManualClock& clock_;
  std::chrono::milliseconds pageTime_;
  std::optional<std::uint64_t> total_;
  std::uint64_t consumed_ = 0;
};

class ProgressTest : public EngineTest {
 protected:
  void addContacts(int n) {
    for (int i = 0; i < n; ++i) {
      crm_.create(Object{{"FirstName", "F" + std::to_string(i)},
                         {"LastName", "L"},
                         {"Email", "p" + std::to_string(i) + "@x.test"},
                         {"Phone", nullptr}});
    }
  }

  // A runner reading `source` in the forward pass (crm_ is still the source's sink side).
  std::unique_ptr<FlowRunner> runnerOver(sdk::Source& source, SyncMode mode) {
    return std::make_unique<FlowRunner>(
        makeFlow("progress", mode), Endpoint{&source, &crm_, "Contact", "Id"},
        Endpoint{&people_, &people_, "Person", "id"}, *store_, clock_);
  }

  std::vector<Progress> runCollecting(FlowRunner& runner) {
    std::vector<Progress> seen;
    RunOptions options;
    options.onProgress = [&](const Progress& p) { seen.push_back(p); };
    const RunSummary s = runner.run(options);
    EXPECT_EQ(s.status, RunStatus::kSucceeded) << s.error;
    return seen;
  }
};
// Progress arithmetic does not depend on the store backend.
INSTANTIATE_TEST_SUITE_P(Backends, ProgressTest, ::testing::Values("sqlite"),
                         [](const auto& info) { return info.param; });

TEST_P(ProgressTest, EtaAppearsAndShrinksWithTheSourcesEstimate) {
  addContacts(120);  // pages of 50, 50, 20 (the sink's batch size)
  EstimatingSource source(crm_, clock_, 1000ms, 120);
  auto runner = runnerOver(source, SyncMode::kOneWay);
  const auto seen = runCollecting(*runner);

  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].records, 50);
  EXPECT_EQ(seen[1].records, 100);
  EXPECT_EQ(seen[2].records, 120);
  EXPECT_EQ(seen[0].remaining, 70u);
  EXPECT_EQ(seen[1].remaining, 20u);
  EXPECT_EQ(seen[2].remaining, 0u);
  // 50 records per simulated second: 70 left take 1.4 s, 20 left 0.4 s.
  EXPECT_EQ(seen[0].etaMs, 1400);
  EXPECT_EQ(seen[1].etaMs, 400);
  EXPECT_EQ(seen[2].etaMs, 0);
  EXPECT_DOUBLE_EQ(seen[0].ratePerSecond, 50.0);
  EXPECT_EQ(seen[1].elapsedMs, 2000);
  EXPECT_EQ(seen[2].counts.created, 120);
}

TEST_P(ProgressTest, NoEstimateMeansNoRemainingAndNoEta) {
  addContacts(120);
  EstimatingSource source(crm_, clock_, 1000ms, std::nullopt);
  auto runner = runnerOver(source, SyncMode::kOneWay);
  const auto seen = runCollecting(*runner);

  ASSERT_EQ(seen.size(), 3u);
  for (const Progress& p : seen) {
    EXPECT_FALSE(p.remaining.has_value()) << p.records;
    EXPECT_FALSE(p.etaMs.has_value()) << p.records;
  }
  // The rate is still known: 50, 100 then 120 records after 1, 2 and 3 simulated seconds.
  EXPECT_DOUBLE_EQ(seen[0].ratePerSecond, 50.0);
  EXPECT_DOUBLE_EQ(seen[2].ratePerSecond, 40.0);
}

TEST_P(ProgressTest, NoEtaBeforeThePassHasARate) {
  addContacts(60);
  EstimatingSource source(crm_, clock_, 0ms, 60);  // reads take no (clock) time at all
  auto runner = runnerOver(source, SyncMode::kOneWay);
  const auto seen = runCollecting(*runner);

  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0].remaining, 10u);
  EXPECT_FALSE(seen[0].etaMs.has_value());
  EXPECT_EQ(seen[0].ratePerSecond, 0.0);
  EXPECT_EQ(seen[1].etaMs, 0);  // nothing left takes no time, rate or not
}

TEST_P(ProgressTest, EachPassUsesItsOwnReadersEstimate) {
  addContacts(100);
  EstimatingSource source(crm_, clock_, 2000ms, 100);  // 25 records/s in the forward pass
  auto runner = runnerOver(source, SyncMode::kTwoWay);
  const auto seen = runCollecting(*runner);

  // Forward: two pages from the estimating source. Reverse: People's 100 new persons (echoes),
  // read from a sink that gives no estimate.
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_EQ(seen[0].direction, Direction::kForward);
  EXPECT_EQ(seen[0].etaMs, 2000);  // 50 left at 25/s
  EXPECT_EQ(seen[1].etaMs, 0);
  for (std::size_t i = 2; i < seen.size(); ++i) {
    EXPECT_EQ(seen[i].direction, Direction::kReverse);
    EXPECT_FALSE(seen[i].remaining.has_value());
    EXPECT_FALSE(seen[i].etaMs.has_value());
    EXPECT_EQ(seen[i].records, 100 + 50 * static_cast<std::int64_t>(i - 1));
  }
}

TEST_P(ProgressTest, SchedulerShowsTheRunInProgressAndClearsItAfterwards) {
  addContacts(120);
  EstimatingSource source(crm_, clock_, 1000ms, 120);
  FlowDef flow = makeFlow("progress", SyncMode::kOneWay);
  flow.every = std::chrono::hours(1);
  Scheduler* scheduler = nullptr;
  std::vector<std::optional<Progress>> duringReads;
  source.onRead = [&] { duringReads.push_back(scheduler->status("progress")->progress); };
  Scheduler owned(
      *store_, clock_,
      [&](const FlowDef& f, const std::string& node) -> Result<std::shared_ptr<FlowRunner>> {
        return std::make_shared<FlowRunner>(f, Endpoint{&source, &crm_, "Contact", "Id"},
                                            Endpoint{&people_, &people_, "Person", "id"}, *store_,
                                            clock_, nullptr, node);
      },
      {1, "node-a"});
  scheduler = &owned;
  owned.add(flow, true);
  owned.start();
  const auto until = std::chrono::steady_clock::now() + 10s;
  while (owned.status("progress")->runs == 0 && std::chrono::steady_clock::now() < until) {
    std::this_thread::sleep_for(10ms);
  }
  owned.stop();

  const FlowStatus after = *owned.status("progress");
  ASSERT_EQ(after.runs, 1);
  EXPECT_FALSE(after.progress.has_value());
  ASSERT_EQ(duringReads.size(), 3u);         // three pages, the last one empty of "more"
  EXPECT_FALSE(duringReads[0].has_value());  // nothing committed yet
  ASSERT_TRUE(duringReads[1].has_value());
  EXPECT_EQ(duringReads[1]->records, 50);
  EXPECT_EQ(duringReads[1]->remaining, 70u);
  EXPECT_EQ(duringReads[1]->etaMs, 1400);
  ASSERT_TRUE(duringReads[2].has_value());
  EXPECT_EQ(duringReads[2]->records, 100);
  EXPECT_EQ(duringReads[2]->etaMs, 400);
}

TEST(ProgressFormatTest, DurationsReadLikeAPersonWouldSayThem) {
  EXPECT_EQ(formatDuration(0), "0s");
  EXPECT_EQ(formatDuration(-5), "0s");
  EXPECT_EQ(formatDuration(1), "1s");  // something left is never "0s"
  EXPECT_EQ(formatDuration(45'000), "45s");
  EXPECT_EQ(formatDuration(59'001), "1m");
  EXPECT_EQ(formatDuration(80'000), "1m 20s");
  EXPECT_EQ(formatDuration(3'600'000), "1h");
  EXPECT_EQ(formatDuration(7'500'000), "2h 5m");
  EXPECT_EQ(formatDuration(273'600'000), "3d 4h");
}

TEST(ProgressFormatTest, LineShowsEtaAndEstimateOnlyWhenKnown) {
  Progress p;
  p.records = 12000;
  p.ratePerSecond = 1850.4;
  EXPECT_EQ(formatProgress(p), "12000 records, 1850/s");
  p.remaining = 148000;
  EXPECT_EQ(formatProgress(p), "12000 records, 1850/s (~148000 left)");
  p.etaMs = 80'000;
  EXPECT_EQ(formatProgress(p), "12000 records, 1850/s, ETA 1m 20s (~148000 left)");
  p.ratePerSecond = 2.26;
  EXPECT_EQ(formatProgress(p), "12000 records, 2.3/s, ETA 1m 20s (~148000 left)");
}

}  // namespace
}  // namespace ferry::host::engine::testing
