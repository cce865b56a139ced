// The state store: everything ferry must remember, behind one interface with two backends
// (SQLite, the embedded default; PostgreSQL, shared by several nodes). Nothing here assumes one
// process owns the store: writes that belong together go through commitBatch() as one
// transaction, and flow ownership across nodes goes through leases.
//
// All methods are thread-safe. Failures (I/O, lost database connection, lock timeout) are
// reported as sdk::Error with code kUnavailable (retriable) or kInternal. Besides those: bad
// arguments are kInvalidArgument, a referenced row that does not exist is kNotFound, and a write
// that would break a uniqueness rule (e.g. a sink id linked twice in one flow) is kConflict; a
// failed write changes nothing.
//
// Objects written (link bases, conflict values, dead-letter payloads) read back equal to what was
// written, value kinds included (a Date stays a Date), so they can be compared with fresh values.
//
// Bookkeeping timestamps the caller leaves at 0 (Link::updatedAtMs, Conflict::createdAtMs,
// DeadLetter::createdAtMs/updatedAtMs, FlowVersion::deployedAtMs) are filled in from the
// store's clock. A flow does not need to be deployed before cursors,
// links, runs, conflicts or dead letters are written for its name (`ferry run FILE` works).
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
  int version = 0;              // 1, 2, ... per deploy of changed content
  std::string definition;       // the flow YAML as deployed
  std::string connectionsJson;  // resolved connection definitions it was validated against
  std::string origin;           // file path or "api"
  std::int64_t deployedAtMs = 0;
};

struct FlowState {
  std::string name;
  int currentVersion = 0;
  bool active = false;  // activated by an operator; resumes after restart
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
  // Due for a retry: pending or retrying with 0 < nextRetryAtMs <= dueBeforeMs (automatic retries
  // of retriable letters and operator-requested ones alike; add `retriable` to tell them apart).
  std::optional<std::int64_t> dueBeforeMs;
  std::size_t limit = 100;
  std::int64_t afterId = 0;  // keyset paging: the last id of the previous page
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
  // Stores a new version when the definition differs from the current one; returns its number
  // (the current one when the definition is unchanged). FlowVersion::version is ignored. A new
  // flow starts inactive. Concurrent deploys of one flow (several nodes) are serialised.
  virtual Result<int> deployFlow(const FlowVersion& version) = 0;
  virtual Result<std::optional<FlowState>> flowState(const std::string& name) = 0;
  virtual Result<std::vector<FlowState>> listFlows() = 0;  // ordered by name
  virtual Result<std::optional<FlowVersion>> flowVersion(const std::string& name,
                                                         int version /* 0 = current */) = 0;
  // Every version, oldest first.
  virtual Result<std::vector<FlowVersion>> flowHistory(const std::string& name) = 0;
  // kNotFound when no flow of that name is deployed.
  virtual Status setFlowActive(const std::string& name, bool active) = 0;
  // Removes the flow and everything that belongs to it (versions, links, cursors, conflicts,
  // dead letters, runs). Not an error when there is nothing to remove. Leases and key-value
  // state are keyed by caller-chosen names, not flows, and are left alone.
  virtual Status deleteFlow(const std::string& name) = 0;

  // ---- Cursors (written through commitBatch) ----
  virtual Result<std::optional<std::string>> cursor(const std::string& flow, Direction side) = 0;
  virtual Status resetCursors(const std::string& flow) = 0;

  // ---- Links ----
  // One link per (flow, source id) and per (flow, sink id). Lookups take any number of ids (they
  // are queried in chunks) and return the links found, ordered by the looked-up id, each once;
  // ids without a link are simply absent.
  virtual Result<std::vector<Link>> linksBySource(const std::string& flow,
                                                  const std::vector<std::string>& sourceIds) = 0;
  virtual Result<std::vector<Link>> linksBySink(const std::string& flow,
                                                const std::vector<std::string>& sinkIds) = 0;
  virtual Result<std::int64_t> linkCount(const std::string& flow) = 0;
  // Keyset paging over all links of a flow (for reconciliation), ordered by source id (byte-wise
  // on both backends); pass "" to start and the last source id of a page to continue.
  virtual Result<std::vector<Link>> links(const std::string& flow, const std::string& afterSourceId,
                                          std::size_t limit) = 0;

