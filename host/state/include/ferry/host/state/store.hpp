// The state store: everything ferry must remember, behind one interface with two backends
// (SQLite, the embedded default; PostgreSQL, shared by several nodes). Nothing here assumes one
// process owns the store: writes that belong together go through commitBatch() as one
// transaction, and flow ownership across nodes goes through leases.
//
// All methods are thread-safe. Failures (I/O, lost database connection) are reported as
// sdk::Error with code kUnavailable (retriable) or kInternal.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/sdk/result.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::host {

using sdk::Object;
using sdk::Result;
using sdk::Status;

// Which way a record travels in a flow: forward = source -> sink; reverse = sink -> source
// (two-way flows only).
enum class Direction { kForward, kReverse };
const char* toString(Direction d) noexcept;

struct FlowVersion {
  std::string name;
  int version = 0;            // 1, 2, ... per deploy of changed content
  std::string definition;     // the flow YAML as deployed
  std::string connectionsJson;  // resolved connection definitions it was validated against
  std::string origin;         // file path or "api"
  std::int64_t deployedAtMs = 0;
};

struct FlowState {
  std::string name;
  int currentVersion = 0;
  bool active = false;          // activated by an operator; resumes after restart
  std::int64_t updatedAtMs = 0;
};

struct Link {
  std::string flow;
  std::string sourceId;
  std::string sinkId;
  Object base;  // mapped values both sides held after the last successful sync (sink field names)
  std::int64_t sourceModifiedAtMs = 0;
  std::int64_t sinkModifiedAtMs = 0;
  std::int64_t updatedAtMs = 0;
};

enum class ConflictKind { kFieldConflict, kAmbiguousMatch };
enum class ConflictStatus { kOpen, kResolved };

struct Conflict {
  std::int64_t id = 0;  // assigned by the store
  std::string flow;
  ConflictKind kind = ConflictKind::kFieldConflict;
  ConflictStatus status = ConflictStatus::kOpen;
  std::string sourceId;
  std::string sinkId;                   // empty for ambiguous matches
  std::vector<std::string> fields;      // conflicting fields (sink names)
  Object sourceValues;                  // mapped values from the source side
  Object sinkValues;                    // values on the sink side
  Object base;                          // last agreed values
  std::vector<std::string> candidates;  // ambiguous match: candidate sink ids
  std::string resolution;               // how it was resolved ("source", "sink", "values")
  std::int64_t createdAtMs = 0;
  std::int64_t resolvedAtMs = 0;
};

enum class DeadLetterStatus { kPending, kRetrying, kResolved, kDiscarded };

struct DeadLetter {
  std::int64_t id = 0;  // assigned by the store
  std::string flow;
  Direction direction = Direction::kForward;
  std::string recordId;    // id on the side it was read from
  Object payload;          // the record as read (source field names), so a retry can re-map it
  std::string reason;      // the sink's or mapper's reason, precise
  std::string errorCode;   // remote code (e.g. INVALID_EMAIL_ADDRESS) or ferry's
  std::string field;       // offending field, when known
  bool retriable = false;  // transient: retried automatically with backoff
  int attempts = 0;
  std::int64_t nextRetryAtMs = 0;  // 0 = waits for an operator's retry request
  DeadLetterStatus status = DeadLetterStatus::kPending;
  std::int64_t createdAtMs = 0;
  std::int64_t updatedAtMs = 0;
};

struct RunCounts {
  std::int64_t read = 0;
  std::int64_t created = 0;
  std::int64_t updated = 0;
  std::int64_t unchanged = 0;  // skipped: equal to base (echo suppression) or NOT_MODIFIED
  std::int64_t deleted = 0;
  std::int64_t rejected = 0;
  std::int64_t conflicts = 0;
};

enum class RunStatus { kRunning, kSucceeded, kFailed, kAbandoned };

struct Run {
  std::int64_t id = 0;
  std::string flow;
  std::string node;  // which ferry process ran it
  std::int64_t startedAtMs = 0;
  std::int64_t endedAtMs = 0;
  RunStatus status = RunStatus::kRunning;
  RunCounts counts;
  std::string error;
};

// Everything one batch changes, committed atomically after the sink answered.
struct BatchCommit {
  std::string flow;
  std::optional<std::pair<Direction, std::string>> cursor;  // new cursor for that side
  std::vector<Link> upsertLinks;
  std::vector<std::string> deleteLinksBySource;  // source ids whose links go away
  std::vector<Conflict> newConflicts;
  std::vector<DeadLetter> newDeadLetters;
  std::vector<DeadLetter> updatedDeadLetters;  // by id: attempts/status/nextRetry changes
  std::optional<std::int64_t> runId;           // counts added to this run
  RunCounts countsDelta;
};

