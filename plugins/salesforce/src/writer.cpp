// Sink side: batched lookups (IN queries split to the URL budget) and sObject Collections
// writes with per-record results, lock retries and idempotent upserts.
#include <algorithm>
#include <cctype>
#include <random>
#include <tuple>
#include <unordered_map>

#include "ferry/plugins/salesforce/connector.hpp"
#include "ferry/plugins/salesforce/soql.hpp"

namespace ferry::plugins::salesforce {

namespace {

using sdk::ErrorCode;
using Kind = sdk::WriteOp::Kind;
using Outcome = sdk::WriteResult::Outcome;

std::string lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool isRecordId(std::string_view id) {
  return (id.size() == 15 || id.size() == 18) && std::all_of(id.begin(), id.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0;
         });
}

// Text used to compare a lookup key with a record value: SOQL compares text case-insensitively
// (emails included), so the client-side assignment of results to queries does too.
std::optional<std::string> comparable(const sdk::Value& v, std::string_view type) {
  if (v.isString()) {
    if (type == "id" || type == "reference") {
      // 15- and 18-character ids name the same record; the 15 are case-sensitive.
      return v.asString().substr(0, 15);
    }
    return lower(v.asString());
  }
  if (v.isInteger()) return std::to_string(v.asInteger());
  if (v.isBool()) return std::string(v.asBool() ? "true" : "false");
  if (v.isDate()) return v.asDate().toIso();
  if (v.isDateTime()) return v.asDateTime().toIso();
  if (v.isDecimal()) return v.toJson();
  return std::nullopt;
}

sdk::WriteResult rejected(sdk::Error error, std::string field = {}) {
  sdk::WriteResult r;
  r.outcome = Outcome::kRejected;
  r.error = std::move(error);
  r.field = std::move(field);
  return r;
}

// The SDK result for one Collections result of a write of `kind`.
sdk::WriteResult resultOf(const RecordResult& r, Kind kind, bool upsert, const std::string& opId) {
  sdk::WriteResult out;
  if (r.success) {
    out.id = r.id.empty() ? opId : r.id;
    switch (kind) {
      case Kind::kDelete:
        out.outcome = Outcome::kDeleted;
        break;
      case Kind::kUpdate:
        out.outcome = Outcome::kUpdated;
        break;
      case Kind::kCreate:
        out.outcome = upsert && !r.created.value_or(true) ? Outcome::kUpdated : Outcome::kCreated;
        break;
    }
    return out;
  }
  const ApiError& first = r.errors.front();
  if (kind == Kind::kDelete && first.code == "ENTITY_IS_DELETED") {
    out.outcome = Outcome::kDeleted;  // already gone: the desired state holds
    out.id = opId;
    return out;
  }
  out = rejected(errorFromRecordError(first),
                 first.fields.empty() ? std::string() : first.fields.front());
  if (!first.duplicateIds.empty()) out.conflictingId = first.duplicateIds.front();
  return out;
}

}  // namespace

sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> SalesforceConnector::lookup(
    const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
    const std::vector<std::string>& fields) {
  if (auto budget = session_.checkBudget(); !budget) return budget.takeError();
  auto described = describeObject(entity);
  if (!described) return described.takeError();
  const ObjectDescription& object = **described;

  std::vector<std::string> select{"Id"};
  const auto addSelect = [&](const std::string& name) {
    if (std::none_of(select.begin(), select.end(),
                     [&](const std::string& s) { return lower(s) == lower(name); })) {
      select.push_back(name);
    }
  };
  const char* tsField = object.field("SystemModstamp") != nullptr ? "SystemModstamp" : nullptr;
  if (tsField != nullptr) addSelect(tsField);
  std::vector<std::string> output;
  for (const auto& f : fields) {
    auto path = checkFieldPath(object, f);
    if (!path) return path.takeError();
    addSelect(*path);
    output.push_back(*path);
  }

  // Per key field: its type and the distinct literals to ask for.
  struct KeyField {
    std::string name;
    std::string type;
    std::vector<std::string> literals;
    std::vector<std::string> seen;  // comparable forms, for de-duplication
  };
  std::vector<KeyField> keyFields;
  for (const auto& q : queries) {
    for (const auto& [field, value] : q.keys) {
      const auto* f = object.field(field);
      if (f == nullptr) {
        return sdk::Error::make(ErrorCode::kInvalidArgument,
                                entity + " has no field '" + field + "' to match on");
      }
      if (!f->filterable) {
        return sdk::Error::make(ErrorCode::kInvalidArgument,
                                entity + "." + f->name + " cannot be filtered in SOQL");
      }
      if (value.isNull()) continue;
      auto it = std::find_if(keyFields.begin(), keyFields.end(),
                             [&](const KeyField& k) { return k.name == f->name; });
      if (it == keyFields.end()) {
        keyFields.push_back(KeyField{f->name, f->type, {}, {}});
        it = keyFields.end() - 1;
        addSelect(f->name);
      }
      const auto key = comparable(value, f->type);
      if (!key || std::find(it->seen.begin(), it->seen.end(), *key) != it->seen.end()) continue;
      auto literal = literalFor(value, f->type);
      if (!literal) continue;  // a value that cannot be expressed cannot match either
      it->seen.push_back(*key);
      it->literals.push_back(std::move(*literal));
    }
  }

  std::vector<std::pair<std::string, std::vector<std::string>>> keys;
  for (auto& k : keyFields) keys.emplace_back(k.name, std::move(k.literals));
  auto statements = buildLookupQueries(object.name, select, keys, settings_.lookupMaxUrlChars);
  if (!statements) return statements.takeError();

  FieldTypes types;
  for (const auto& name : select) {
    if (const auto* f = object.field(name)) types.emplace(name, f->type);
  }
  std::vector<sdk::Object> found;
  for (const auto& soql : *statements) {
    std::string next;
    do {
      ApiCall call;
      call.path = next.empty() ? settings_.dataPath() + "/query?q=" + percentEncode(soql) : next;
      call.headers.emplace_back("Sforce-Query-Options", "batchSize=2000");
      call.what = "lookup " + object.name;
      auto response = session_.sendOk(call);
      if (!response) return response.takeError();
      auto page = parseQueryPage(response->body, types);
      if (!page) {
        auto error = page.takeError();
        error.message = "lookup " + object.name + ": " + error.message;
        error.retriable = true;
        return error;
      }
      for (auto& r : page->records) found.push_back(std::move(r));
      next = page->nextRecordsUrl;
    } while (!next.empty());
  }

  std::vector<std::vector<sdk::FoundRecord>> results(queries.size());
  for (std::size_t qi = 0; qi < queries.size(); ++qi) {
    for (const auto& record : found) {
      const bool matches =
          std::any_of(queries[qi].keys.begin(), queries[qi].keys.end(), [&](const auto& key) {
            const auto* f = object.field(key.first);
            const auto* v = f != nullptr ? record.find(f->name) : nullptr;
            if (v == nullptr || key.second.isNull()) return false;
            const auto a = comparable(*v, f->type);
            const auto b = comparable(key.second, f->type);
            return a && b && *a == *b;
          });
      if (!matches) continue;
      const auto* id = record.find("Id");
      if (id == nullptr || !id->isString()) continue;
      auto& list = results[qi];
      if (std::any_of(list.begin(), list.end(),
                      [&](const sdk::FoundRecord& r) { return r.id == id->asString(); })) {
        continue;
      }
      sdk::FoundRecord hit;
      hit.id = id->asString();
      for (const auto& name : output) {
        const auto* v = sdk::findPath(record, name);
        sdk::setPath(hit.fields, name, v != nullptr ? *v : sdk::Value());
      }
      if (tsField != nullptr) {
        if (const auto* ts = record.find(tsField); ts != nullptr && ts->isDateTime()) {
          hit.modifiedAtMs = ts->asDateTime().epochMs;
        }
      }
      list.push_back(std::move(hit));
    }
  }
  return results;
}

