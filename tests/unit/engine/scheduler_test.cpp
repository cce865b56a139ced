// Scheduler tests with in-memory connectors and the real clock (short intervals, bounded waits).
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "ferry/host/common/clock.hpp"
#include "ferry/host/engine/scheduler.hpp"

namespace ferry::host::engine::testing {
namespace {

using namespace std::chrono_literals;

// Polls `done` until it holds or `limit` passes.
template <typename Fn>
bool eventually(Fn&& done, std::chrono::milliseconds limit = 10s) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

class SchedulerTest : public EngineTest {
 protected:
  FlowOpener opener(MemorySystem& source, MemorySystem& sink) {
    return [this, &source, &sink](const FlowDef& flow,
                                  const std::string& node) -> Result<std::shared_ptr<FlowRunner>> {
      ++opens_;
      return std::make_shared<FlowRunner>(flow, Endpoint{&source, &source, "Contact", "Id"},
                                          Endpoint{&sink, &sink, "Person", "id"}, *store_,
                                          systemClock(), nullptr, node);
    };
  }
  std::atomic<int> opens_{0};
};
FERRY_ENGINE_BACKENDS(SchedulerTest);

Object contact(const std::string& email) {
  return Object{{"FirstName", "F"}, {"LastName", "L"}, {"Email", email}, {"Phone", nullptr}};
}

TEST_P(SchedulerTest, RunsActiveFlowsOnTheirIntervalAndReportsStatus) {
  crm_.create(contact("a@x.test"));
  FlowDef flow = makeFlow("sched", SyncMode::kOneWay);
  flow.every = 50ms;
  Scheduler scheduler(*store_, systemClock(), opener(crm_, people_), {2, "node-a"});
  scheduler.add(flow, true);
  scheduler.start();
  ASSERT_TRUE(eventually([&] { return people_.live().size() == 1; }));
  crm_.create(contact("b@x.test"));  // picked up by a later scheduled run
  ASSERT_TRUE(eventually([&] { return people_.live().size() == 2; }));
  ASSERT_TRUE(eventually([&] { return scheduler.status("sched")->runs >= 3; }));
  scheduler.stop();
  const FlowStatus s = *scheduler.status("sched");
  EXPECT_TRUE(s.active);
  EXPECT_EQ(s.totals.created, 2);
  ASSERT_TRUE(s.lastRun.has_value());
  EXPECT_EQ(s.lastRun->status, RunStatus::kSucceeded);
  EXPECT_TRUE(s.lastError.empty());
  EXPECT_GT(s.nextRunAtMs, 0);
  EXPECT_EQ(opens_.load(), 1);  // the runner is kept between runs
  auto history = store_->runs("sched", 100);
  ASSERT_TRUE(history.ok());
  EXPECT_GE(history->size(), 3u);
  EXPECT_EQ(history->front().node, "node-a");
}

TEST_P(SchedulerTest, PausedFlowsWaitAndWakeUpsRunEarly) {
  FlowDef flow = makeFlow("woken", SyncMode::kOneWay);
  flow.every = std::chrono::hours(1);
  Scheduler scheduler(*store_, systemClock(), opener(crm_, people_), {2, "node-a"});
  scheduler.add(flow, false);
  scheduler.start();
  crm_.create(contact("a@x.test"));
  std::this_thread::sleep_for(150ms);
  EXPECT_EQ(people_.live().size(), 0u);  // paused
  EXPECT_EQ(scheduler.wake("crm", {"Contact"}), 0u);

  ASSERT_TRUE(scheduler.activate("woken").ok());  // first run right away
  ASSERT_TRUE(eventually([&] { return people_.live().size() == 1; }));
  ASSERT_TRUE(eventually([&] { return !scheduler.status("woken")->running; }));

  crm_.create(contact("b@x.test"));
  EXPECT_EQ(scheduler.wake("other-connection", {}), 0u);
  EXPECT_EQ(scheduler.wake("crm", {"Lead"}), 0u);
  EXPECT_EQ(scheduler.wake("crm", {"Contact"}), 1u);  // a push event: not an hour later
  ASSERT_TRUE(eventually([&] { return people_.live().size() == 2; }));

  crm_.create(contact("c@x.test"));
  ASSERT_TRUE(eventually([&] { return !scheduler.status("woken")->running; }));
  ASSERT_TRUE(scheduler.runNow("woken").ok());
  ASSERT_TRUE(eventually([&] { return people_.live().size() == 3; }));
  EXPECT_FALSE(scheduler.runNow("missing").ok());
}

TEST_P(SchedulerTest, WakeUpsCarryReportedDeletesToTheFlowsReadingThatEntity) {
  people_.feedHasDeletes = false;
  FlowDef flow = makeFlow("push-deletes", SyncMode::kTwoWay);
  flow.deletes = DeletePolicy::kPropagate;
  flow.every = std::chrono::hours(1);
  const auto c = crm_.create(contact("a@x.test"));
  Scheduler scheduler(*store_, systemClock(), opener(crm_, people_), {2, "node-a"});
  scheduler.add(flow, true);
  scheduler.start();
  ASSERT_TRUE(eventually([&] { return people_.live().size() == 1; }));
  ASSERT_TRUE(eventually([&] { return !scheduler.status("push-deletes")->running; }));
  const std::string p = people_.live()[0]->id;
  people_.remove(p);
  EXPECT_EQ(scheduler.wake("people", {"Person"}, {p}), 1u);
  ASSERT_TRUE(eventually([&] { return crm_.find(c)->deleted; }));
  scheduler.stop();
}

TEST_P(SchedulerTest, TwoNodesNeverRunTheSameFlow) {
  for (int i = 0; i < 20; ++i) crm_.create(contact("p" + std::to_string(i) + "@x.test"));
  FlowDef flow = makeFlow("leased", SyncMode::kOneWay);
  flow.every = 20ms;
  MemorySystem otherPeople{"Q", "id", [this] { return ++tick_; }};
  Scheduler a(*store_, systemClock(), opener(crm_, people_), {1, "node-a", 60s});
  Scheduler b(*store_, systemClock(), opener(crm_, otherPeople), {1, "node-b", 60s});
  a.add(flow, true);
  a.start();
  ASSERT_TRUE(eventually([&] { return a.status("leased")->runs >= 1; }));
  b.add(flow, true);
  b.start();
  ASSERT_TRUE(eventually([&] { return b.status("leased")->leaseHeldElsewhere; }));
  std::this_thread::sleep_for(200ms);
  EXPECT_EQ(b.status("leased")->runs, 0);
  EXPECT_EQ(otherPeople.live().size(), 0u);
  // Node a stops (releasing its lease): node b takes the flow over.
  a.stop();
  crm_.create(contact("late@x.test"));
  ASSERT_TRUE(eventually([&] { return b.status("leased")->runs >= 1; }));
  b.stop();
  EXPECT_EQ(people_.live().size(), 20u);
  EXPECT_EQ(otherPeople.live().size(), 1u);  // only what changed after the takeover
}

TEST_P(SchedulerTest, StopEndsARunAfterItsBatchAndTheNextRunContinues) {
  for (int i = 0; i < 300; ++i) crm_.create(contact("p" + std::to_string(i) + "@x.test"));
  crm_.batchLimit = 10;
  people_.batchLimit = 10;
  // Writes take a little time, as remote ones do, so that stop() lands mid-run even on a loaded
  // machine (without it all 30 batches can finish before the test thread gets to run).
  people_.rejectOp = [](const sdk::WriteOp&) -> std::optional<sdk::Error> {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    return std::nullopt;
  };
  FlowDef flow = makeFlow("stopping", SyncMode::kOneWay);
  flow.every = std::chrono::hours(1);
  {
    Scheduler scheduler(*store_, systemClock(), opener(crm_, people_), {1, "node-a"});
    scheduler.add(flow, true);
    scheduler.start();
    ASSERT_TRUE(eventually([&] { return people_.live().size() >= 20; }));
    scheduler.stop();
    const auto s = scheduler.status("stopping");
    ASSERT_TRUE(s->lastRun.has_value());
    EXPECT_EQ(s->lastRun->status, RunStatus::kAbandoned);
  }
  const std::size_t partial = people_.live().size();
  EXPECT_LT(partial, 300u);
  people_.rejectOp = nullptr;
  Scheduler again(*store_, systemClock(), opener(crm_, people_), {1, "node-a"});
  again.add(flow, true);
  again.start();
  ASSERT_TRUE(eventually([&] { return people_.live().size() == 300u; }));
  again.stop();
  EXPECT_EQ(people_.createOps, 300);  // nothing twice, nothing lost
}

TEST_P(SchedulerTest, RetriesDeadLettersBetweenRuns) {
  people_.rejectOp = [](const sdk::WriteOp&) -> std::optional<sdk::Error> {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, "bad email", false, "INVALID_EMAIL");
  };
  crm_.create(contact("a@x.test"));
  FlowDef flow = makeFlow("letters", SyncMode::kOneWay);
  flow.every = std::chrono::hours(1);
  Scheduler scheduler(*store_, systemClock(), opener(crm_, people_), {1, "node-a"});
  scheduler.add(flow, true);
  scheduler.start();
  ASSERT_TRUE(eventually([&] { return scheduler.status("letters")->runs == 1; }));
  EXPECT_EQ(scheduler.status("letters")->totals.rejected, 1);
  people_.rejectOp = nullptr;
  DeadLetterFilter all;
  auto retried = scheduler.retryDeadLetters("letters", all);
  ASSERT_TRUE(retried.ok()) << retried.error().describe();
  EXPECT_EQ(retried->resolved, 1u);
  EXPECT_EQ(people_.live().size(), 1u);
  scheduler.stop();
}

}  // namespace
}  // namespace ferry::host::engine::testing
