// An in-memory remote system for engine tests: one entity of flat records that is a Source
// (change feed ordered by modification time and id, with an overlap window like the Salesforce
// connector) and a Sink (lookups by any key or by id, idempotent creates by external key), plus
// knobs for failures and counters for API calls. Thread-safe (record pointers handed out stay
// valid; read them once the system is quiet).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "ferry/sdk/connector.hpp"

namespace ferry::host::engine::testing {

class MemorySystem final : public sdk::Source, public sdk::Sink {
 public:
  struct Record {
    std::string id;
    sdk::Object fields;
    std::int64_t modifiedAtMs = 0;
    bool deleted = false;
    bool hidden = false;  // written but not yet visible (a late commit)
    std::string externalId;
    std::optional<sdk::Successor> successor;
  };

  // `stamp` gives the modification time of each change (tests share one logical clock).
  MemorySystem(std::string idPrefix, std::string idField, std::function<std::int64_t()> stamp);

  // ---- The test's own edits (as a user of the remote system would make them) ----
  std::string create(sdk::Object fields);
  std::string createAt(sdk::Object fields, std::int64_t modifiedAtMs, bool hidden = false);
  void update(const std::string& id, const sdk::Object& patch);
  void remove(const std::string& id);
  void reveal(const std::string& id);  // a hidden record becomes visible, time unchanged
  void setSuccessor(const std::string& id, sdk::Successor successor);

  const Record* find(const std::string& id) const;
  std::vector<const Record*> live() const;
  const Record* findBy(const std::string& field, const sdk::Value& value) const;

  // ---- Knobs ----
  std::size_t batchLimit = 50;
  std::int64_t overlapMs = 0;  // the next run re-reads this much before the last change
  bool feedHasDeletes = true;  // false: reads never report deletes (like People)
  int failWriteCalls = 0;      // whole write calls that fail (transient) before one succeeds
  int failLookupCalls = 0;
  // Per-op rejection: returns an error to reject the op.
  std::function<std::optional<sdk::Error>(const sdk::WriteOp&)> rejectOp;

  // ---- Counters ----
  int readCalls = 0;
  int lookupCalls = 0;
  int writeCalls = 0;
  int createOps = 0;
  int updateOps = 0;
  int deleteOps = 0;
  int unchangedOps = 0;
  int writeOps() const { return createOps + updateOps + deleteOps; }
  void resetCounters();
  // Forgets every record, knob and counter (a fresh system).
  void reset();

  // ---- sdk::Source / sdk::Sink ----
  sdk::Result<sdk::ReadBatch> read(const sdk::ReadRequest& request) override;
  sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> lookup(
      const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
      const std::vector<std::string>& fields) override;
  sdk::Result<std::vector<sdk::WriteResult>> write(const std::string& entity,
                                                   const std::vector<sdk::WriteOp>& ops) override;
  std::size_t maxBatch(const std::string& entity) const override { return batchLimit; }

 private:
  sdk::WriteResult apply(const sdk::WriteOp& op);
  Record* findMutable(const std::string& id);

  // Tests edit the system while a scheduler thread syncs it.
  mutable std::recursive_mutex mutex_;
  std::string prefix_;
  std::string idField_;
  std::function<std::int64_t()> stamp_;
  std::map<std::string, Record> records_;
  std::int64_t nextId_ = 1;
};

}  // namespace ferry::host::engine::testing