sdk::Result<std::vector<sdk::WriteResult>> SalesforceConnector::write(
    const std::string& entity, const std::vector<sdk::WriteOp>& ops) {
  if (auto budget = session_.checkBudget(); !budget) return budget.takeError();
  auto described = describeObject(entity);
  if (!described) return described.takeError();
  const ObjectDescription& object = **described;

  const bool upsertConfigured = !settings_.upsertExternalIdField.empty() &&
                                object.field(settings_.upsertExternalIdField) != nullptr;
  std::vector<sdk::WriteResult> results(ops.size());
  std::vector<std::size_t> creates, upserts, updates, deletes;
  for (std::size_t i = 0; i < ops.size(); ++i) {
    switch (ops[i].kind) {
      case Kind::kCreate:
        (upsertConfigured && !ops[i].idempotencyKey.empty() ? upserts : creates).push_back(i);
        break;
      case Kind::kUpdate:
        updates.push_back(i);
        break;
      case Kind::kDelete:
        deletes.push_back(i);
        break;
    }
  }
  std::vector<bool> decided(ops.size(), false);
  for (const auto& [indices, kind, upsert] :
       {std::tuple{&creates, Kind::kCreate, false}, std::tuple{&upserts, Kind::kCreate, true},
        std::tuple{&updates, Kind::kUpdate, false}, std::tuple{&deletes, Kind::kDelete, false}}) {
    if (indices->empty()) continue;
    auto status = writeRecords(object, ops, *indices, kind, upsert, results, decided);
    if (status) continue;
    // A whole call failed. If nothing was written yet the caller may retry the batch as is;
    // otherwise what was written must be reported, and the rest is rejected as retriable with
    // the call's error so that it is tried again without replaying the successful records.
    const bool anyAnswered = std::any_of(results.begin(), results.end(), [](const auto& r) {
      return r.outcome != Outcome::kRejected || (r.error && !r.error->remoteCode.empty());
    });
    if (!anyAnswered) return status.takeError();
    const sdk::Error error = status.takeError();
    for (std::size_t i = 0; i < ops.size(); ++i) {
      if (!decided[i]) {
        results[i] = rejected(error);
        results[i].error->retriable = true;
      }
    }
    break;
  }
  if (context_.metrics != nullptr) {
    for (const auto& r : results) {
      static constexpr const char* kNames[] = {"created", "updated", "unchanged", "deleted",
                                               "rejected"};
      context_.metrics->add("salesforce_records_written", kNames[static_cast<int>(r.outcome)], 1);
    }
  }
  return results;
}

