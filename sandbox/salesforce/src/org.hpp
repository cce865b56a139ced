// The emulated org's data: records of Account/Contact/Lead with Salesforce's write semantics
// (validation, defaults, audit stamps, soft delete, late commit), query execution for SOQL,
// lead conversion and merge. Not thread-safe: the server serialises calls into the service.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <unordered_map>
#include <variant>
#include <vector>

#include "model.hpp"
#include "soql.hpp"

namespace ferry::sandbox::salesforce {

// A value as a client sent it (JSON or CSV), before conversion to the field's type.
using InputValue = std::variant<std::monostate, bool, int64_t, double, std::string>;
using FieldInputs = std::vector<std::pair<std::string, InputValue>>;

struct SaveError {
  std::string statusCode;
  std::string message;
  std::vector<std::string> fields;
  std::string duplicateResultJson;  // DUPLICATES_DETECTED only: the duplicateResult object
};

struct SaveResult {
  std::string id;  // empty when the save failed
  bool success = false;
  bool created = false;
  std::vector<SaveError> errors;
};

struct Record {
  std::string id;
  const ObjectDef* type = nullptr;
  std::vector<Value> values;     // latest write
  std::vector<Value> committed;  // what queries see until visibleAtMs (late commit)
  bool hasCommitted = false;     // committed holds an earlier, visible version
  int64_t visibleAtMs = 0;       // when `values` becomes visible to queries
  int64_t deletedAtMs = -1;      // soft delete time; -1 when live
  bool deleted() const { return deletedAtMs >= 0; }
};

struct WriteKnobs {
  int64_t lateCommitMs = 0;
  bool duplicateRule = false;
  int unableToLockRowNext = 0;      // the next N record writes fail with UNABLE_TO_LOCK_ROW
  double unableToLockRowShare = 0;  // or this share of record writes, 0..1
};

// Undo log for allOrNone: every record touched by a write is saved before the first change.
class Transaction {
 public:
  void remember(const std::string& id, const Record* before);  // nullptr: the record is new
  const std::vector<std::pair<std::string, std::optional<Record>>>& entries() const {
    return entries_;
  }

 private:
  std::vector<std::pair<std::string, std::optional<Record>>> entries_;
};

struct QueryRows {
  int64_t totalSize = 0;
  std::vector<std::string> json;                   // rendered REST records
  std::vector<std::vector<std::string>> csvCells;  // Bulk rows (when asked)
  std::vector<std::string> csvHeader;
};

class Org {
 public:
  Org(const Schema& schema, std::function<int64_t()> clock, uint64_t seed);

  int64_t now() const { return clock_(); }
  const Schema& schema() const { return schema_; }
  const std::string& userId() const { return userId_; }
  const std::string& orgId() const { return orgId_; }
  WriteKnobs& knobs() { return knobs_; }

  // Writes. `tx` (optional) collects undo information for allOrNone rollbacks.
  SaveResult create(const ObjectDef& object, const FieldInputs& fields, Transaction* tx = nullptr);
  SaveResult update(const ObjectDef& object, const std::string& id, const FieldInputs& fields,
                    Transaction* tx = nullptr);
  SaveResult remove(const std::string& id, Transaction* tx = nullptr);
  // Bulk hardDelete: the record skips the recycle bin (invisible even to queryAll).
  void purge(const std::string& id);
  // Upsert by an external-id field (or "Id"); 300 (several matches) is reported through
  // `matches` with success=false and no errors.
  SaveResult upsert(const ObjectDef& object, const FieldDef& key, const std::string& keyValue,
                    const FieldInputs& fields, std::vector<std::string>* matches,
                    Transaction* tx = nullptr);
  void rollback(const Transaction& tx);

  // Reads.
  Record* find(const std::string& id);  // 15/18-char id, any state
  std::vector<std::string> findByExternalId(const ObjectDef& object, size_t field,
                                            const std::string& value);
  // Renders the record with all fields (or the named ones) as the REST API does.
  std::string renderRecord(const Record& record, const std::vector<size_t>& fields,
                           const std::string& version) const;
  QueryRows runQuery(const Query& query, bool includeDeleted, const std::string& version, bool csv);

  // Replication (getUpdated / getDeleted).
  std::vector<std::string> updatedIds(const ObjectDef& object, int64_t start, int64_t end);
  std::vector<std::pair<std::string, int64_t>> deletedIds(const ObjectDef& object, int64_t start,
                                                          int64_t end);

  // Sandbox actions "as a user in the UI".
  struct ConvertResult {
    std::string accountId, contactId;
    std::vector<SaveError> errors;
  };
  ConvertResult convertLead(const std::string& leadId, const std::string& accountId,
                            const std::string& contactId, const std::string& convertedStatus);
  std::vector<SaveError> merge(const std::string& masterId,
                               const std::vector<std::string>& duplicateIds);

  // Saves since the last call, in order: what workflow rules (Outbound Messages) see. Writes
  // undone by rollback() are not listed; the service takes them after every call.
  struct Change {
    std::string id;
    bool created = false;
  };
  std::vector<Change> takeChanges();

  void reset();
  std::string snapshot() const;
  void restore(const std::string& json);
  std::string dump(const ObjectDef* only) const;
  size_t count(const ObjectDef& object, bool includeDeleted) const;

  static std::string valueToCsv(const FieldDef& def, const Value& value);

 private:
  struct Prepared {
    std::vector<std::pair<size_t, Value>> assignments;
    std::vector<SaveError> errors;
  };
  Prepared prepare(const ObjectDef& object, const FieldInputs& fields, bool creating);
  void validateRecord(const Record& record, const std::string& selfId,
                      std::vector<SaveError>& errors);
  bool lockConflict(const std::string& id, std::vector<SaveError>& errors);
  void stamp(Record& record, bool created);
  void commitWrite(Record& record, const std::vector<Value>& before, bool existedVisible);
  // The version of `record` queries see at time `current` (late commit, recycle bin), or null.
  const std::vector<Value>* visible(const Record& record, bool includeDeleted,
                                    int64_t current) const;
  std::string newId(const ObjectDef& object);
  void recomputeName(Record& record);
  const Value& fieldValue(const std::vector<Value>& values, const BoundField& field,
                          int64_t current) const;
  void markDeleted(Record& record, Transaction* tx);
  // Keeps index_ in step with a record's external-id and email values.
  void reindex(const Record& record, const std::vector<Value>* before,
               const std::vector<Value>* after);

  const Schema& schema_;
  std::function<int64_t()> clock_;
  uint64_t seed_;
  uint64_t lockDraws_ = 0;
  WriteKnobs knobs_;
  std::string userId_;
  std::string orgId_;
  std::map<std::string, uint64_t> serials_;          // key prefix -> last serial
  std::unordered_map<std::string, Record> records_;  // 18-char id -> record
  // object -> its records in creation order (nodes of records_ never move, so the pointers stay
  // valid across rehashing)
  std::map<std::string, std::vector<Record*>> order_;
  // "<object>\x1f<field index>\x1f<lower-case value>" -> id, for external ids and emails
  std::unordered_multimap<std::string, std::string> index_;
  std::vector<Change> changes_;  // see takeChanges()
};

}  // namespace ferry::sandbox::salesforce
