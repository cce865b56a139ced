// Connector interfaces: a connector reads changes (Source), looks up and writes records (Sink),
// describes its entities and may take inbound push events.
//
// Lifecycle (the host drives it, in this order, from one thread):
//   1. the descriptor's factory creates the connector with a HostContext;
//   2. start() once: authenticate lazily or eagerly, warm caches; an error here is shown in the
//      connection's status and the host retries start() later;
//   3. any number of describe/read/lookup/write/handlePush calls;
//   4. stop() once before destruction: release remote sessions; must not block for long.
//
// Threading: the host never calls one connector instance from two threads at once (each flow
// side gets its own instance), so an instance needs no locks of its own. HostContext services
// are thread-safe. Every method must return, not throw: the SDK's guard() helps.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ferry/sdk/host.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"
#include "ferry/sdk/value.hpp"

namespace ferry::sdk {

// ---- Reading ---------------------------------------------------------------------------------

// A condition the flow puts on source records ("only Leads with Status = Open"). Conditions are
// ANDed. A source may push them down into its query (safely quoted); the host applies them again
// to what is returned, so pushing down is an optimisation, never a correctness requirement.
struct Condition {
  enum class Op { kEq, kNe, kIn, kNotIn, kIsNull, kNotNull, kGt, kGe, kLt, kLe };
  std::string field;
  Op op = Op::kEq;
  std::vector<Value> values;  // one for comparisons, many for kIn/kNotIn, none for null checks
};

struct ReadRequest {
  std::string entity;
  std::string cursor;               // opaque; empty = from the beginning (initial load)
  std::size_t limit = 2000;         // upper bound on changes returned; a page may return fewer
  std::vector<std::string> fields;  // fields the flow needs (the id field is always returned)
  std::vector<Condition> filter;
};

// What replaced a record that disappeared: a merge winner or a converted Lead's Contact.
struct Successor {
  enum class Reason { kMerged, kConverted };
  Reason reason = Reason::kMerged;
  std::string entity;  // entity of the successor ("Contact" for a converted Lead)
  std::string id;
};

struct Change {
  enum class Op { kUpsert, kDelete };
  std::string id;
  Op op = Op::kUpsert;
  Object fields;                  // current values of the requested fields (empty for deletes)
  std::int64_t modifiedAtMs = 0;  // remote modification time (UTC ms); 0 when unknown
  std::optional<Successor> successor;
};

struct ReadBatch {
  std::vector<Change> changes;  // ordered oldest first; may repeat records already seen
  std::string nextCursor;       // persisted by the host only after the batch is committed
  bool hasMore = false;         // true when reading again right away would return more
  // The connector's estimate of changes still to read after nextCursor in this pass (a query's
  // total minus rows consumed, say); nullopt when unknown. Only drives progress and ETA
  // displays: an estimate, never a promise, and the host never stops reading because of it.
  std::optional<std::uint64_t> remaining;
};

class Source {
 public:
  virtual ~Source() = default;
  // Returns changes after `cursor`. Must not miss a change committed remotely after an earlier
  // read returned (use overlap windows; the host dedupes repeats against its links).
  virtual Result<ReadBatch> read(const ReadRequest& request) = 0;
};

// ---- Matching and writing -------------------------------------------------------------------

struct LookupQuery {
  // Candidate keys: a record matches when ANY key equals (emails compare case-insensitively).
  std::vector<std::pair<std::string, Value>> keys;
};

struct FoundRecord {
  std::string id;
  Object fields;  // at least the requested fields
  // Remote modification time (UTC ms) when the connector knows it; 0 otherwise. Two-way flows
  // with the newest-wins policy compare it with the other side's change time.
  std::int64_t modifiedAtMs = 0;
};

struct WriteOp {
  enum class Kind { kCreate, kUpdate, kDelete };
  Kind kind = Kind::kCreate;
  std::string id;  // sink id for update/delete; empty for create
  // Create: every mapped value. Update: the desired values of the mapped fields (all of them;
  // `changed` says which differ from `previous`). A connector must not blank unmapped fields.
  Object fields;
  std::vector<std::string> changed;
  std::optional<Object> previous;  // last synced values, when known (to remove old contacts)
  // Stable key of the source record (e.g. the Salesforce Id): connectors that can upsert by an
  // external key use it so a replayed create never duplicates.
  std::string idempotencyKey;
};

struct WriteResult {
  enum class Outcome { kCreated, kUpdated, kUnchanged, kDeleted, kRejected };
  Outcome outcome = Outcome::kRejected;
  std::string id;              // sink id (for all outcomes but kRejected, when known)
  std::optional<Error> error;  // set for kRejected: reason, retriable, remote code
  std::string field;           // the offending field/property path, when the remote says
  std::string conflictingId;   // the other record for duplicate/uniqueness rejections
};

class Sink {
 public:
  virtual ~Sink() = default;
  // One result list per query, in order. Two-way flows also look records up by their id: a
  // query whose only key is the entity's idField must return that record (or nothing).
  virtual Result<std::vector<std::vector<FoundRecord>>> lookup(
      const std::string& entity, const std::vector<LookupQuery>& queries,
      const std::vector<std::string>& fields) = 0;
  // Exactly one result per op, in order. A whole-call Error means nothing is known to have
  // been written (the host retries the batch); per-record failures are kRejected results.
  virtual Result<std::vector<WriteResult>> write(const std::string& entity,
                                                 const std::vector<WriteOp>& ops) = 0;
  // The largest batch write() accepts (e.g. 200 for Salesforce, 1000 for People).
  virtual std::size_t maxBatch(const std::string& entity) const = 0;
};

// ---- Push events ------------------------------------------------------------------------------

struct InboundRequest {
  std::string method;
  std::string path;  // below the connection's inbound endpoint
  Headers headers;
  std::string body;
};

struct PushResult {
  int status = 200;
  std::string contentType = "application/json";
  std::string body;                     // acknowledgement sent back to the remote
  std::vector<std::string> wake;        // entities with news: flows reading them run early
  std::vector<std::string> deletedIds;  // ids the event says were deleted (per first entity)
};

// A push event only wakes flows early; the poll still reconciles, so losing one only delays.
class PushIntake {
 public:
  virtual ~PushIntake() = default;
  virtual Result<PushResult> handlePush(const InboundRequest& request) = 0;
};

// ---- The connector ----------------------------------------------------------------------------

class Connector {
 public:
  virtual ~Connector() = default;
  virtual Status start() = 0;
  virtual void stop() noexcept = 0;
  // Entity catalogue; may call the remote (Salesforce describe) and may cache.
  virtual Result<std::vector<EntitySchema>> describe() = 0;
  // nullptr when the connector offers no such role.
  virtual Source* source() = 0;
  virtual Sink* sink() = 0;
  virtual PushIntake* push() { return nullptr; }
  // A cheap live check for "test connection" (auth + one call). Default: start().
  virtual Status check() { return start(); }
};

}  // namespace ferry::sdk
