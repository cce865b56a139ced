#include "connector.hpp"

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>
#include <set>
#include <unordered_map>

#include "line_reader.hpp"
#include "records.hpp"

namespace ferry::plugins::jsonl {

namespace {

using sdk::Error;
using sdk::ErrorCode;
using sdk::Object;
using sdk::Value;
using sdk::WriteOp;
using sdk::WriteResult;

// Only the requested fields (and the id field); everything when none are requested.
Object project(const Object& record, const std::vector<std::string>& fields,
               const std::string& idField) {
  if (fields.empty()) return record;
  Object out;
  for (const auto& f : fields) {
    if (const Value* v = sdk::findPath(record, f)) sdk::setPath(out, f, *v);
  }
  if (const Value* id = record.find(idField)) out.set(idField, *id);
  return out;
}

WriteResult rejected(ErrorCode code, std::string message, std::string field = {}) {
  WriteResult r;
  r.outcome = WriteResult::Outcome::kRejected;
  r.error = Error::make(code, std::move(message));
  r.field = std::move(field);
  return r;
}

WriteResult done(WriteResult::Outcome outcome, std::string id) {
  WriteResult r;
  r.outcome = outcome;
  r.id = std::move(id);
  return r;
}

}  // namespace

JsonlConnector::JsonlConnector(Config config, const sdk::HostContext& context)
    : config_(std::move(config)), context_(context) {}

sdk::Status JsonlConnector::start() {
  std::error_code ec;
  if (!std::filesystem::is_directory(config_.directory, ec)) {
    return Error::make(ErrorCode::kInvalidArgument,
                       "directory '" + config_.directory.string() + "' does not exist");
  }
  return {};
}

void JsonlConnector::stop() noexcept { tables_.clear(); }

sdk::Result<std::vector<sdk::EntitySchema>> JsonlConnector::describe() {
  std::vector<sdk::EntitySchema> out;
  for (const auto& e : config_.entities) out.push_back(e.schema);
  return out;
}

sdk::Result<const EntityConfig*> JsonlConnector::entity(const std::string& name) const {
  if (const EntityConfig* e = config_.entity(name)) return e;
  std::string declared;
  for (const auto& e : config_.entities) declared += (declared.empty() ? "" : ", ") + e.schema.name;
  return Error::make(ErrorCode::kInvalidArgument,
                     "unknown entity '" + name + "' (declared: " + declared + ")");
}

sdk::Result<Table*> JsonlConnector::table(const EntityConfig& e) {
  auto it = tables_.find(e.schema.name);
  if (it == tables_.end()) {
    auto opened = Table::open(e, config_.fsync, context_.logger);
    if (!opened) return opened.takeError();
    it = tables_.emplace(e.schema.name, std::move(*opened)).first;
  }
  if (auto status = it->second->refresh(); !status.ok()) return status.takeError();
  return it->second.get();
}

std::int64_t JsonlConnector::nowMs() {
  if (context_.clock != nullptr) return context_.clock->nowMs();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void JsonlConnector::warn(const std::string& message) {
  if (context_.logger != nullptr) context_.logger->warn(message);
}

sdk::Result<std::string> JsonlConnector::newId(Table& t) {
  while (true) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(random_()));
    auto taken = t.contains(buf);
    if (!taken) return taken.takeError();
    if (!*taken) return std::string(buf);
  }
}

// ---- Source -----------------------------------------------------------------------------------

sdk::Result<sdk::ReadBatch> JsonlConnector::read(const sdk::ReadRequest& request) {
  return sdk::guard("jsonl read", [&] { return readImpl(request); });
}

