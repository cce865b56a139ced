// The scheduler: runs active flows on their interval and when woken (push events, "run now"),
// several flows at once on a small thread pool, each flow's batches strictly in order and at most
// one run per flow at a time. A StateStore lease per flow ("flow/<name>") makes sure two nodes
// sharing a store never run the same flow; the lease is renewed before every batch and taken
// over by another node when it expires.
//
// Graceful stop (and pause) let the current batch finish, then end the run: nothing is lost,
// the next run continues from the last committed cursor.
//
// The scheduler keeps runtime state only; persisting which flows are active is the caller's job
// (the admin API stores it with the deployed flow).
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/host/engine/flow_runner.hpp"

namespace ferry::host::engine {

struct SchedulerOptions {
  std::size_t threads = 4;
  std::string node = "local";  // this process's name in leases and run history
  std::chrono::milliseconds leaseTtl{30'000};
  // After a failed run the next one waits interval * 2^(failures-1), at most this long.
  std::chrono::milliseconds maxFailureDelay{300'000};
};

// Opens (connects) a flow's runner when the scheduler first needs it, and again after the flow
// definition changed or opening failed. `node` is the scheduler's node name (for run history).
using FlowOpener = std::function<Result<std::shared_ptr<FlowRunner>>(const FlowDef& flow,
                                                                     const std::string& node)>;

struct FlowStatus {
  std::string name;
  bool active = false;
  bool running = false;
  bool leaseHeldElsewhere = false;  // another node runs it
  std::optional<RunSummary> lastRun;
  std::int64_t nextRunAtMs = 0;  // 0 when paused
  // How far behind the flow may be: time since the start of the last run that caught up
  // (0 before the first one).
  std::int64_t lagMs = 0;
  RunCounts totals;  // over the runs of this process
  std::int64_t runs = 0;
  std::string lastError;  // of the last failed run or failed open
  // The run in progress, once it committed a batch; reset when it ends.
  std::optional<Progress> progress;
};

class Scheduler {
 public:
  Scheduler(StateStore& store, sdk::Clock& clock, FlowOpener opener, SchedulerOptions options = {});
  ~Scheduler();  // stop()
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Adds or replaces a flow (a replaced definition reopens its runner before the next run).
  void add(const FlowDef& flow, bool active);
  Status remove(const std::string& flow);
  Status activate(const std::string& flow);
  Status pause(const std::string& flow);  // a run in progress ends after its current batch
  Status runNow(const std::string& flow);
  // A push event: flows reading `entities` (empty = any) of `connection` run early. Returns how
  // many flows were woken. `deletedIds` are records of the first entity the event reports
  // deleted (PushResult::deletedIds); the woken flows handle them under their delete policy.
  std::size_t wake(const std::string& connection, const std::vector<std::string>& entities,
                   const std::vector<std::string>& deletedIds = {});

  std::optional<FlowStatus> status(const std::string& flow) const;
  std::vector<FlowStatus> statuses() const;

  // Operator retry of dead letters, serialised with the flow's runs (waits for a run to end).
  Result<RetrySummary> retryDeadLetters(const std::string& flow, const DeadLetterFilter& filter);
  // Operator resolution of a conflict (see FlowRunner::resolveConflict), serialised likewise.
  Status resolveConflict(const std::string& flow, std::int64_t id, const std::string& resolution);

  void start();
  // Ends every run after its current batch, waits for them and releases the leases.
  void stop();

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::host::engine
