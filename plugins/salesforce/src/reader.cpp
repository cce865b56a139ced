// Incremental reads: REST query passes with nextRecordsUrl paging, Bulk API 2.0 query jobs for
// large passes, and the cursor rules described in cursor.hpp.
#include <algorithm>
#include <cctype>

#include "ferry/plugins/salesforce/connector.hpp"
#include "ferry/plugins/salesforce/soql.hpp"

namespace ferry::plugins::salesforce {

namespace {

using sdk::ErrorCode;

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

void addUnique(std::vector<std::string>& list, const std::string& name) {
  if (std::none_of(list.begin(), list.end(),
                   [&](const std::string& n) { return iequals(n, name); })) {
    list.push_back(name);
  }
}

bool selectable(const FieldDescription& f) {
  // Compound fields (address, location) are read through their components; base64 bodies are
  // fetched one record at a time only.
  return f.type != "address" && f.type != "location" && f.type != "base64";
}

}  // namespace

struct SalesforceConnector::ReadPlan {
  const ObjectDescription* object = nullptr;
  std::string timestampField;
  std::vector<std::string> select;  // what the query asks for
  std::vector<std::string> output;  // what a Change carries (the requested fields)
  FieldTypes types;
  std::string filter;
  bool hasIsDeleted = false;
  bool hasMasterRecord = false;
  bool isLead = false;  // has IsConverted/ConvertedContactId
};

sdk::Result<SalesforceConnector::ReadPlan> SalesforceConnector::planRead(
    const ObjectDescription& object, const sdk::ReadRequest& request) {
  ReadPlan plan;
  plan.object = &object;
  if (!object.queryable) {
    return sdk::Error::make(ErrorCode::kUnsupported, object.name + " is not queryable");
  }
  if (object.field("SystemModstamp") != nullptr) {
    plan.timestampField = "SystemModstamp";
  } else if (object.field("LastModifiedDate") != nullptr) {
    plan.timestampField = "LastModifiedDate";
  } else {
    return sdk::Error::make(ErrorCode::kUnsupported,
                            object.name +
                                " has neither SystemModstamp nor LastModifiedDate: it "
                                "cannot be read incrementally");
  }
  plan.hasIsDeleted = object.field("IsDeleted") != nullptr;
  plan.hasMasterRecord = object.field("MasterRecordId") != nullptr;
  plan.isLead =
      object.field("IsConverted") != nullptr && object.field("ConvertedContactId") != nullptr;

  addUnique(plan.select, "Id");
  addUnique(plan.select, plan.timestampField);
  if (plan.hasIsDeleted) addUnique(plan.select, "IsDeleted");
  if (plan.hasMasterRecord) addUnique(plan.select, "MasterRecordId");
  if (plan.isLead) {
    addUnique(plan.select, "IsConverted");
    addUnique(plan.select, "ConvertedContactId");
  }
  if (request.fields.empty()) {
    for (const auto& f : object.fields) {
      if (selectable(f)) addUnique(plan.output, f.name);
    }
  } else {
    for (const auto& name : request.fields) {
      auto path = checkFieldPath(object, name);
      if (!path) return path.takeError();
      addUnique(plan.output, *path);
    }
  }
  for (const auto& name : plan.output) addUnique(plan.select, name);
  for (const auto& name : plan.select) {
    if (const auto* f = object.field(name)) plan.types.emplace(name, f->type);
  }
  auto filter = whereFromConditions(object, request.filter);
  if (!filter) return filter.takeError();
  plan.filter = std::move(*filter);
  return plan;
}

sdk::Result<sdk::ReadBatch> SalesforceConnector::read(const sdk::ReadRequest& request) {
  if (auto budget = session_.checkBudget(); !budget) return budget.takeError();
  auto object = describeObject(request.entity);
  if (!object) return object.takeError();
  auto cursor = decodeCursor(request.cursor);
  if (!cursor) return cursor.takeError();
  auto plan = planRead(**object, request);
  if (!plan) return plan.takeError();
  const std::size_t limit = std::max<std::size_t>(request.limit, 1);
  auto batch = cursor->pass && cursor->pass->bulk
                   ? readBulk(*plan, std::move(*cursor), limit)
                   : readRest(*plan, std::move(*cursor), request.cursor, limit);
  if (batch && context_.metrics != nullptr) {
    context_.metrics->add("salesforce_records_read", request.entity,
                          static_cast<double>(batch->changes.size()));
  }
  return batch;
}

sdk::Change SalesforceConnector::toChange(const ReadPlan& plan, const sdk::Object& record,
                                          const Position& position) const {
  sdk::Change change;
  change.id = position.id;
  change.modifiedAtMs = position.timestampMs;
  const auto flag = [&](const char* name) {
    const auto* v = record.find(name);
    return v != nullptr && v->isBool() && v->asBool();
  };
  const auto text = [&](const char* name) {
    const auto* v = record.find(name);
    return v != nullptr && v->isString() ? v->asString() : std::string();
  };
  if (plan.hasIsDeleted && flag("IsDeleted")) {
    change.op = sdk::Change::Op::kDelete;
    if (plan.hasMasterRecord) {
      if (auto master = text("MasterRecordId"); !master.empty()) {
        change.successor =
            sdk::Successor{sdk::Successor::Reason::kMerged, plan.object->name, std::move(master)};
      }
    }
    return change;
  }
  change.op = sdk::Change::Op::kUpsert;
  for (const auto& name : plan.output) {
    const auto dot = name.find('.');
    if (dot == std::string::npos) {
      const auto* v = record.find(name);
      change.fields.set(name, v != nullptr ? *v : sdk::Value());
    } else {
      // Relationship paths keep their nesting: {"Account": {"Name": ...}}.
      const auto* v = sdk::findPath(record, name);
      sdk::setPath(change.fields, name, v != nullptr ? *v : sdk::Value());
    }
  }
  if (plan.isLead && flag("IsConverted")) {
    if (auto contact = text("ConvertedContactId"); !contact.empty()) {
      change.successor =
          sdk::Successor{sdk::Successor::Reason::kConverted, "Contact", std::move(contact)};
    }
  }
  return change;
}

sdk::Result<sdk::HttpResponse> SalesforceConnector::queryPage(const ReadPlan& plan,
                                                              const std::string& soql,
                                                              const std::string& nextUrl,
                                                              std::size_t batchSize) {
  ApiCall call;
  call.what = "query " + plan.object->name;
  if (nextUrl.empty()) {
    // queryAll also returns deleted (recycle bin) and merged rows: one pass sees everything.
    call.path = settings_.dataPath() + (plan.hasIsDeleted ? "/queryAll?q=" : "/query?q=") +
                percentEncode(soql);
  } else {
    call.path = nextUrl;
  }
  call.headers.emplace_back("Sforce-Query-Options", "batchSize=" + std::to_string(batchSize));
  return session_.sendOk(call);
}

sdk::Result<sdk::ReadBatch> SalesforceConnector::readRest(const ReadPlan& plan, Cursor cursor,
                                                          const std::string& cursorText,
                                                          std::size_t limit) {
  // Rows of a page fetched by the previous read that its limit left over: served from memory
  // when the caller continues from exactly the cursor handed out then. After a restart the
  // cursor alone suffices (the query is re-issued from resumeAfter), it just costs a call.
  std::optional<PendingPage> page;
  if (pending_ && !cursorText.empty() && pending_->cursor == cursorText &&
      pending_->entity == plan.object->name && pending_->select == plan.select && cursor.pass) {
    page = std::move(*pending_);
  }
  pending_.reset();

  if (!page) {
    if (!cursor.pass) {
      PassState pass;
      pass.lowerBoundMs =
          cursor.mark.empty() ? 0 : std::min(cursor.mark.timestampMs, cursor.visibleBeforeMs);
      cursor.pass = pass;
    }
    PassState& pass = *cursor.pass;
    const std::int64_t lowerBound = pass.resumeAfter.empty()
                                        ? pass.lowerBoundMs
                                        : std::max(pass.lowerBoundMs, pass.resumeAfter.timestampMs);
    auto soql = buildChangesQuery(ChangesQuery{plan.object->name, plan.select, plan.timestampField,
                                               lowerBound, plan.filter, true});
    if (!soql) return soql.takeError();

    bool freshQuery = pass.nextRecordsUrl.empty();
    const std::int64_t sentAt = context_.clock != nullptr ? context_.clock->nowMs() : 0;
    // Always ask for full pages: a read limit below the page size is served from the pending
    // rows, so the number of calls depends on the page size only.
    const auto batchSize = static_cast<std::size_t>(settings_.pageSize);
    auto response = queryPage(plan, *soql, pass.nextRecordsUrl, batchSize);
    if (!response && !freshQuery && response.error().code == ErrorCode::kNotFound) {
      // The server-side cursor expired (INVALID_QUERY_LOCATOR): re-issue the query from the
      // last emitted row; nothing is lost, a few rows of that second are re-read and skipped.
      if (context_.logger != nullptr) {
        context_.logger->info("query cursor of " + plan.object->name +
                              " expired; restarting the query from the last row read");
      }
      pass.nextRecordsUrl.clear();
      response = queryPage(plan, *soql, {}, batchSize);
      freshQuery = true;
    }
    if (!response) return response.takeError();
    auto parsed = parseQueryPage(response->body, plan.types);
    if (!parsed) {
      auto error = parsed.takeError();
      error.message = "query " + plan.object->name + ": " + error.message;
      error.retriable = true;  // a truncated body is a transport accident; the cursor is intact
      return error;
    }
    if (freshQuery) {
      pass.queryTotal = parsed->totalSize;
      pass.consumed = 0;
    }
    if (pass.startMs == 0) {
      // The pass's reference time: when its query ran. Take the earlier of our clock and the
      // server's Date, so clock skew can only widen the next overlap, never narrow it.
      pass.startMs = sentAt;
      if (auto server = session_.lastServerTimeMs()) {
        pass.startMs = sentAt > 0 ? std::min(sentAt, *server) : *server;
      }
    }
    page = PendingPage{plan.object->name,
                       plan.select,
                       {},
                       std::move(parsed->records),
                       0,
                       parsed->done,
                       std::move(parsed->nextRecordsUrl),
                       parsed->totalSize,
                       freshQuery};
  }

  PassState& pass = *cursor.pass;
  sdk::ReadBatch batch;
  bool truncated = false;
  const std::size_t firstRow = page->next;
  for (; page->next < page->records.size(); ++page->next) {
    const auto& record = page->records[page->next];
    const auto* id = record.find("Id");
    const auto* ts = record.find(plan.timestampField);
    if (id == nullptr || !id->isString() || ts == nullptr || !ts->isDateTime()) {
      return sdk::Error::make(
          ErrorCode::kMalformedResponse,
          "query " + plan.object->name + ": a record lacks Id or " + plan.timestampField, true);
    }
    const Position position{ts->asDateTime().epochMs, id->asString()};
    if (!pass.resumeAfter.empty() && !(pass.resumeAfter < position)) continue;
    if (!cursor.mark.empty() && !(cursor.mark < position) &&
        position.timestampMs < cursor.visibleBeforeMs) {
      continue;  // emitted by an earlier pass and certainly visible to it
    }
    if (batch.changes.size() == limit) {
      truncated = true;
      break;
    }
    batch.changes.push_back(toChange(plan, record, position));
    pass.resumeAfter = position;
    if (cursor.mark < position) cursor.mark = position;
  }
  pass.consumed += static_cast<std::int64_t>(page->next - firstRow);

  if (truncated) {
    // The cursor restarts the query from resumeAfter if the pending rows are not at hand.
    pass.nextRecordsUrl.clear();
    batch.hasMore = true;
    batch.remaining = pass.remaining();
    batch.nextCursor = encodeCursor(cursor);
    page->cursor = batch.nextCursor;
    pending_ = std::move(page);
    return batch;
  }
  if (page->done) {
    cursor.visibleBeforeMs = pass.startMs - settings_.overlap.count();
    cursor.pass.reset();
    batch.hasMore = false;
    batch.remaining = 0;
  } else {
    pass.nextRecordsUrl = page->nextRecordsUrl;
    batch.hasMore = true;
    if (page->freshQuery && !pass.bulkRefused && settings_.bulkThreshold > 0 &&
        page->totalSize > settings_.bulkThreshold) {
      // Too many rows for REST paging to be economical: fetch the rest with one Bulk job.
      auto job = startBulkJob(plan, pass);
      if (job) {
        pass.bulk = BulkState{*job, {}, 0, false, {}};
        pass.nextRecordsUrl.clear();
        if (context_.logger != nullptr) {
          context_.logger->info("reading " + std::to_string(page->totalSize) + " " +
                                plan.object->name + " rows with Bulk API 2.0 job " + *job);
        }
      } else {
        pass.bulkRefused = true;
        if (context_.logger != nullptr) {
          context_.logger->warn("Bulk API 2.0 query job refused (" + job.error().message +
                                "); continuing with REST paging");
        }
      }
    }
    batch.remaining = pass.remaining();
  }
  batch.nextCursor = encodeCursor(cursor);
  return batch;
}

sdk::Result<std::string> SalesforceConnector::startBulkJob(const ReadPlan& plan,
                                                           const PassState& pass) {
  const std::int64_t lowerBound = pass.resumeAfter.empty()
                                      ? pass.lowerBoundMs
                                      : std::max(pass.lowerBoundMs, pass.resumeAfter.timestampMs);
  // Bulk results come unordered; the cursor tracks the chunk position instead.
  auto soql = buildChangesQuery(ChangesQuery{plan.object->name, plan.select, plan.timestampField,
                                             lowerBound, plan.filter, false});
  if (!soql) return soql.takeError();
  const sdk::Object body{{"operation", plan.hasIsDeleted ? "queryAll" : "query"},
                         {"query", *soql},
                         {"contentType", "CSV"},
                         {"columnDelimiter", "COMMA"},
                         {"lineEnding", "LF"}};
  ApiCall call;
  call.method = "POST";
  call.path = settings_.dataPath() + "/jobs/query";
  call.body = sdk::Value(body).toJson();
  call.what = "create bulk query job for " + plan.object->name;
  auto response = session_.sendOk(call);
  if (!response) return response.takeError();
  auto job = parseBulkJob(response->body);
  if (!job) return job.takeError();
  return job->id;
}

sdk::Result<const SalesforceConnector::BulkChunk*> SalesforceConnector::bulkChunk(
    const std::string& jobId, const std::string& locator) {
  if (bulkChunk_ && bulkChunk_->jobId == jobId && bulkChunk_->locator == locator) {
    return &*bulkChunk_;
  }
  bulkChunk_.reset();
  ApiCall call;
  call.path = settings_.dataPath() + "/jobs/query/" + jobId +
              "/results?maxRecords=" + std::to_string(settings_.bulkChunkSize);
  if (!locator.empty()) call.path += "&locator=" + percentEncode(locator);
  call.headers.emplace_back("Accept", "text/csv");
  call.what = "bulk query results " + jobId;
  auto response = session_.sendOk(call);
  if (!response) return response.takeError();
  auto rows = parseCsv(response->body);
  if (!rows) {
    auto error = rows.takeError();
    error.message = "bulk query results " + jobId + ": " + error.message;
    error.retriable = true;
    return error;
  }
  if (rows->empty()) {
    return sdk::Error::make(ErrorCode::kMalformedResponse,
                            "bulk query results " + jobId + ": no header row", true);
  }
  bulkChunk_ = BulkChunk{jobId, locator, nextLocator(response->headers), std::move(*rows)};
  return &*bulkChunk_;
}

sdk::Result<sdk::ReadBatch> SalesforceConnector::readBulk(const ReadPlan& plan, Cursor cursor,
                                                          std::size_t limit) {
  PassState& pass = *cursor.pass;
  BulkState& bulk = *pass.bulk;
  sdk::ReadBatch batch;
  batch.hasMore = true;
  batch.remaining = pass.remaining();

  if (!bulk.complete) {
    // Wait for the job, backing off, for at most bulk_poll_timeout in this call.
    std::int64_t waited = 0;
    std::int64_t delay = 500;
    for (;;) {
      ApiCall call;
      call.path = settings_.dataPath() + "/jobs/query/" + bulk.jobId;
      call.what = "bulk query job " + bulk.jobId;
      auto response = session_.sendOk(call);
      if (!response) return response.takeError();
      auto job = parseBulkJob(response->body);
      if (!job) return job.takeError();
      if (job->state == "JobComplete") {
        bulk.complete = true;
        break;
      }
      if (job->state == "Failed" || job->state == "Aborted") {
        if (context_.logger != nullptr) {
          context_.logger->warn("bulk query job " + bulk.jobId + " " + job->state + " (" +
                                job->errorMessage + "); continuing with REST paging");
        }
        pass.bulk.reset();
        pass.bulkRefused = true;
        pass.nextRecordsUrl.clear();
        batch.nextCursor = encodeCursor(cursor);
        return batch;
      }
      if (waited >= settings_.bulkPollTimeout.count() || context_.clock == nullptr) {
        batch.nextCursor = encodeCursor(cursor);  // still running: the next read waits on
        return batch;
      }
      context_.clock->sleepFor(std::chrono::milliseconds(delay));
      waited += delay;
      delay = std::min<std::int64_t>(delay * 2, 10'000);
    }
  }

  auto chunk = bulkChunk(bulk.jobId, bulk.locator);
  if (!chunk) return chunk.takeError();
  const auto& rows = (*chunk)->rows;
  const auto& header = rows.front();
  std::vector<std::string> columnTypes(header.size());
  std::ptrdiff_t idColumn = -1;
  std::ptrdiff_t tsColumn = -1;
  for (std::size_t c = 0; c < header.size(); ++c) {
    if (const auto it = plan.types.find(header[c]); it != plan.types.end()) {
      columnTypes[c] = it->second;
    }
    if (iequals(header[c], "Id")) idColumn = static_cast<std::ptrdiff_t>(c);
    if (iequals(header[c], plan.timestampField)) tsColumn = static_cast<std::ptrdiff_t>(c);
  }
  if (idColumn < 0 || tsColumn < 0) {
    return sdk::Error::make(ErrorCode::kMalformedResponse,
                            "bulk query results lack the Id or " + plan.timestampField + " column");
  }
  const std::int64_t dataRows = static_cast<std::int64_t>(rows.size()) - 1;
  while (bulk.skip < dataRows && batch.changes.size() < limit) {
    const auto& row = rows[static_cast<std::size_t>(bulk.skip) + 1];
    ++bulk.skip;
    sdk::Object record;
    for (std::size_t c = 0; c < header.size(); ++c) {
      sdk::Value value = fromCsvValue(row[c], columnTypes[c]);
      if (header[c].find('.') != std::string::npos) {
        sdk::setPath(record, header[c], std::move(value));
      } else {
        record.set(header[c], std::move(value));
      }
    }
    const auto* ts = record.find(plan.timestampField);
    if (ts == nullptr || !ts->isDateTime() || row[static_cast<std::size_t>(idColumn)].empty()) {
      return sdk::Error::make(ErrorCode::kMalformedResponse,
                              "bulk query results: a row lacks Id or " + plan.timestampField);
    }
    // Canonical field names (the CSV header spells them as selected, but be tolerant).
    const Position position{ts->asDateTime().epochMs, row[static_cast<std::size_t>(idColumn)]};
    record.set("Id", position.id);
    if (!pass.resumeAfter.empty() && !(pass.resumeAfter < position)) continue;
    // Rows up to resumeAfter were counted by the REST pages this job continues.
    ++pass.consumed;
    if (!cursor.mark.empty() && !(cursor.mark < position) &&
        position.timestampMs < cursor.visibleBeforeMs) {
      continue;
    }
    batch.changes.push_back(toChange(plan, record, position));
    if (bulk.maxSeen < position) bulk.maxSeen = position;
  }
  if (bulk.skip >= dataRows) {
    if ((*chunk)->nextLocator.empty()) {
      // Job fully read: the pass is complete.
      if (cursor.mark < bulk.maxSeen) cursor.mark = bulk.maxSeen;
      cursor.visibleBeforeMs = pass.startMs - settings_.overlap.count();
      cursor.pass.reset();
      bulkChunk_.reset();
      batch.hasMore = false;
      batch.remaining = 0;
    } else {
      bulk.locator = (*chunk)->nextLocator;
      bulk.skip = 0;
    }
  }
  if (cursor.pass) batch.remaining = cursor.pass->remaining();
  batch.nextCursor = encodeCursor(cursor);
  return batch;
}

}  // namespace ferry::plugins::salesforce