sdk::Result<sdk::ReadBatch> JsonlConnector::readImpl(const sdk::ReadRequest& request) {
  auto e = entity(request.entity);
  if (!e.ok()) return e.takeError();
  const EntityConfig& config = **e;

  std::uint64_t offset = 0;
  if (!request.cursor.empty()) {
    const char* first = request.cursor.data();
    const char* last = first + request.cursor.size();
    const auto [end, ec] = std::from_chars(first, last, offset);
    if (ec != std::errc() || end != last) {
      return Error::make(ErrorCode::kInvalidArgument,
                         "invalid jsonl cursor '" + request.cursor + "' (expected a byte offset)");
    }
  }
  auto reader = LineReader::open(config.file, offset);
  if (!reader.ok()) return reader.takeError();

  sdk::ReadBatch batch;
  const std::size_t limit = std::max<std::size_t>(request.limit, 1);
  batch.changes.reserve(std::min<std::size_t>(limit, 4096));
  while (batch.changes.size() < limit) {
    auto line = reader->next();
    if (!line.ok()) return line.takeError();
    if (!line.value()) break;
    ParsedLine parsed = parseLine(**line, config);
    if (parsed.kind == ParsedLine::Kind::kBlank) continue;
    if (parsed.kind == ParsedLine::Kind::kInvalid) {
      warn(config.file.filename().string() + ": skipped line at byte " +
           std::to_string(reader->lineStart()) + ": " + parsed.error);
      if (context_.metrics != nullptr)
        context_.metrics->add("jsonl_invalid_lines", request.entity, 1);
      continue;
    }
    sdk::Change change;
    change.id = std::move(parsed.id);
    if (parsed.kind == ParsedLine::Kind::kDelete) {
      change.op = sdk::Change::Op::kDelete;
    } else {
      change.modifiedAtMs = modifiedAtMs(config, parsed.fields);
      change.fields = project(parsed.fields, request.fields, config.schema.idField);
    }
    batch.changes.push_back(std::move(change));
  }
  const std::uint64_t next = reader->offset();  // before the peek below moves it
  batch.nextCursor = std::to_string(next);
  const std::uint64_t consumed = next - offset;
  if (batch.changes.size() >= limit) {
    // Peek: is there another complete line? (The cursor above is already fixed.)
    auto more = reader->next();
    batch.hasMore = !more.ok() || more.value().has_value();
  }
  batch.remaining = 0;
  if (batch.hasMore) {
    // The bytes left at this batch's average line length: good enough for an ETA.
    std::error_code ec;
    const std::uintmax_t size = std::filesystem::file_size(config.file, ec);
    const std::uint64_t left = !ec && size > next ? size - next : 0;
    batch.remaining = consumed == 0 || batch.changes.empty()
                          ? std::optional<std::uint64_t>()
                          : left * batch.changes.size() / consumed;
  }
  return batch;
}

// ---- Sink -------------------------------------------------------------------------------------

sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> JsonlConnector::lookup(
    const std::string& entityName, const std::vector<sdk::LookupQuery>& queries,
    const std::vector<std::string>& fields) {
  return sdk::guard("jsonl lookup", [&] { return lookupImpl(entityName, queries, fields); });
}

sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> JsonlConnector::lookupImpl(
    const std::string& entityName, const std::vector<sdk::LookupQuery>& queries,
    const std::vector<std::string>& fields) {
  auto e = entity(entityName);
  if (!e.ok()) return e.takeError();
  const EntityConfig& config = **e;
  auto t = table(config);
  if (!t.ok()) return t.takeError();
  Table& tab = **t;

  // Key indexes first (built once, on disk), then every query in one read snapshot.
  std::set<std::string> keyFields;
  for (const auto& query : queries) {
    for (const auto& [field, value] : query.keys) {
      if (field != config.schema.idField && !value.isNull()) keyFields.insert(field);
    }
  }
  if (auto s = tab.ensureIndexed(keyFields); !s) return s.takeError();

  std::vector<std::vector<sdk::FoundRecord>> out;
  out.reserve(queries.size());
  auto status = tab.read([&]() -> sdk::Status {
    for (const auto& query : queries) {
      std::vector<std::string> ids;
      for (const auto& [field, value] : query.keys) {
        if (value.isNull()) continue;  // an empty key matches nothing
        std::vector<std::string> matches;
        if (field == config.schema.idField) {
          if (auto id = idText(value)) {
            auto exists = tab.contains(*id);
            if (!exists) return exists.takeError();
            if (*exists) matches.push_back(*id);
          }
        } else {
          auto found = tab.find(field, value);
          if (!found) return found.takeError();
          matches = std::move(*found);
        }
        for (auto& id : matches) {
          if (std::find(ids.begin(), ids.end(), id) == ids.end()) ids.push_back(std::move(id));
        }
      }
      std::vector<sdk::FoundRecord> found;
      for (const auto& id : ids) {
        auto loaded = tab.get(id);
        if (!loaded) return loaded.takeError();
        if (!*loaded) continue;  // gone between the key lookup and now
        const Object* record = &**loaded;
        sdk::FoundRecord r;
        r.id = id;
        r.fields = project(*record, fields, config.schema.idField);
        r.modifiedAtMs = modifiedAtMs(config, *record);
        found.push_back(std::move(r));
      }
      out.push_back(std::move(found));
    }
    return {};
  });
  if (!status) return status.takeError();
  return out;
}