sdk::Status SalesforceConnector::writeRecords(const ObjectDescription& object,
                                              const std::vector<sdk::WriteOp>& ops,
                                              const std::vector<std::size_t>& indices, Kind kind,
                                              bool upsert, std::vector<sdk::WriteResult>& results,
                                              std::vector<bool>& decided) {
  const std::string& extField = settings_.upsertExternalIdField;
  const std::string duplicateHeader = settings_.duplicateRuleHeaderValue();

  // Request bodies per op (or the id for deletes); ops that fail validation are rejected here.
  std::vector<std::size_t> pending;
  std::unordered_map<std::size_t, std::string> payload;  // op index -> record JSON or id
  for (const auto i : indices) {
    const auto& op = ops[i];
    if (kind == Kind::kDelete || kind == Kind::kUpdate) {
      if (!isRecordId(op.id)) {
        results[i] = rejected(sdk::Error::make(ErrorCode::kInvalidArgument,
                                               "'" + op.id + "' is not a Salesforce record id"));
        decided[i] = true;
        continue;
      }
    }
    if (kind == Kind::kDelete) {
      payload[i] = op.id;
      pending.push_back(i);
      continue;
    }
    sdk::Object record{{"attributes", sdk::Object{{"type", object.name}}}};
    std::optional<sdk::WriteResult> problem;
    const auto put = [&](const std::string& name, const sdk::Value& value) {
      const auto* f = object.field(name);
      if (f == nullptr) {
        problem = rejected(sdk::Error::make(ErrorCode::kInvalidArgument,
                                            object.name + " has no field '" + name + "'"),
                           name);
        return;
      }
      auto converted = toApiValue(value, f->type);
      if (!converted) {
        problem = rejected(sdk::Error::make(ErrorCode::kInvalidArgument,
                                            f->name + ": " + converted.error().message),
                           f->name);
        return;
      }
      record.set(f->name, std::move(*converted));
    };
    if (kind == Kind::kUpdate && !op.changed.empty()) {
      // Only what changed: concurrent edits to other mapped fields are left alone.
      for (const auto& name : op.changed) {
        const auto* v = sdk::findPath(op.fields, name);
        put(name, v != nullptr ? *v : sdk::Value());
        if (problem) break;
      }
    } else {
      for (const auto& [name, value] : op.fields) {
        if (name == "Id" || name == "attributes") continue;
        put(name, value);
        if (problem) break;
      }
    }
    if (problem) {
      results[i] = std::move(*problem);
      decided[i] = true;
      continue;
    }
    if (kind == Kind::kUpdate) record.set("id", op.id);
    if (upsert) record.set(object.field(extField)->name, op.idempotencyKey);
    payload[i] = sdk::Value(std::move(record)).toJson();
    pending.push_back(i);
  }

  std::mt19937 jitter(
      static_cast<std::uint32_t>(context_.clock != nullptr ? context_.clock->nowMs() : 0));
  for (int attempt = 0; !pending.empty(); ++attempt) {
    std::vector<std::size_t> locked;  // UNABLE_TO_LOCK_ROW: re-sent after a pause
    for (std::size_t start = 0; start < pending.size();
         start += static_cast<std::size_t>(settings_.writeBatch)) {
      const std::size_t end =
          std::min(pending.size(), start + static_cast<std::size_t>(settings_.writeBatch));
      ApiCall call;
      if (kind == Kind::kDelete) {
        std::string ids;
        for (std::size_t k = start; k < end; ++k)
          ids += (ids.empty() ? "" : ",") + payload[pending[k]];
        call.method = "DELETE";
        call.path = settings_.dataPath() + "/composite/sobjects?ids=" + ids + "&allOrNone=false";
        call.what = "delete " + object.name;
      } else {
        std::string records;
        for (std::size_t k = start; k < end; ++k) {
          records += (k == start ? "" : ",") + payload[pending[k]];
        }
        call.body = "{\"allOrNone\":false,\"records\":[" + records + "]}";
        if (upsert) {
          call.method = "PATCH";
          call.path = settings_.dataPath() + "/composite/sobjects/" + object.name + "/" +
                      object.field(extField)->name;
          call.what = "upsert " + object.name;
        } else if (kind == Kind::kUpdate) {
          call.method = "PATCH";
          call.path = settings_.dataPath() + "/composite/sobjects";
          call.what = "update " + object.name;
        } else {
          call.method = "POST";
          call.path = settings_.dataPath() + "/composite/sobjects";
          call.what = "create " + object.name;
          call.idempotent = false;  // a replayed plain create could duplicate
        }
        if (!duplicateHeader.empty()) {
          call.headers.emplace_back("Sforce-Duplicate-Rule-Header", duplicateHeader);
        }
      }
      call.timeout = std::chrono::minutes(10);
      auto response = session_.sendOk(call);
      if (!response) return response.takeError();
      auto parsed = parseCollectionResults(response->body, end - start);
      if (!parsed) {
        auto error = parsed.takeError();
        error.message = call.what + ": " + error.message;
        return error;
      }
      for (std::size_t k = start; k < end; ++k) {
        const std::size_t i = pending[k];
        const auto& r = (*parsed)[k - start];
        if (!r.success && r.errors.front().code == "UNABLE_TO_LOCK_ROW" &&
            attempt < settings_.lockRetries) {
          locked.push_back(i);
          continue;
        }
        results[i] = resultOf(r, kind, upsert, ops[i].id);
        decided[i] = true;
      }
    }
    pending = std::move(locked);
    if (!pending.empty() && context_.clock != nullptr) {
      // Another transaction holds the rows: back off 0.5 s, 1 s, 2 s... with +-50 % jitter.
      const auto base = 500LL << std::min(attempt, 6);
      std::uniform_int_distribution<long long> spread(base / 2, base + base / 2);
      context_.clock->sleepFor(std::chrono::milliseconds(spread(jitter)));
    }
  }
  return {};
}

}  // namespace ferry::plugins::salesforce
