// The flow runner: executes one flow's runs, batch by batch, with the semantics of DESIGN.md §5.
//
// Per batch: read changes since the cursor -> filter -> map -> diff against the link base ->
// one batched lookup (matches for unlinked records; in two-way flows the other side's current
// values for changed linked records) -> batched writes within the sink's maxBatch -> results,
// links, conflicts, dead letters and the new cursor committed in ONE StateStore::commitBatch.
// A crash before that commit replays the batch; the replay is harmless because creates carry the
// reader's id as idempotency key and unlinked records are matched before anything is created.
//
// Two-way flows run a forward pass (source changes) then a reverse pass (sink changes). A pass
// writes only the side it did not read: a field changed only on the other side stays at its
// base and crosses when that side's own change is read.
//
// Threading: one run at a time per runner (the scheduler guarantees it); the runner calls its
// connectors from the calling thread only.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "ferry/host/flow/flow.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/sdk/connector.hpp"
#include "ferry/sdk/host.hpp"

namespace ferry::host::engine {

// One side of a flow as the runner uses it. The flow's source side needs `source` (and `sink`
// in two-way flows); the sink side needs `sink` (and `source` in two-way flows).
struct Endpoint {
  sdk::Source* source = nullptr;
  sdk::Sink* sink = nullptr;
  std::string entity;
  std::string idField = "Id";  // key for lookups by id (two-way flows)
};

// Reported after each committed batch. Times come from the runner's clock.
struct Progress {
  Direction direction = Direction::kForward;  // the pass in progress
  std::int64_t records = 0;                   // changes processed so far in this run (both passes)
  double ratePerSecond = 0;                   // records over the run's elapsed time
  RunCounts counts;
  std::int64_t elapsedMs = 0;
  // The reader's latest estimate of changes left in this pass (ReadBatch::remaining); nullopt
  // when it gave none with this batch.
  std::optional<std::uint64_t> remaining;
  // `remaining` at this pass's average rate so far; nullopt without an estimate or before the
  // pass has a rate (no records yet, or no time has passed).
  std::optional<std::int64_t> etaMs;
};

// A duration for people: "45s", "1m 20s", "2h 5m", "3d 4h". Whole seconds, rounded up, so
// something left never reads "0s"; negative durations read as "0s".
std::string formatDuration(std::int64_t ms);
// One progress line: "12000 records, 1850/s, ETA 1m 20s (~148000 left)". The ETA and the
// estimate appear only when known ("12000 records, 1850/s" otherwise).
std::string formatProgress(const Progress& p);

struct RunOptions {
  // Checked between batches: true finishes the run after the current batch (graceful stop).
  std::function<bool()> shouldStop;
  // Called before each batch (e.g. to renew the flow's lease); false abandons the run there.
  std::function<bool()> beforeBatch;
  std::function<void(const Progress&)> onProgress;
  bool retryDueDeadLetters = true;  // also retry transient dead letters whose backoff ran out
  // Deletions a push event reported (for connectors whose reads do not report deletes, such as
  // People): handled as deletes under the flow's policy before the passes. Sink-side ones only
  // matter to two-way flows.
  std::vector<std::string> deletedSourceIds;
  std::vector<std::string> deletedSinkIds;
};

struct RunSummary {
  std::int64_t runId = 0;
  RunStatus status = RunStatus::kSucceeded;
  RunCounts counts;
  std::string error;
  std::int64_t startedAtMs = 0;
  std::int64_t endedAtMs = 0;
  std::size_t batches = 0;
};

struct RetrySummary {
  std::size_t attempted = 0;
  std::size_t resolved = 0;    // written (or found already in sync) and marked resolved
  std::size_t superseded = 0;  // a later sync of the same record made them moot
  std::size_t failed = 0;      // rejected again (attempts and next retry updated)
  RunCounts counts;
};

// Where a converted or merged record's link goes: the name of the flow that syncs the
// successor's entity between the same two connections, or empty for this flow.
using SuccessorRouter = std::function<std::string(const sdk::Successor&)>;

class FlowRunner {
 public:
  FlowRunner(FlowDef flow, Endpoint source, Endpoint sink, StateStore& store, sdk::Clock& clock,
             sdk::Logger* logger = nullptr, std::string node = "local");
  ~FlowRunner();
  FlowRunner(const FlowRunner&) = delete;
  FlowRunner& operator=(const FlowRunner&) = delete;

  const FlowDef& flow() const noexcept;
  void setSuccessorRouter(SuccessorRouter router);

  // One run: every pending change of each side (until caught up or stopped), then the transient
  // dead letters that are due. Recorded in the store's run history.
  RunSummary run(const RunOptions& options = {});

  // Operator retry: re-maps and writes the selected dead letters now, whatever their due time.
  // A success marks a dead letter resolved; a failure updates its attempts and reason.
  Result<RetrySummary> retryDeadLetters(const DeadLetterFilter& filter);
  Result<RetrySummary> retryDeadLetter(std::int64_t id);

  // Settles a parked conflict as an operator chose and syncs the record right away:
  //   "source" | "sink": a field conflict's fields take that side's value on both sides;
  //   "link:<candidate id>": an ambiguous match is linked to that candidate, which gets the
  //   record's mapped values.
  Status resolveConflict(std::int64_t id, const std::string& resolution);

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ferry::host::engine
