#include "memory_system.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace ferry::host::engine::testing {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

bool keyEquals(const std::string& field, const sdk::Value& a, const sdk::Value& b) {
  if (lower(field).find("mail") != std::string::npos && a.isString() && b.isString()) {
    return lower(a.asString()) == lower(b.asString());
  }
  return a == b;
}

// Cursor "<ms>|<id>": changes strictly after (ms, id).
std::pair<std::int64_t, std::string> parseCursor(const std::string& cursor) {
  if (cursor.empty()) return {INT64_MIN, ""};
  const auto bar = cursor.find('|');
  return {std::stoll(cursor.substr(0, bar)), cursor.substr(bar + 1)};
}

}  // namespace

MemorySystem::MemorySystem(std::string idPrefix, std::string idField,
                           std::function<std::int64_t()> stamp)
    : prefix_(std::move(idPrefix)), idField_(std::move(idField)), stamp_(std::move(stamp)) {}

std::string MemorySystem::create(sdk::Object fields) {
  std::lock_guard lock(mutex_);
  return createAt(std::move(fields), stamp_());
}

std::string MemorySystem::createAt(sdk::Object fields, std::int64_t modifiedAtMs, bool hidden) {
  std::lock_guard lock(mutex_);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%s%06lld", prefix_.c_str(), static_cast<long long>(nextId_++));
  Record r;
  r.id = buf;
  r.fields = std::move(fields);
  r.modifiedAtMs = modifiedAtMs;
  r.hidden = hidden;
  records_[r.id] = r;
  return r.id;
}

void MemorySystem::update(const std::string& id, const sdk::Object& patch) {
  std::lock_guard lock(mutex_);
  Record* r = findMutable(id);
  if (r == nullptr || r->deleted) return;
  for (const auto& [k, v] : patch) r->fields.set(k, v);
  r->modifiedAtMs = stamp_();
}

void MemorySystem::remove(const std::string& id) {
  std::lock_guard lock(mutex_);
  Record* r = findMutable(id);
  if (r == nullptr || r->deleted) return;
  r->deleted = true;
  r->fields = {};
  r->modifiedAtMs = stamp_();
}

void MemorySystem::reveal(const std::string& id) {
  std::lock_guard lock(mutex_);
  if (Record* r = findMutable(id)) r->hidden = false;
}

void MemorySystem::setSuccessor(const std::string& id, sdk::Successor successor) {
  std::lock_guard lock(mutex_);
  Record* r = findMutable(id);
  if (r == nullptr) return;
  r->successor = std::move(successor);
  r->modifiedAtMs = stamp_();
}