struct DeadLetterFilter {
  std::optional<std::string> flow;
  std::optional<DeadLetterStatus> status;
  std::optional<bool> retriable;
  std::optional<std::int64_t> dueBeforeMs;  // retriable ones due for an automatic retry
  std::size_t limit = 100;
  std::int64_t afterId = 0;  // keyset paging
};

struct ConflictFilter {
  std::optional<std::string> flow;
  std::optional<ConflictStatus> status;
  std::size_t limit = 100;
  std::int64_t afterId = 0;
};

class StateStore {
 public:
  virtual ~StateStore() = default;

  // Which backend ("sqlite" | "postgresql") and the schema version after migrations.
  virtual std::string backend() const = 0;
  virtual int schemaVersion() = 0;

  // ---- Flows (deployed definitions with version history) ----
  // Stores a new version when the definition differs from the current one; returns its number.
  virtual Result<int> deployFlow(const FlowVersion& version) = 0;
  virtual Result<std::optional<FlowState>> flowState(const std::string& name) = 0;
  virtual Result<std::vector<FlowState>> listFlows() = 0;
  virtual Result<std::optional<FlowVersion>> flowVersion(const std::string& name,
                                                         int version /* 0 = current */) = 0;
  virtual Result<std::vector<FlowVersion>> flowHistory(const std::string& name) = 0;
  virtual Status setFlowActive(const std::string& name, bool active) = 0;
  // Removes the flow and everything that belongs to it (links, cursors, conflicts, ...).
  virtual Status deleteFlow(const std::string& name) = 0;

  // ---- Cursors ----
  virtual Result<std::optional<std::string>> cursor(const std::string& flow, Direction side) = 0;
  virtual Status resetCursors(const std::string& flow) = 0;

  // ---- Links ----
  virtual Result<std::vector<Link>> linksBySource(const std::string& flow,
                                                  const std::vector<std::string>& sourceIds) = 0;
  virtual Result<std::vector<Link>> linksBySink(const std::string& flow,
                                                const std::vector<std::string>& sinkIds) = 0;
  virtual Result<std::int64_t> linkCount(const std::string& flow) = 0;
  // Keyset paging over all links of a flow (for reconciliation), ordered by source id.
  virtual Result<std::vector<Link>> links(const std::string& flow, const std::string& afterSourceId,
                                          std::size_t limit) = 0;

  // ---- One batch, atomically ----
  virtual Status commitBatch(const BatchCommit& batch) = 0;

  // ---- Conflicts ----
  virtual Result<std::vector<Conflict>> conflicts(const ConflictFilter& filter) = 0;
  virtual Result<std::optional<Conflict>> conflict(std::int64_t id) = 0;
  virtual Status resolveConflict(std::int64_t id, const std::string& resolution) = 0;

  // ---- Dead letters ----
  virtual Result<std::vector<DeadLetter>> deadLetters(const DeadLetterFilter& filter) = 0;
  virtual Result<std::optional<DeadLetter>> deadLetter(std::int64_t id) = 0;
  virtual Status setDeadLetterStatus(std::int64_t id, DeadLetterStatus status,
                                     std::int64_t nextRetryAtMs) = 0;
  virtual Result<std::int64_t> countDeadLetters(const DeadLetterFilter& filter) = 0;

  // ---- Runs ----
  virtual Result<std::int64_t> startRun(const std::string& flow, const std::string& node,
                                        std::int64_t startedAtMs) = 0;
  virtual Status finishRun(std::int64_t runId, RunStatus status, std::int64_t endedAtMs,
                           const std::string& error) = 0;
  virtual Result<std::vector<Run>> runs(const std::string& flow, std::size_t limit) = 0;

  // ---- Connector key-value state (values arrive already encrypted when secret) ----
  virtual Result<std::optional<std::string>> kvGet(const std::string& scope,
                                                   const std::string& key) = 0;
  virtual Status kvPut(const std::string& scope, const std::string& key,
                       const std::string& value) = 0;
  virtual Status kvErase(const std::string& scope, const std::string& key) = 0;
  virtual Result<std::vector<std::string>> kvKeys(const std::string& scope) = 0;

  // ---- Leases (one node runs a flow at a time; expired leases are taken over) ----
  virtual Result<bool> acquireLease(const std::string& name, const std::string& node,
                                    std::int64_t nowMs, std::int64_t ttlMs) = 0;
  virtual Status releaseLease(const std::string& name, const std::string& node) = 0;
};

// Opens a store from a URL: "sqlite:///path/to/ferry.db" (or a bare path), or
// "postgresql://user:pass@host:port/db". Applies pending migrations before returning.
Result<std::unique_ptr<StateStore>> openStateStore(const std::string& url);

}  // namespace ferry::host
