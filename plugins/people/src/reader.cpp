// Change detection: a scan down the modifiedAt:desc listing to the watermark (minus the overlap),
// deduplicated by id and content, emitted oldest first; deletions and Lead -> Customer
// conversions from a periodic id reconciliation.
#include <algorithm>
#include <cstdio>
#include <random>
#include <set>

#include "ferry/plugins/people/connector.hpp"

namespace ferry::plugins::people {

namespace {

using sdk::ErrorCode;

// FNV-1a folded to 53 bits: the cursor is JSON, where larger integers do not survive every
// reader exactly.
std::uint64_t contentHash(std::string_view text) {
  std::uint64_t h = 1469598103934665603ULL;
  for (const char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ULL;
  }
  return (h ^ (h >> 53)) & ((1ULL << 53) - 1);
}

// Changes left in an initial scan after `nextPage - 1` whole pages: the listing's rows not yet
// listed, scaled by the share of rows that became changes in this call (a Customer scan also
// lists Leads). Unknown without a total; an incremental scan stops at its watermark, so the
// listing's size says nothing about it and it gets no estimate at all.
std::optional<std::uint64_t> scanEstimateFor(bool done, std::optional<std::int64_t> total,
                                             int nextPage, int pageSize, std::size_t emitted,
                                             std::size_t examined) {
  if (done) return 0;
  if (!total) return std::nullopt;
  const std::int64_t listedSoFar = static_cast<std::int64_t>(nextPage - 1) * pageSize;
  const double left = static_cast<double>(std::max<std::int64_t>(*total - listedSoFar, 0));
  const double share =
      examined > 0 ? static_cast<double>(emitted) / static_cast<double>(examined) : 1.0;
  return static_cast<std::uint64_t>(left * share + 0.5);
}

std::string typeOf(const sdk::Object& person) {
  const sdk::Value* t = person.find("type");
  return t != nullptr && t->isString() ? t->asString() : "CUSTOMER";  // People's default
}

}  // namespace

sdk::Result<PeopleConnector::Listed> PeopleConnector::listPage(EntityKind kind, int page, int limit,
                                                               const char* orderBy,
                                                               bool includeTotal) {
  const bool company = kind == EntityKind::kCompany;
  const char* key = company ? "companies" : "persons";
  Call call{"GET",
            std::string(company ? "/people/2/companies" : "/people/2/persons") +
                "?limit=" + std::to_string(limit) + "&page=" + std::to_string(page) +
                "&orderBy=" + orderBy + (includeTotal ? "&includeTotalCount=true" : ""),
            {},
            company ? bucket::kCompaniesGet : bucket::kPersonsGet,
            company ? "list companies" : "list persons"};
  auto answer = sendJson(call);
  if (!answer) return answer.takeError();
  Listed listed;
  const sdk::Value* items = answer->find(key);
  if (items != nullptr && !items->isNull() && !items->isList()) {
    return sdk::Error::make(ErrorCode::kMalformedResponse,
                            call.what + ": \"" + key + "\" is not a list", true);
  }
  if (items != nullptr && items->isList()) {
    for (const auto& item : items->asList()) {
      if (!item.isObject() || !idOf(item.asObject())) {
        return sdk::Error::make(ErrorCode::kMalformedResponse,
                                call.what + ": an entry is not an object with an id", true);
      }
      listed.items.push_back(item.asObject());
    }
  }
  listed.lastPage = listed.items.size() < static_cast<std::size_t>(limit);
  // The envelope's totalCount is not confirmed by the API reference: use it only when it is a
  // sensible number, and otherwise go without (it only feeds a progress estimate).
  if (const sdk::Value* total = answer->find("totalCount");
      includeTotal && total != nullptr && total->isInteger() && total->asInteger() >= 0) {
    listed.totalCount = total->asInteger();
  }
  return listed;
}

sdk::Result<sdk::ReadBatch> PeopleConnector::read(const sdk::ReadRequest& request) {
  const auto kind = entityKind(request.entity);
  if (!kind) {
    return sdk::Error::make(
        ErrorCode::kInvalidArgument,
        "people has no entity \"" + request.entity + "\" (Customer, Lead, Company)");
  }
  auto decoded = ReadCursor::decode(request.cursor);
  if (!decoded) return decoded.takeError();
  ReadCursor cursor = std::move(decoded).value();
  const bool person = *kind != EntityKind::kCompany;
  if (person) {
    if (auto s = loadAttributes(false); !s) return s.takeError();
  }

  sdk::ReadBatch batch;
  if (cursor.scanPage == 0) {
    auto removed = reconcile(*kind, request.entity, cursor);
    if (!removed) return removed.takeError();
    batch.changes = std::move(removed).value();
  }

  const std::int64_t overlapMs = settings_.overlap.count();
  const bool initial = cursor.watermarkMs == 0;
  const std::int64_t floor = cursor.watermarkMs - overlapMs;
  int page = cursor.scanPage > 0 ? cursor.scanPage : 1;
  std::int64_t top = cursor.scanPage > 0 ? cursor.scanTopMs : cursor.watermarkMs;
  const std::size_t limit = std::max<std::size_t>(request.limit, 1);
  std::vector<sdk::Change> scanned;  // newest first
  std::set<std::string> inBatch;
  bool done = false;
  // Progress of an initial scan: the listing's size (asked once per call) and how many of the
  // rows this call went through became changes (the rest: persons of the other type, repeats).
  const int firstPage = page;
  std::optional<std::int64_t> listingTotal;
  std::size_t rowsExamined = 0;
  while (!done && scanned.size() < limit) {
    auto listed =
        listPage(*kind, page, settings_.pageSize, "modifiedAt:desc", initial && page == firstPage);
    if (!listed) return listed.takeError();
    if (listed->totalCount) listingTotal = listed->totalCount;
    rowsExamined += listed->items.size();
    for (const auto& item : listed->items) {
      const sdk::Value* stamp = item.find("modifiedAt");
      const auto modifiedAt =
          stamp != nullptr && stamp->isString() ? parsePeopleTime(stamp->asString()) : std::nullopt;
      if (!modifiedAt) {
        return sdk::Error::make(ErrorCode::kMalformedResponse,
                                "list: entry " + idOf(item).value_or("?") +
                                    " has no valid modifiedAt (yyyy-MM-ddTHH:mm:ss)",
                                true);
      }
      if (!initial && *modifiedAt < floor) {
        done = true;
        break;
      }
      top = std::max(top, *modifiedAt);
      if (person && typeOf(item) != personType(*kind)) continue;
      const std::string id = *idOf(item);
      const std::uint64_t hash = contentHash(sdk::Value(item).toJson());
      // Pages shift while records change: the same record can come twice in one scan.
      if (cursor.alreadySeen(id, hash) || !inBatch.insert(id).second) continue;
      cursor.remember(id, *modifiedAt, hash);
      sdk::Change change;
      change.id = id;
      change.modifiedAtMs = *modifiedAt;
      change.fields = person ? personToRecord(item, attributes_) : companyToRecord(item);
      scanned.push_back(std::move(change));
    }
    if (listed->lastPage) done = true;
    ++page;
  }
  if (done) {
    cursor.watermarkMs = std::max(cursor.watermarkMs, top);
    cursor.scanPage = 0;
    cursor.scanTopMs = 0;
  } else {
    cursor.scanPage = page;
    cursor.scanTopMs = top;
  }
  cursor.prune(overlapMs);
  // The listing runs newest first; a batch goes out oldest first.
  std::stable_sort(scanned.begin(), scanned.end(),
                   [](const auto& a, const auto& b) { return a.modifiedAtMs < b.modifiedAtMs; });
  for (auto& c : scanned) batch.changes.push_back(std::move(c));
  batch.nextCursor = cursor.encode();
  batch.hasMore = !done;
  if (initial) {
    batch.remaining =
        scanEstimateFor(done, listingTotal, page, settings_.pageSize, scanned.size(), rowsExamined);
  }
  return batch;
}

sdk::Result<std::vector<sdk::Change>> PeopleConnector::reconcile(EntityKind kind,
                                                                 const std::string& entity,
                                                                 ReadCursor& cursor) {
  std::vector<sdk::Change> out;
  if (settings_.reconcileInterval.count() <= 0 || context_.state == nullptr) return out;
  const std::int64_t now = context_.clock->nowMs();
  if (!cursor.reconcileToken.empty() &&
      now - cursor.reconciledAtMs < settings_.reconcileInterval.count()) {
    return out;
  }
  if (cursor.reconcileToken.empty()) {
    // Per cursor, not per connection: two flows reading one entity each get every deletion.
    std::random_device random;
    char token[17];
    std::snprintf(token, sizeof token, "%08x%08x", random(), random());
    cursor.reconcileToken = token;
    cursor.reconcileGeneration = 0;
  }
  std::set<std::string> known;
  bool baseline = false;
  if (cursor.reconcileGeneration > 0) {
    auto stored = context_.state->get(cursor.reconcileKey(entity, cursor.reconcileGeneration));
    if (!stored) return stored.takeError();
    const auto json = stored->has_value() ? sdk::Value::fromJson(**stored) : std::nullopt;
    if (json && json->isList()) {
      for (const auto& id : json->asList()) {
        if (id.isString()) known.insert(id.asString());
      }
      baseline = true;
    }
  }
  // Ascending creation order: new records append at the end, so pages do not shift under
  // creations; an id missing because a deletion shifted a page is checked one by one below.
  std::set<std::string> current;
  std::map<std::string, std::string> otherType;  // persons of the other type: id -> type
  const bool company = kind == EntityKind::kCompany;
  for (int page = 1;; ++page) {
    auto listed = listPage(kind, page, 1000, "createdAt:asc");
    if (!listed) return listed.takeError();
    for (const auto& item : listed->items) {
      const std::string id = *idOf(item);
      if (company || typeOf(item) == personType(kind)) {
        current.insert(id);
      } else {
        otherType.emplace(id, typeOf(item));
      }
    }
    if (listed->lastPage) break;
  }
  if (baseline) {
    for (const auto& id : known) {
      if (current.contains(id)) continue;
      if (const auto it = otherType.find(id); it != otherType.end()) {
        sdk::Change change;
        change.id = id;
        change.op = sdk::Change::Op::kDelete;
        if (kind == EntityKind::kLead && it->second == "CUSTOMER") {
          change.successor = sdk::Successor{sdk::Successor::Reason::kConverted, "Customer", id};
        }
        out.push_back(std::move(change));
        continue;
      }
      auto answer = send(Call{
          "GET",
          company ? "/people/2/companies?id=" + id : "/people/2/persons?type=ID&identifier=" + id,
          {},
          company ? bucket::kCompaniesGet : bucket::kPersonsGet,
          "get by id"});
      if (!answer) return answer.takeError();
      bool gone = answer->status == 404;
      if (company && answer->status < 300) {
        // A company selector answers with the list envelope, empty when nothing matches.
        const auto json = sdk::Value::fromJson(answer->body);
        const sdk::Value* list =
            json && json->isObject() ? json->asObject().find("companies") : nullptr;
        gone = list != nullptr && list->isList() && list->asList().empty();
      }
      if (gone) {
        sdk::Change change;
        change.id = id;
        change.op = sdk::Change::Op::kDelete;
        out.push_back(std::move(change));
      } else if (answer->status < 300) {
        current.insert(id);  // a page shift hid it
      } else {
        return errorFromResponse("reconcile: get by id", answer->status, answer->body);
      }
    }
  }
  sdk::List ids;
  ids.reserve(current.size());
  for (const auto& id : current) ids.emplace_back(id);
  // The set this cursor points at stays until a cursor of the next generation was read (and so
  // committed); older ones are dropped.
  if (cursor.reconcileGeneration > 1) {
    auto erased =
        context_.state->erase(cursor.reconcileKey(entity, cursor.reconcileGeneration - 1));
    if (!erased && erased.error().code != sdk::ErrorCode::kNotFound) return erased.takeError();
  }
  ++cursor.reconcileGeneration;
  cursor.reconciledAtMs = now;
  if (auto s = context_.state->put(cursor.reconcileKey(entity, cursor.reconcileGeneration),
                                   sdk::Value(std::move(ids)).toJson());
      !s) {
    return s.takeError();
  }
  if (!out.empty()) {
    context_.logger->info("people: reconciliation of " + entity + " found " +
                          std::to_string(out.size()) + " removed record(s)");
  }
  return out;
}

}  // namespace ferry::plugins::people