sdk::Result<std::vector<WriteResult>> JsonlConnector::write(const std::string& entityName,
                                                            const std::vector<WriteOp>& ops) {
  return sdk::guard("jsonl write", [&] { return writeImpl(entityName, ops); });
}

sdk::Result<std::vector<WriteResult>> JsonlConnector::writeImpl(const std::string& entityName,
                                                                const std::vector<WriteOp>& ops) {
  auto e = entity(entityName);
  if (!e.ok()) return e.takeError();
  const EntityConfig& config = **e;
  if (ops.size() > config_.maxBatch) {
    return Error::make(ErrorCode::kInvalidArgument, "batch of " + std::to_string(ops.size()) +
                                                        " exceeds maxBatch " +
                                                        std::to_string(config_.maxBatch));
  }
  auto t = table(config);
  if (!t.ok()) return t.takeError();
  Table& tab = **t;
  const std::string& idField = config.schema.idField;

  // Ops in one batch see each other's effects: the latest change this batch staged for an id
  // (an index into `changes`), else the record as read from the table once (memory is bounded
  // by the batch).
  std::vector<Table::Change> changes;
  changes.reserve(ops.size());
  std::unordered_map<std::string, std::size_t> staged;
  std::unordered_map<std::string, std::optional<Object>> loaded;
  std::optional<sdk::Error> readError;
  auto current = [&](const std::string& id) -> const Object* {
    if (auto it = staged.find(id); it != staged.end()) {
      const auto& record = changes[it->second].record;
      return record ? &*record : nullptr;
    }
    auto it = loaded.find(id);
    if (it == loaded.end()) {
      auto read = tab.get(id);
      if (!read) {
        readError = read.takeError();
        return nullptr;
      }
      it = loaded.emplace(id, std::move(*read)).first;
    }
    return it->second ? &*it->second : nullptr;
  };
  std::vector<WriteResult> results;
  results.reserve(ops.size());

  // Checks and applies op.fields to `record`; returns a rejection when a value does not fit.
  auto applyFields = [&](const WriteOp& op, Object& record) -> std::optional<WriteResult> {
    for (const auto& [name, raw] : op.fields) {
      const sdk::FieldSchema* field = config.schema.field(name);
      if (field == nullptr) {
        return rejected(ErrorCode::kInvalidArgument,
                        "unknown field '" + name + "' for entity " + config.schema.name, name);
      }
      Value value = coerce(field, raw);
      if (auto problem = checkValue(*field, value); !problem.empty()) {
        return rejected(ErrorCode::kInvalidArgument, "field '" + name + "' " + problem, name);
      }
      sdk::setPath(record, name, std::move(value));
    }
    return std::nullopt;
  };
  // Stamps modifiedAt (unless the op sets it) and stages the new record.
  auto stage = [&](const WriteOp& op, const std::string& id, Object record) {
    if (!config.modifiedField.empty() && !op.fields.contains(config.modifiedField)) {
      record.set(config.modifiedField, sdk::DateTime{nowMs()});
    }
    staged[id] = changes.size();
    changes.push_back({id, std::move(record)});
  };

  // Decided under the table's write lock, so the records read are current.
  auto written = tab.write([&]() -> sdk::Result<std::vector<Table::Change>> {
    for (const WriteOp& op : ops) {
      switch (op.kind) {
        case WriteOp::Kind::kCreate: {
          std::string id;
          if (const Value* given = op.fields.find(idField); given != nullptr && !given->isNull()) {
            auto text = idText(*given);
            if (!text) {
              results.push_back(rejected(ErrorCode::kInvalidArgument,
                                         "id field '" + idField +
                                             "' must be a non-empty string or "
                                             "an integer",
                                         idField));
              continue;
            }
            id = *text;
          } else if (!op.idempotencyKey.empty()) {
            id = op.idempotencyKey;  // a replayed create finds its record instead of duplicating
          } else {
            do {
              auto fresh = newId(tab);
              if (!fresh) return fresh.takeError();
              id = std::move(*fresh);
            } while (staged.count(id) != 0);
          }
          const Object* existing = current(id);
          if (readError) return std::move(*readError);
          Object record = existing != nullptr ? *existing : Object{};
          if (auto problem = applyFields(op, record)) {
            results.push_back(std::move(*problem));
            continue;
          }
          if (!record.contains(idField)) record.set(idField, id);
          std::string missing;
          for (const auto& f : config.schema.fields) {
            const Value* v = record.find(f.name);
            if (f.requiredOnCreate && (v == nullptr || v->isNull())) missing = f.name;
          }
          if (!missing.empty()) {
            results.push_back(rejected(ErrorCode::kInvalidArgument,
                                       "required field '" + missing + "' is missing", missing));
            continue;
          }
          if (existing != nullptr && record == *existing) {
            results.push_back(done(WriteResult::Outcome::kUnchanged, id));
            continue;
          }
          stage(op, id, std::move(record));
          results.push_back(done(
              existing != nullptr ? WriteResult::Outcome::kUpdated : WriteResult::Outcome::kCreated,
              id));
          break;
        }
        case WriteOp::Kind::kUpdate: {
          const Object* existing = op.id.empty() ? nullptr : current(op.id);
          if (readError) return std::move(*readError);
          if (existing == nullptr) {
            results.push_back(rejected(ErrorCode::kNotFound,
                                       config.schema.name + " '" + op.id + "' does not exist"));
            continue;
          }
          if (const Value* given = op.fields.find(idField);
              given != nullptr && idText(*given) != std::optional<std::string>(op.id)) {
            results.push_back(rejected(ErrorCode::kInvalidArgument,
                                       "the id field '" + idField + "' cannot change", idField));
            continue;
          }
          Object record = *existing;
          if (auto problem = applyFields(op, record)) {
            results.push_back(std::move(*problem));
            continue;
          }
          if (record == *existing) {
            results.push_back(done(WriteResult::Outcome::kUnchanged, op.id));
            continue;
          }
          stage(op, op.id, std::move(record));
          results.push_back(done(WriteResult::Outcome::kUpdated, op.id));
          break;
        }
        case WriteOp::Kind::kDelete: {
          if (op.id.empty()) {
            results.push_back(rejected(ErrorCode::kInvalidArgument, "delete without an id"));
            continue;
          }
          // Deleting what is already gone succeeds: replays stay harmless.
          const Object* existing = current(op.id);
          if (readError) return std::move(*readError);
          if (existing != nullptr) {
            staged[op.id] = changes.size();
            changes.push_back({op.id, std::nullopt});
          }
          results.push_back(done(WriteResult::Outcome::kDeleted, op.id));
          break;
        }
      }
    }
    return std::move(changes);
  });
  if (!written) return written.takeError();
  return results;
}

}  // namespace ferry::plugins::jsonl