const MemorySystem::Record* MemorySystem::find(const std::string& id) const {
  std::lock_guard lock(mutex_);
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

MemorySystem::Record* MemorySystem::findMutable(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = records_.find(id);
  return it == records_.end() ? nullptr : &it->second;
}

std::vector<const MemorySystem::Record*> MemorySystem::live() const {
  std::lock_guard lock(mutex_);
  std::vector<const Record*> out;
  for (const auto& [id, r] : records_) {
    if (!r.deleted && !r.hidden) out.push_back(&r);
  }
  return out;
}

const MemorySystem::Record* MemorySystem::findBy(const std::string& field,
                                                 const sdk::Value& value) const {
  std::lock_guard lock(mutex_);
  for (const Record* r : live()) {
    const sdk::Value* v = r->fields.find(field);
    if (v != nullptr && keyEquals(field, *v, value)) return r;
  }
  return nullptr;
}

void MemorySystem::resetCounters() {
  std::lock_guard lock(mutex_);
  readCalls = lookupCalls = writeCalls = 0;
  createOps = updateOps = deleteOps = unchangedOps = 0;
}

void MemorySystem::reset() {
  std::lock_guard lock(mutex_);
  records_.clear();
  nextId_ = 1;
  batchLimit = 50;
  overlapMs = 0;
  feedHasDeletes = true;
  failWriteCalls = 0;
  failLookupCalls = 0;
  rejectOp = nullptr;
  resetCounters();
}

sdk::Result<sdk::ReadBatch> MemorySystem::read(const sdk::ReadRequest& request) {
  std::lock_guard lock(mutex_);
  ++readCalls;
  const auto [afterMs, afterId] = parseCursor(request.cursor);
  std::vector<const Record*> visible;
  for (const auto& [id, r] : records_) {
    if (r.hidden || (r.deleted && !feedHasDeletes)) continue;
    if (r.modifiedAtMs < afterMs || (r.modifiedAtMs == afterMs && r.id <= afterId)) continue;
    visible.push_back(&r);
  }
  std::sort(visible.begin(), visible.end(), [](const Record* a, const Record* b) {
    return std::tie(a->modifiedAtMs, a->id) < std::tie(b->modifiedAtMs, b->id);
  });
  sdk::ReadBatch batch;
  const std::size_t n = std::min(visible.size(), request.limit);
  for (std::size_t i = 0; i < n; ++i) {
    const Record& r = *visible[i];
    sdk::Change c;
    c.id = r.id;
    c.op = r.deleted ? sdk::Change::Op::kDelete : sdk::Change::Op::kUpsert;
    c.fields = r.fields;
    c.modifiedAtMs = r.modifiedAtMs;
    c.successor = r.successor;
    batch.changes.push_back(std::move(c));
  }
  batch.hasMore = visible.size() > n;
  if (n == 0) {
    batch.nextCursor = request.cursor;
  } else if (batch.hasMore) {
    batch.nextCursor = std::to_string(visible[n - 1]->modifiedAtMs) + "|" + visible[n - 1]->id;
  } else {
    // Caught up: the next run starts `overlapMs` earlier so late commits are not missed.
    const std::int64_t last = visible[n - 1]->modifiedAtMs;
    batch.nextCursor = overlapMs > 0 ? std::to_string(last - overlapMs) + "|"
                                     : std::to_string(last) + "|" + visible[n - 1]->id;
  }
  return batch;
}

sdk::Result<std::vector<std::vector<sdk::FoundRecord>>> MemorySystem::lookup(
    const std::string& entity, const std::vector<sdk::LookupQuery>& queries,
    const std::vector<std::string>& fields) {
  std::lock_guard lock(mutex_);
  ++lookupCalls;
  if (failLookupCalls > 0) {
    --failLookupCalls;
    return sdk::Error::make(sdk::ErrorCode::kUnavailable, "lookup failed (injected)", true);
  }
  std::vector<std::vector<sdk::FoundRecord>> out;
  for (const auto& q : queries) {
    std::vector<sdk::FoundRecord> found;
    for (const Record* r : live()) {
      bool hit = false;
      for (const auto& [field, value] : q.keys) {
        if (field == idField_) {
          hit = hit || (value.isString() && value.asString() == r->id);
          continue;
        }
        const sdk::Value* v = r->fields.find(field);
        hit = hit || (v != nullptr && !v->isNull() && keyEquals(field, *v, value));
      }
      if (hit) found.push_back({r->id, r->fields, r->modifiedAtMs});
    }
    out.push_back(std::move(found));
  }
  return out;
}

sdk::Result<std::vector<sdk::WriteResult>> MemorySystem::write(
    const std::string& entity, const std::vector<sdk::WriteOp>& ops) {
  std::lock_guard lock(mutex_);
  ++writeCalls;
  if (ops.size() > batchLimit) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, "batch larger than maxBatch");
  }
  if (failWriteCalls > 0) {
    --failWriteCalls;
    return sdk::Error::make(sdk::ErrorCode::kUnavailable, "write failed (injected)", true);
  }
  std::vector<sdk::WriteResult> out;
  for (const auto& op : ops) out.push_back(apply(op));
  return out;
}

sdk::WriteResult MemorySystem::apply(const sdk::WriteOp& op) {
  std::lock_guard lock(mutex_);
  using Outcome = sdk::WriteResult::Outcome;
  sdk::WriteResult result;
  if (rejectOp) {
    if (auto error = rejectOp(op)) {
      result.outcome = Outcome::kRejected;
      result.error = std::move(error);
      return result;
    }
  }
  const auto notFound = [&] {
    result.outcome = Outcome::kRejected;
    result.error = sdk::Error::make(sdk::ErrorCode::kNotFound, "no record " + op.id);
    return result;
  };
  switch (op.kind) {
    case sdk::WriteOp::Kind::kCreate: {
      if (!op.idempotencyKey.empty()) {
        for (auto& [id, r] : records_) {
          if (!r.deleted && r.externalId == op.idempotencyKey) {
            // Upsert by external key: a replayed create finds its earlier self.
            sdk::WriteOp update = op;
            update.kind = sdk::WriteOp::Kind::kUpdate;
            update.id = id;
            return apply(update);
          }
        }
      }
      ++createOps;
      const std::string id = createAt(op.fields, stamp_());
      records_[id].externalId = op.idempotencyKey;
      result.outcome = Outcome::kCreated;
      result.id = id;
      return result;
    }
    case sdk::WriteOp::Kind::kUpdate: {
      Record* r = findMutable(op.id);
      if (r == nullptr || r->deleted || r->hidden) return notFound();
      bool changed = false;
      for (const auto& [k, v] : op.fields) {
        const sdk::Value* old = r->fields.find(k);
        if (old == nullptr ? !v.isNull() : !(*old == v)) changed = true;
        r->fields.set(k, v);
      }
      result.id = r->id;
      if (!changed) {
        ++unchangedOps;
        result.outcome = Outcome::kUnchanged;
        return result;
      }
      ++updateOps;
      r->modifiedAtMs = stamp_();
      result.outcome = Outcome::kUpdated;
      return result;
    }
    case sdk::WriteOp::Kind::kDelete: {
      Record* r = findMutable(op.id);
      if (r == nullptr || r->deleted) return notFound();
      ++deleteOps;
      r->deleted = true;
      r->fields = {};
      r->modifiedAtMs = stamp_();
      result.outcome = Outcome::kDeleted;
      result.id = op.id;
      return result;
    }
  }
  return result;
}

}  // namespace ferry::host::engine::testing