  // ---- One batch, atomically ----
  // Applies, in one transaction and in this order: the cursor; deleteLinksBySource; upsertLinks
  // (by source id; a later entry for the same source id wins; deletes come first, so a batch may
  // re-point a sink id from a deleted source to a new one); newConflicts and newDeadLetters (ids
  // assigned); updatedDeadLetters (attempts, status, nextRetryAtMs, retriable, reason, errorCode,
  // field and updatedAtMs, by id within batch.flow: kNotFound if absent); countsDelta added to
  // runId's counts (kNotFound if absent). Links' `flow` may be empty (batch.flow is used) or must
  // equal batch.flow. Any failure rolls back everything: no partial batch is ever visible.
  virtual Status commitBatch(const BatchCommit& batch) = 0;

  // ---- Conflicts ----
  virtual Result<std::vector<Conflict>> conflicts(const ConflictFilter& filter) = 0;  // by id
  virtual Result<std::optional<Conflict>> conflict(std::int64_t id) = 0;
  // Marks an open conflict resolved now. kNotFound for an unknown id; kConflict when it was
  // already resolved (two operators answering at once: the first one wins).
  virtual Status resolveConflict(std::int64_t id, const std::string& resolution) = 0;

  // ---- Dead letters ----
  virtual Result<std::vector<DeadLetter>> deadLetters(const DeadLetterFilter& filter) = 0;  // by id
  virtual Result<std::optional<DeadLetter>> deadLetter(std::int64_t id) = 0;
  // An operator's decision (retry request: kRetrying with nextRetryAtMs = now; discard). kNotFound
  // for an unknown id.
  virtual Status setDeadLetterStatus(std::int64_t id, DeadLetterStatus status,
                                     std::int64_t nextRetryAtMs) = 0;
  // How many match the filter (limit and afterId are ignored).
  virtual Result<std::int64_t> countDeadLetters(const DeadLetterFilter& filter) = 0;

  // ---- Runs ----
  virtual Result<std::int64_t> startRun(const std::string& flow, const std::string& node,
                                        std::int64_t startedAtMs) = 0;
  // kNotFound for an unknown run.
  virtual Status finishRun(std::int64_t runId, RunStatus status, std::int64_t endedAtMs,
                           const std::string& error) = 0;
  // Newest first; an empty flow name lists the runs of all flows.
  virtual Result<std::vector<Run>> runs(const std::string& flow, std::size_t limit) = 0;

  // ---- Connector key-value state (values arrive already encrypted when secret) ----
  // Values are arbitrary bytes (stored as BLOB/BYTEA). Scope and key must not be empty; kvKeys
  // is ordered; erasing a missing key is not an error.
  virtual Result<std::optional<std::string>> kvGet(const std::string& scope,
                                                   const std::string& key) = 0;
  virtual Status kvPut(const std::string& scope, const std::string& key,
                       const std::string& value) = 0;
  virtual Status kvErase(const std::string& scope, const std::string& key) = 0;
  virtual Result<std::vector<std::string>> kvKeys(const std::string& scope) = 0;

  // ---- Leases (one node runs a flow at a time; expired leases are taken over) ----
  // acquireLease is one atomic conditional write: true when `node` now holds `name` until
  // nowMs + ttlMs (it was free, already ours — a renewal — or expired at nowMs), false when
  // another node holds it. ttlMs must be positive. Releasing a lease one does not hold does
  // nothing. Nodes must use comparable clocks (the caller passes nowMs).
  virtual Result<bool> acquireLease(const std::string& name, const std::string& node,
                                    std::int64_t nowMs, std::int64_t ttlMs) = 0;
  virtual Status releaseLease(const std::string& name, const std::string& node) = 0;
};

// Opens a store from a URL: "sqlite:///path/to/ferry.db" (or a bare path; "sqlite://" followed by
// the path as written, so "sqlite://state/ferry.db" is relative), or
// "postgresql://user:pass@host:port/db[?sslmode=...&connect_timeout=...]" ("postgres://" too;
// percent-encoding allowed; values may not contain whitespace). SQLite: the file and its parent
// directories are created. Applies pending migrations before returning (in one transaction;
// concurrent openers wait for each other). Errors never show the password.
Result<std::unique_ptr<StateStore>> openStateStore(const std::string& url);

}  // namespace ferry::host
