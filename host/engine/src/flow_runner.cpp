#include "ferry/host/engine/flow_runner.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <unordered_map>
#include <unordered_set>
#include <utility>

#include "ferry/host/engine/conditions.hpp"
#include "ferry/host/engine/record_space.hpp"

namespace ferry::host::engine {
namespace {

constexpr int kCallAttempts = 3;  // whole-call lookup/write failures, per batch
constexpr std::chrono::milliseconds kCallRetryDelay{1000};
constexpr std::chrono::milliseconds kStopCheckSlice{100};  // a stop waits at most this long
constexpr std::size_t kMaxReadPage = 2000;
constexpr std::size_t kDeadLetterPage = 200;
constexpr const char* kMappingFailed = "MAPPING_FAILED";
constexpr const char* kNoSinkId = "NO_ID_RETURNED";
constexpr const char* kLinkGone = "LINKED_RECORD_GONE";
// Payload marker of a dead-lettered delete (a delete has no record to keep).
constexpr const char* kDeletedMarker = "$deleted";
// The sink field that carries tags (People persons' `tags`): deletes with the tag policy add the
// flow's tag there.
constexpr std::string_view kTagsField = "tags";
// Payload entry keeping the record's remote modification time (newest-wins on retry).
constexpr const char* kModifiedMarker = "$modifiedAt";

// What became of a record in a batch. kPending at the end means nothing had to be done
// (counted as unchanged); kSettled means it was counted where it was decided.
enum class Fate { kPending, kSettled, kLinkOnly, kWrite, kRejected, kConflict };

struct Item {
  std::string id;  // id on the side it was read from
  bool isDelete = false;
  sdk::Object raw;  // the record as read (reader's field names)
  std::int64_t modifiedAtMs = 0;
  std::optional<sdk::Successor> successor;
  const DeadLetter* deadLetter = nullptr;  // set when replaying a dead letter

  sdk::Object mapped;  // the record in sink field names (forward: mapped; reverse: as read)
  FieldValues values;  // mapped fields only
  std::optional<sdk::Object> sourceRecord;  // reverse pass: reverse-mapped (matching, creates)
  std::optional<Link> link;
  bool needsFetch = false;  // two-way: fetch the other side's current values by id
  bool needsMatch = false;  // unlinked: look up candidates on the match keys

  Fate fate = Fate::kPending;
  sdk::WriteOp op;
  FieldValues newBase;
  FieldValues written;  // two-way updates: the values this write gives the other side
  std::string otherId;

  std::string reason;
  std::string errorCode;
  std::string field;
  bool retriable = false;
};

std::int64_t backoffMs(const ErrorPolicy& policy, int attempts) {
  std::int64_t delay = policy.baseDelay.count();
  for (int i = 1; i < attempts && delay < policy.maxDelay.count(); ++i) delay *= 2;
  return std::min<std::int64_t>(delay, policy.maxDelay.count());
}

void addCounts(RunCounts& into, const RunCounts& delta) {
  into.read += delta.read;
  into.created += delta.created;
  into.updated += delta.updated;
  into.unchanged += delta.unchanged;
  into.deleted += delta.deleted;
  into.rejected += delta.rejected;
  into.conflicts += delta.conflicts;
}

// Time to read `remaining` changes at the pass's average rate so far (records per elapsed ms).
// The average over the whole pass is smooth enough for a display and needs no tuning.
std::optional<std::int64_t> etaMs(std::optional<std::uint64_t> remaining, std::int64_t passRecords,
                                  std::int64_t passElapsedMs) {
  if (!remaining) return std::nullopt;
  if (*remaining == 0) return 0;
  if (passRecords <= 0 || passElapsedMs <= 0) return std::nullopt;
  const double eta = static_cast<double>(*remaining) * static_cast<double>(passElapsedMs) /
                     static_cast<double>(passRecords);
  // An absurd estimate (a huge count at a crawl) is clamped rather than overflowing.
  constexpr double kMaxEtaMs = 1e15;
  return static_cast<std::int64_t>(std::min(eta, kMaxEtaMs) + 0.5);
}

void appendUnique(std::vector<std::string>& list, const std::vector<std::string>& more) {
  for (const auto& s : more) {
    if (std::find(list.begin(), list.end(), s) == list.end()) list.push_back(s);
  }
}

}  // namespace

std::string formatDuration(std::int64_t ms) {
  const std::int64_t seconds = ms > 0 ? (ms + 999) / 1000 : 0;
  const auto two = [](std::int64_t big, const char* bigUnit, std::int64_t small,
                      const char* smallUnit) {
    std::string out = std::to_string(big) + bigUnit;
    if (small > 0) out += " " + std::to_string(small) + smallUnit;
    return out;
  };
  if (seconds < 60) return std::to_string(seconds) + "s";
  if (seconds < 3600) return two(seconds / 60, "m", seconds % 60, "s");
  if (seconds < 86400) return two(seconds / 3600, "h", seconds % 3600 / 60, "m");
  return two(seconds / 86400, "d", seconds % 86400 / 3600, "h");
}

std::string formatProgress(const Progress& p) {
  char rate[32];
  // Slow sources (a few records a second) keep a decimal so they do not read as stalled.
  std::snprintf(rate, sizeof rate, p.ratePerSecond < 10 ? "%.1f" : "%.0f", p.ratePerSecond);
  std::string out = std::to_string(p.records) + " records, " + rate + "/s";
  if (p.etaMs) out += ", ETA " + formatDuration(*p.etaMs);
  if (p.remaining) out += " (~" + std::to_string(*p.remaining) + " left)";
  return out;
}

class FlowRunner::Impl {
 public:
  Impl(FlowDef flow, Endpoint source, Endpoint sink, StateStore& store, sdk::Clock& clock,
       sdk::Logger* logger, std::string node)
      : flow_(std::move(flow)),
        source_(std::move(source)),
        sink_(std::move(sink)),
        store_(store),
        clock_(clock),
        logger_(logger),
        node_(std::move(node)) {}

  const FlowDef& flow() const noexcept { return flow_; }
  void setRouter(SuccessorRouter router) { router_ = std::move(router); }

  RunSummary run(const RunOptions& options);
  Result<RetrySummary> retry(std::vector<DeadLetter> letters, std::optional<std::int64_t> runId);
  Result<RetrySummary> retryMatching(const DeadLetterFilter& filter, bool dueOnly,
                                     std::optional<std::int64_t> runId);
  Status resolveConflict(std::int64_t id, const std::string& resolution);
  Result<RetrySummary> retryOne(std::int64_t id) {
    auto letter = store_.deadLetter(id);
    if (!letter) return letter.takeError();
    if (!letter->has_value() || (*letter)->flow != flow_.name) {
      return sdk::Error::make(sdk::ErrorCode::kNotFound,
                              "flow " + flow_.name + " has no dead letter " + std::to_string(id));
    }
    if (auto s = loadPendingLetters(); !s) return s.takeError();
    std::vector<DeadLetter> one{std::move(**letter)};
    return retry(std::move(one), std::nullopt);
  }

 private:
  bool twoWay() const { return flow_.mode == SyncMode::kTwoWay; }
  const CompiledMapping& mapping() const { return *flow_.mapping; }
  Endpoint& reader(Direction d) { return d == Direction::kForward ? source_ : sink_; }
  Endpoint& other(Direction d) { return d == Direction::kForward ? sink_ : source_; }

  void log(sdk::LogLevel level, const std::string& message) {
    if (logger_ != nullptr) logger_->log(level, message);  // the logger names the flow
  }

  std::vector<std::string> readFields(Direction d) const;
  std::vector<std::string> otherFields(Direction d) const {
    return d == Direction::kForward ? mapping().sinkFields() : mapping().sourceFields();
  }
  std::size_t writeBatchSize(Direction d) {
    std::size_t size = other(d).sink->maxBatch(other(d).entity);
    if (flow_.batchSize > 0) size = std::min(size, flow_.batchSize);
    return std::max<std::size_t>(size, 1);
  }

  Status applyReportedDeletes(Direction d, const std::vector<std::string>& ids,
                              RunSummary& summary);
  Status runPass(Direction d, const RunOptions& options, RunSummary& summary, std::int64_t& done);
  Result<RunCounts> processBatch(Direction d, std::vector<Item>& items,
                                 std::optional<std::string> cursor,
                                 std::optional<std::int64_t> runId, std::int64_t readCount);

  // Steps of processBatch.
  void handleSuccessor(Item& item, BatchCommit& commit);
  void classify(Direction d, Item& item);
  void planDelete(Direction d, Item& item);
  void planCreate(Direction d, Item& item);
  void planUpdate(Direction d, Item& item, const FieldValues& target,
                  const std::vector<std::string>& changed, const FieldValues& base);
  void mergeWithOther(Direction d, Item& item, const FieldValues& base,
                      const sdk::FoundRecord& found, BatchCommit& commit);
  FieldValues withNotes(FieldValues base, const std::string& sourceId, const std::string& sinkId,
                        const FieldValues& sourceValues, const FieldValues& sinkValues) const;
  Status lookupRound(Direction d, std::vector<Item*>& pending, BatchCommit& commit);
  std::optional<FieldValues> otherValues(Direction d, const sdk::Object& fields);
  ConflictWinner winnerFor(Direction d, std::int64_t readerMs, std::int64_t otherMs) const;
  void reject(Item& item, std::string reason, std::string code, std::string field, bool retriable);
  void park(Direction d, Item& item, std::vector<std::string> candidates, BatchCommit& commit);
  Link makeLink(Direction d, const Item& item, const std::string& otherId) const;
  template <typename Fn>
  auto withRetries(const char* what, Fn&& call) -> decltype(call());
  Status loadOpenConflicts();
  Status loadPendingLetters();
  Status loadIntents();
  void forgetIntents();
  std::string intentScope() const { return "engine/" + flow_.name + "/creates"; }
  static std::string recordKey(Direction d, const std::string& id) {
    return (d == Direction::kForward ? "f:" : "r:") + id;
  }

  FlowDef flow_;
  Endpoint source_;
  Endpoint sink_;
  StateStore& store_;
  sdk::Clock& clock_;
  sdk::Logger* logger_;
  std::string node_;
  SuccessorRouter router_;
  // Records with an open ambiguous-match conflict ("f:" or "r:" + id): not parked twice.
  std::unordered_set<std::string> openAmbiguous_;
  // The pending dead letter of each record (recordKey -> newest id), loaded per run: a newer read
  // of a record supersedes its dead letter, whatever the outcome.
  struct PendingLetter {
    std::int64_t id = 0;
    int attempts = 0;
    std::int64_t nextRetryAtMs = 0;  // 0 = waits for an operator
    sdk::Object payload;             // the record as read when it was rejected
  };
  // True when `item` is the very version of the record that already waits as a dead letter: a
  // re-read in the source's overlap window. Writing it again would be refused again and cost an
  // API call per poll; its retries belong to the dead letter (backoff, or an operator's request).
  bool alreadyParked(Direction d, const Item& item) const;
  bool anyLetterDue(std::int64_t now) const {
    return std::any_of(pendingLetters_.begin(), pendingLetters_.end(), [&](const auto& entry) {
      return entry.second.nextRetryAtMs > 0 && entry.second.nextRetryAtMs <= now;
    });
  }
  std::unordered_map<std::string, PendingLetter> pendingLetters_;
  // Write notes (two-way flows): before a batch is written, the values each written record will
  // hold are noted in the store's key-value state. A crash before the commit leaves records that
  // hold our values while their links still have the old base; on replay a field whose value
  // equals the note was written by us, not changed by a person, so it is not taken for a change
  // (or a conflict). Keys: "src:<id>"/"snk:<id>" for updated records, "snk-from-src:<id>" and
  // "src-from-snk:<id>" for records created from <id>.
  std::unordered_map<std::string, FieldValues> intents_;
  std::vector<std::string> intentKeys_;
  // The current run's stop request: a call failing while it is set is not retried (an outage
  // must not hold a stop for the whole backoff), and the run ends as abandoned, not failed.
  std::function<bool()> shouldStop_;
  bool stoppedInRetry_ = false;
  std::int64_t intentSeq_ = 0;
};

// ---- Runs ---------------------------------------------------------------------------------------

RunSummary FlowRunner::Impl::run(const RunOptions& options) {
  RunSummary summary;
  summary.startedAtMs = clock_.nowMs();
  shouldStop_ = options.shouldStop;
  stoppedInRetry_ = false;
  auto runId = store_.startRun(flow_.name, node_, summary.startedAtMs);
  if (!runId) {
    summary.status = RunStatus::kFailed;
    summary.error = "cannot record the run: " + runId.error().describe();
    summary.endedAtMs = clock_.nowMs();
    return summary;
  }
  summary.runId = *runId;
  Status status = loadOpenConflicts();
  if (status) status = loadPendingLetters();
  if (status && twoWay()) status = loadIntents();
  std::int64_t done = 0;
  if (status) status = applyReportedDeletes(Direction::kForward, options.deletedSourceIds, summary);
  if (status && twoWay()) {
    status = applyReportedDeletes(Direction::kReverse, options.deletedSinkIds, summary);
  }
  if (status) status = runPass(Direction::kForward, options, summary, done);
  if (status && twoWay() && summary.status == RunStatus::kSucceeded) {
    status = runPass(Direction::kReverse, options, summary, done);
  }
  if (status && options.retryDueDeadLetters && summary.status == RunStatus::kSucceeded &&
      anyLetterDue(clock_.nowMs())) {
    DeadLetterFilter due;
    due.flow = flow_.name;
    due.status = DeadLetterStatus::kPending;
    due.retriable = true;
    due.dueBeforeMs = clock_.nowMs();
    auto retried = retryMatching(due, true, summary.runId);
    if (retried) {
      addCounts(summary.counts, retried->counts);
    } else {
      status = retried.takeError();
    }
  }
  if (status && summary.status == RunStatus::kSucceeded) forgetIntents();
  if (!status && stoppedInRetry_) {
    // The failed batch is not committed: the next run reads it again.
    summary.status = RunStatus::kAbandoned;
    summary.error = "stopped while retrying: " + status.error().describe();
    log(sdk::LogLevel::kWarn, "run abandoned: " + summary.error);
  } else if (!status) {
    summary.status = RunStatus::kFailed;
    summary.error = status.error().describe();
    log(sdk::LogLevel::kError, "run failed: " + summary.error);
  }
  shouldStop_ = nullptr;
  summary.endedAtMs = clock_.nowMs();
  if (auto finished =
          store_.finishRun(summary.runId, summary.status, summary.endedAtMs, summary.error);
      !finished) {
    log(sdk::LogLevel::kWarn, "cannot record the end of run: " + finished.error().describe());
  }
  return summary;
}

Status FlowRunner::Impl::applyReportedDeletes(Direction d, const std::vector<std::string>& ids,
                                              RunSummary& summary) {
  if (ids.empty()) return {};
  std::vector<Item> items;
  for (const auto& id : ids) {
    Item item;
    item.id = id;
    item.isDelete = true;
    items.push_back(std::move(item));
  }
  const auto count = static_cast<std::int64_t>(items.size());
  auto counts = processBatch(d, items, std::nullopt, summary.runId, count);
  if (!counts) return counts.takeError();
  addCounts(summary.counts, *counts);
  return {};
}

std::vector<std::string> FlowRunner::Impl::readFields(Direction d) const {
  std::vector<std::string> fields =
      d == Direction::kForward ? mapping().sourceFields() : mapping().sinkFields();
  const auto& filter = d == Direction::kForward ? flow_.filter : flow_.sinkFilter;
  for (const auto& c : filter) appendUnique(fields, {c.field});
  for (const auto& key : flow_.match) {
    appendUnique(fields, {d == Direction::kForward ? key.sourceField : key.sinkField});
  }
  return fields;
}

Status FlowRunner::Impl::runPass(Direction d, const RunOptions& options, RunSummary& summary,
                                 std::int64_t& done) {
  Endpoint& from = reader(d);
  if (from.source == nullptr || other(d).sink == nullptr) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            std::string("the flow's ") + (d == Direction::kForward
                                                              ? "source cannot be read or its sink "
                                                                "cannot be written"
                                                              : "sink cannot be read or its source "
                                                                "cannot be written"));
  }
  sdk::ReadRequest request;
  request.entity = from.entity;
  request.limit = std::min(kMaxReadPage, writeBatchSize(d));
  request.fields = readFields(d);
  request.filter = d == Direction::kForward ? flow_.filter : flow_.sinkFilter;
  const std::int64_t passStartedMs = clock_.nowMs();
  std::int64_t passRecords = 0;
  while (true) {
    if (options.shouldStop && options.shouldStop()) {
      summary.status = RunStatus::kAbandoned;
      summary.error = "stopped before catching up";
      return {};
    }
    if (options.beforeBatch && !options.beforeBatch()) {
      summary.status = RunStatus::kAbandoned;
      summary.error = "lost the flow's lease";
      return {};
    }
    auto cursor = store_.cursor(flow_.name, d);
    if (!cursor) return cursor.takeError();
    request.cursor = cursor->value_or("");
    auto batch = withRetries("read", [&] { return from.source->read(request); });
    if (!batch) return batch.takeError();

    std::vector<Item> items;
    items.reserve(batch->changes.size());
    {
      // Keep the last change per id: a page may repeat a record.
      std::unordered_map<std::string, std::size_t> position;
      for (auto& change : batch->changes) {
        auto [it, inserted] = position.emplace(change.id, items.size());
        if (!inserted) {
          items[it->second].id.clear();  // superseded by this later change
          it->second = items.size();
        }
        Item item;
        item.id = std::move(change.id);
        item.isDelete = change.op == sdk::Change::Op::kDelete;
        item.raw = std::move(change.fields);
        item.modifiedAtMs = change.modifiedAtMs;
        item.successor = std::move(change.successor);
        items.push_back(std::move(item));
      }
      std::erase_if(items, [](const Item& i) { return i.id.empty(); });
      std::erase_if(items, [&](const Item& i) { return alreadyParked(d, i); });
    }
    const auto readCount = static_cast<std::int64_t>(batch->changes.size());
    auto counts = processBatch(d, items, batch->nextCursor, summary.runId, readCount);
    if (!counts) return counts.takeError();
    addCounts(summary.counts, *counts);
    ++summary.batches;
    done += counts->read;
    passRecords += counts->read;
    if (options.onProgress) {
      // A clock stepped back reads as "no time passed" (no rate), never as a negative one.
      const std::int64_t now = clock_.nowMs();
      Progress p;
      p.direction = d;
      p.records = done;
      p.counts = summary.counts;
      p.elapsedMs = std::max<std::int64_t>(now - summary.startedAtMs, 0);
      p.ratePerSecond = p.elapsedMs > 0 ? 1000.0 * static_cast<double>(done) / p.elapsedMs : 0;
      p.remaining = batch->remaining;
      p.etaMs =
          etaMs(batch->remaining, passRecords, std::max<std::int64_t>(now - passStartedMs, 0));
      options.onProgress(p);
    }
    if (!batch->hasMore) return {};
    if (batch->nextCursor == request.cursor && batch->changes.empty()) {
      log(sdk::LogLevel::kWarn, "source reported more changes but returned none; pass ends");
      return {};
    }
  }
}

template <typename Fn>
auto FlowRunner::Impl::withRetries(const char* what, Fn&& call) -> decltype(call()) {
  auto delay = kCallRetryDelay;
  for (int attempt = 1;; ++attempt) {
    auto result = call();
    if (result.ok() || !result.error().retriable || attempt == kCallAttempts) return result;
    const auto stopping = [&] { return shouldStop_ && shouldStop_(); };
    if (stopping()) {
      stoppedInRetry_ = true;
      return result;
    }
    log(sdk::LogLevel::kWarn, std::string(what) + " failed (attempt " + std::to_string(attempt) +
                                  "), retrying: " + result.error().describe());
    // Wait in slices, so a stop requested meanwhile is seen within one.
    for (auto left = delay; left.count() > 0; left -= kStopCheckSlice) {
      if (stopping()) {
        stoppedInRetry_ = true;
        return result;
      }
      clock_.sleepFor(std::min(left, kStopCheckSlice));
    }
    delay *= 2;
  }
}

bool FlowRunner::Impl::alreadyParked(Direction d, const Item& item) const {
  if (item.isDelete || item.successor) return false;
  const auto it = pendingLetters_.find(recordKey(d, item.id));
  if (it == pendingLetters_.end()) return false;
  const sdk::Object& parked = it->second.payload;
  if (parked.contains(kDeletedMarker)) return false;
  // Same remote version (when the source reports one) and the same values.
  const sdk::Value* at = parked.find(kModifiedMarker);
  const std::int64_t parkedAt = at != nullptr && at->isInteger() ? at->asInteger() : 0;
  if (parkedAt != item.modifiedAtMs) return false;
  sdk::Object values = parked;
  values.erase(kModifiedMarker);
  return values == item.raw;
}

Status FlowRunner::Impl::loadPendingLetters() {
  pendingLetters_.clear();
  DeadLetterFilter filter;
  filter.flow = flow_.name;
  filter.status = DeadLetterStatus::kPending;
  filter.limit = 500;
  while (true) {
    auto page = store_.deadLetters(filter);
    if (!page) return page.takeError();
    for (const auto& l : *page) {
      PendingLetter& p = pendingLetters_[recordKey(l.direction, l.recordId)];
      if (l.id > p.id) p = {l.id, l.attempts, l.retriable ? l.nextRetryAtMs : 0, l.payload};
    }
    if (page->size() < filter.limit) break;
    filter.afterId = page->back().id;
  }
  return {};
}

Status FlowRunner::Impl::loadIntents() {
  intents_.clear();
  intentKeys_.clear();
  auto keys = store_.kvKeys(intentScope());
  if (!keys) return keys.takeError();
  std::vector<std::string> ordered = *keys;  // older notes first: later ones overwrite
  std::sort(ordered.begin(), ordered.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  for (const auto& key : ordered) {
    auto text = store_.kvGet(intentScope(), key);
    if (!text) return text.takeError();
    if (!text->has_value()) continue;
    auto parsed = sdk::Value::fromJson(**text);
    if (!parsed || !parsed->isObject()) {
      log(sdk::LogLevel::kWarn, "ignoring unreadable create note " + key);
    } else {
      for (const auto& [record, values] : parsed->asObject()) {
        if (values.isObject()) intents_[record] = values.asObject();
      }
    }
    intentKeys_.push_back(key);
  }
  return {};
}

void FlowRunner::Impl::forgetIntents() {
  // Everything noted before this run was replayed by it: the notes have served.
  for (const auto& key : intentKeys_) {
    if (auto s = store_.kvErase(intentScope(), key); !s) {
      log(sdk::LogLevel::kWarn, "cannot erase create note: " + s.error().describe());
    }
  }
  intentKeys_.clear();
  intents_.clear();
}

Status FlowRunner::Impl::loadOpenConflicts() {
  // Reloaded per run: conflicts may have been resolved through the store meanwhile.
  openAmbiguous_.clear();
  ConflictFilter filter;
  filter.flow = flow_.name;
  filter.status = ConflictStatus::kOpen;
  filter.limit = 500;
  while (true) {
    auto page = store_.conflicts(filter);
    if (!page) return page.takeError();
    for (const auto& c : *page) {
      if (c.kind != ConflictKind::kAmbiguousMatch) continue;
      openAmbiguous_.insert(c.sourceId.empty() ? "r:" + c.sinkId : "f:" + c.sourceId);
    }
    if (page->size() < filter.limit) break;
    filter.afterId = page->back().id;
  }
  return {};
}

// ---- One batch ----------------------------------------------------------------------------------

Result<RunCounts> FlowRunner::Impl::processBatch(Direction d, std::vector<Item>& items,
                                                 std::optional<std::string> cursor,
                                                 std::optional<std::int64_t> runId,
                                                 std::int64_t readCount) {
  const bool forward = d == Direction::kForward;
  BatchCommit commit;
  commit.flow = flow_.name;
  commit.countsDelta.read = readCount;
  if (cursor) commit.cursor = std::make_pair(d, std::move(*cursor));
  commit.runId = runId;

  // 1. Successors first: they re-point links other items may then find.
  for (auto& item : items) {
    if (item.successor && forward) handleSuccessor(item, commit);
  }

  // 2. Links of the records read.
  {
    std::vector<std::string> ids;
    ids.reserve(items.size());
    for (const auto& item : items) {
      if (item.fate == Fate::kPending) ids.push_back(item.id);
    }
    auto links =
        forward ? store_.linksBySource(flow_.name, ids) : store_.linksBySink(flow_.name, ids);
    if (!links) return links.takeError();
    std::unordered_map<std::string, Link*> byId;
    for (auto& link : *links) byId.emplace(forward ? link.sourceId : link.sinkId, &link);
    for (auto& item : items) {
      if (auto it = byId.find(item.id); it != byId.end()) item.link = std::move(*it->second);
    }
  }

  // 3. Decide what each record needs.
  for (auto& item : items) {
    if (item.fate == Fate::kPending) classify(d, item);
  }

  // 4. One batched lookup on the other side (a second, rare one for records whose linked
  // counterpart vanished and that must now be matched).
  for (int round = 0; round < 2; ++round) {
    std::vector<Item*> pending;
    for (auto& item : items) {
      if (item.fate == Fate::kPending && (item.needsFetch || item.needsMatch)) {
        pending.push_back(&item);
      }
    }
    if (pending.empty()) break;
    if (auto s = lookupRound(d, pending, commit); !s) return s.takeError();
  }

  // 5. Batched writes within the sink's limit (two-way flows note them first, see intents_).
  Endpoint& to = other(d);
  const std::size_t chunk = writeBatchSize(d);
  std::vector<Item*> writes;
  sdk::Object writeNote;
  for (auto& item : items) {
    if (item.fate != Fate::kWrite) continue;
    writes.push_back(&item);
    if (!twoWay()) continue;
    const char* side = forward ? "snk" : "src";
    if (item.op.kind == sdk::WriteOp::Kind::kCreate) {
      writeNote.set(std::string(side) + (forward ? "-from-src:" : "-from-snk:") + item.id,
                    item.newBase);
    } else if (item.op.kind == sdk::WriteOp::Kind::kUpdate && !item.written.empty()) {
      writeNote.set(std::string(side) + ":" + item.otherId, item.written);
    }
  }
  std::string noteKey;
  if (!writeNote.empty()) {
    noteKey = std::to_string(clock_.nowMs()) + "-" + std::to_string(++intentSeq_);
    if (auto s = store_.kvPut(intentScope(), noteKey, sdk::Value(std::move(writeNote)).toJson());
        !s) {
      return s.takeError();
    }
  }
  for (std::size_t start = 0; start < writes.size(); start += chunk) {
    const std::size_t end = std::min(writes.size(), start + chunk);
    std::vector<sdk::WriteOp> ops;
    ops.reserve(end - start);
    for (std::size_t i = start; i < end; ++i) ops.push_back(std::move(writes[i]->op));
    auto results = withRetries("write", [&] { return to.sink->write(to.entity, ops); });
    if (!results) return results.takeError();
    if (results->size() != ops.size()) {
      return sdk::Error::make(sdk::ErrorCode::kMalformedResponse,
                              "sink returned " + std::to_string(results->size()) + " results for " +
                                  std::to_string(ops.size()) + " writes");
    }
    for (std::size_t i = start; i < end; ++i) {
      Item& item = *writes[i];
      sdk::WriteResult& result = (*results)[i - start];
      const sdk::WriteOp& op = ops[i - start];
      using Outcome = sdk::WriteResult::Outcome;
      if (result.outcome == Outcome::kRejected) {
        const sdk::Error error = result.error.value_or(
            sdk::Error::make(sdk::ErrorCode::kInternal, "rejected without a reason"));
        if (op.kind == sdk::WriteOp::Kind::kDelete && error.code == sdk::ErrorCode::kNotFound) {
          result.outcome = Outcome::kDeleted;  // already gone: the delete is done
        } else if (op.kind == sdk::WriteOp::Kind::kUpdate && !item.isDelete && item.link &&
                   error.code == sdk::ErrorCode::kNotFound) {
          // The linked record was deleted on the other side without us hearing of it: the link
          // goes, and the retry (soon) matches or creates the record again.
          commit.deleteLinksBySource.push_back(item.link->sourceId);
          reject(item, "the linked record " + op.id + " no longer exists: " + error.message,
                 kLinkGone, "", true);
          continue;
        } else {
          reject(item, error.message,
                 error.remoteCode.empty() ? sdk::toString(error.code) : error.remoteCode,
                 result.field, error.retriable);
          continue;
        }
      }
      if (result.outcome == Outcome::kDeleted || item.isDelete) {
        // A propagated delete, or a tagged record leaving the flow: the link goes.
        commit.deleteLinksBySource.push_back(forward ? item.id : item.link->sourceId);
        ++commit.countsDelta.deleted;
        item.fate = Fate::kSettled;
        continue;
      }
      const std::string otherId = !result.id.empty() ? result.id : item.otherId;
      if (otherId.empty()) {
        reject(item, "the sink reported success but returned no record id", kNoSinkId, "", false);
        continue;
      }
      item.otherId = otherId;
      commit.upsertLinks.push_back(makeLink(d, item, otherId));
      if (result.outcome == Outcome::kCreated) {
        ++commit.countsDelta.created;
      } else if (result.outcome == Outcome::kUpdated) {
        ++commit.countsDelta.updated;
      } else {
        ++commit.countsDelta.unchanged;
      }
      item.fate = Fate::kSettled;
    }
  }

  // 6. Results that needed no write, rejections and dead-letter bookkeeping.
  const std::int64_t now = clock_.nowMs();
  for (auto& item : items) {
    if (item.fate == Fate::kLinkOnly) {
      commit.upsertLinks.push_back(makeLink(d, item, item.otherId));
      ++commit.countsDelta.unchanged;
    } else if (item.fate == Fate::kPending) {
      ++commit.countsDelta.unchanged;
    }
    // An older dead letter of this record is moot now: this read carries the record's latest
    // state (a new rejection below stores it afresh).
    if (item.deadLetter == nullptr) {
      if (auto it = pendingLetters_.find(recordKey(d, item.id)); it != pendingLetters_.end()) {
        DeadLetter moot;
        moot.id = it->second.id;
        moot.attempts = it->second.attempts;
        moot.status = DeadLetterStatus::kResolved;
        moot.reason = "superseded by a later change of the record";
        moot.updatedAtMs = now;
        commit.updatedDeadLetters.push_back(std::move(moot));
        pendingLetters_.erase(it);
      }
    } else if (item.fate != Fate::kRejected) {
      pendingLetters_.erase(recordKey(d, item.id));
    }
    if (item.fate == Fate::kRejected) {
      ++commit.countsDelta.rejected;
      DeadLetter letter = item.deadLetter != nullptr ? *item.deadLetter : DeadLetter{};
      letter.flow = flow_.name;
      letter.direction = d;
      letter.recordId = item.id;
      letter.payload = item.isDelete ? sdk::Object{{kDeletedMarker, true}} : item.raw;
      if (item.modifiedAtMs > 0)
        letter.payload.set(std::string(kModifiedMarker), item.modifiedAtMs);
      letter.reason = item.reason;
      letter.errorCode = item.errorCode;
      letter.field = item.field;
      letter.retriable = item.retriable;
      letter.attempts += 1;
      letter.status = DeadLetterStatus::kPending;
      letter.nextRetryAtMs = item.retriable && letter.attempts < flow_.errors.maxAttempts
                                 ? now + backoffMs(flow_.errors, letter.attempts)
                                 : 0;
      letter.updatedAtMs = now;
      if (item.deadLetter != nullptr) {
        commit.updatedDeadLetters.push_back(std::move(letter));
      } else {
        letter.createdAtMs = now;
        log(sdk::LogLevel::kWarn, "record " + item.id + " rejected: " + item.reason);
        commit.newDeadLetters.push_back(std::move(letter));
      }
    } else if (item.deadLetter != nullptr) {
      DeadLetter letter = *item.deadLetter;
      letter.status = DeadLetterStatus::kResolved;
      letter.nextRetryAtMs = 0;
      letter.updatedAtMs = now;
      commit.updatedDeadLetters.push_back(std::move(letter));
    }
  }

  if (auto s = store_.commitBatch(commit); !s) return s.takeError();
  if (!noteKey.empty()) {
    if (auto s = store_.kvErase(intentScope(), noteKey); !s) {
      log(sdk::LogLevel::kWarn, "cannot erase create note: " + s.error().describe());
    }
  }
  return commit.countsDelta;
}

void FlowRunner::Impl::handleSuccessor(Item& item, BatchCommit& commit) {
  const sdk::Successor& next = *item.successor;
  item.fate = Fate::kSettled;
  auto links = store_.linksBySource(flow_.name, {item.id});
  if (!links || links->empty()) return;  // never synced: the successor syncs on its own
  const Link old = links->front();
  const std::string target = router_ ? router_(next) : std::string();
  const std::string targetFlow = target.empty() ? flow_.name : target;
  auto existing = store_.linksBySource(targetFlow, {next.id});
  if (!existing) {
    reject(item, "cannot re-point the link: " + existing.error().describe(), "STATE_UNAVAILABLE",
           "", true);
    return;
  }
  if (existing->empty()) {
    Link moved = old;
    moved.flow = targetFlow;
    moved.sourceId = next.id;
    setParkedFields(moved.base, {});
    moved.updatedAtMs = clock_.nowMs();
    BatchCommit handoff;
    handoff.flow = targetFlow;
    // Within one flow a sink record has one link: the old one goes in the same transaction.
    if (targetFlow == flow_.name) handoff.deleteLinksBySource.push_back(item.id);
    handoff.upsertLinks.push_back(std::move(moved));
    if (auto s = store_.commitBatch(handoff); !s) {
      reject(item, "cannot re-point the link: " + s.error().describe(), "STATE_UNAVAILABLE", "",
             true);
      return;
    }
    log(sdk::LogLevel::kInfo, "record " + item.id + " became " + next.entity + " " + next.id +
                                  " (flow " + targetFlow + "); its link to " + old.sinkId +
                                  " moved along");
  } else if (existing->front().sinkId != old.sinkId) {
    log(sdk::LogLevel::kWarn, "record " + item.id + " became " + next.id + ", which is already " +
                                  "linked to " + existing->front().sinkId + "; " + old.sinkId +
                                  " stays as it is");
  }
  if (targetFlow != flow_.name || next.id != item.id) {
    commit.deleteLinksBySource.push_back(item.id);
  }
}

void FlowRunner::Impl::classify(Direction d, Item& item) {
  const bool forward = d == Direction::kForward;
  if (item.isDelete) {
    planDelete(d, item);
    return;
  }
  const auto& filter = forward ? flow_.filter : flow_.sinkFilter;
  if (!matchesAll(item.raw, filter)) return;  // outside the flow: nothing to do (unchanged)

  if (forward) {
    auto mapped = mapping().forward(item.raw);
    if (!mapped) {
      reject(item, mapped.error().message, kMappingFailed, "", false);
      return;
    }
    item.mapped = std::move(*mapped);
  } else {
    item.mapped = item.raw;
  }
  item.values = project(item.mapped, mapping().sinkFields());

  if (item.link) {
    const auto& base = item.link->base;
    const auto changed =
        changedFields(item.values, base, mapping().sinkFields(), parkedFields(base));
    item.otherId = forward ? item.link->sinkId : item.link->sourceId;
    if (changed.empty()) return;  // echo or unmapped-only change: no write, no call
    if (twoWay()) {
      item.needsFetch = true;
    } else {
      planUpdate(d, item, item.values, changed, base);
    }
    return;
  }

  if (!forward) {
    auto reversed = mapping().reverse(item.raw);
    if (!reversed) {
      reject(item, reversed.error().message, kMappingFailed, "", false);
      return;
    }
    item.sourceRecord = std::move(*reversed);
  }
  item.needsMatch = true;  // lookupRound creates right away when no key has a value
}

void FlowRunner::Impl::planDelete(Direction d, Item& item) {
  if (!item.link) return;  // never synced: nothing to delete
  const bool forward = d == Direction::kForward;
  item.otherId = forward ? item.link->sinkId : item.link->sourceId;
  switch (flow_.deletes) {
    case DeletePolicy::kIgnore:
      return;  // the link stays: an undelete resumes syncing the same pair
    case DeletePolicy::kPropagate:
      item.op = sdk::WriteOp{};
      item.op.kind = sdk::WriteOp::Kind::kDelete;
      item.op.id = item.otherId;
      item.op.idempotencyKey = item.id;
      item.fate = Fate::kWrite;
      return;
    case DeletePolicy::kTag: {
      if (!forward || flow_.deleteTag.empty()) return;  // the tag lives on the sink side only
      // The sink record keeps its values and gains the tag in its `tags` list; `previous`
      // holds the tags before, so a connector can add the one tag instead of replacing them.
      sdk::Object fields = unproject(item.link->base);
      const sdk::Value* current = fieldAt(item.link->base, kTagsField);
      sdk::List tags = current != nullptr && current->isList() ? current->asList() : sdk::List{};
      if (std::find(tags.begin(), tags.end(), sdk::Value(flow_.deleteTag)) == tags.end()) {
        tags.emplace_back(flow_.deleteTag);
      }
      putField(fields, std::string(kTagsField), std::move(tags));
      item.op = sdk::WriteOp{};
      item.op.kind = sdk::WriteOp::Kind::kUpdate;
      item.op.id = item.otherId;
      item.op.fields = std::move(fields);
      item.op.changed = {std::string(kTagsField)};
      item.op.previous = unproject(item.link->base);
      item.op.idempotencyKey = item.id;
      item.newBase = item.link->base;
      item.fate = Fate::kWrite;
      // A tagged record leaves the flow: its link goes once the tag is written.
      item.isDelete = true;
      return;
    }
  }
}

void FlowRunner::Impl::planCreate(Direction d, Item& item) {
  item.op = sdk::WriteOp{};
  item.op.kind = sdk::WriteOp::Kind::kCreate;
  item.op.fields = d == Direction::kForward ? item.mapped : *item.sourceRecord;
  item.op.idempotencyKey = item.id;
  item.newBase = item.values;
  item.otherId.clear();
  item.fate = Fate::kWrite;
}

void FlowRunner::Impl::planUpdate(Direction d, Item& item, const FieldValues& target,
                                  const std::vector<std::string>& changed,
                                  const FieldValues& base) {
  item.op = sdk::WriteOp{};
  item.op.kind = sdk::WriteOp::Kind::kUpdate;
  item.op.id = item.otherId;
  item.op.idempotencyKey = item.id;
  if (d == Direction::kForward) {
    sdk::Object fields = item.mapped;
    for (const auto& [path, value] : target) {
      if (path != kParkedKey) putField(fields, path, value);
    }
    item.op.fields = std::move(fields);
    item.op.changed = changed;
    if (!base.empty()) item.op.previous = unproject(base);
  } else {
    auto fields = mapping().reverse(unproject(target));
    if (!fields) {
      reject(item, fields.error().message, kMappingFailed, "", false);
      return;
    }
    item.op.fields = std::move(*fields);
    for (const auto& path : changed) appendUnique(item.op.changed, mapping().sourceFieldsFor(path));
    if (!base.empty()) {
      if (auto previous = mapping().reverse(unproject(base)))
        item.op.previous = std::move(*previous);
    }
  }
  if (item.newBase.empty()) {
    item.newBase = target;
    if (const sdk::Value* parked = base.find(kParkedKey)) {
      item.newBase.set(std::string(kParkedKey), *parked);
    }
  }
  item.fate = Fate::kWrite;
}

std::optional<FieldValues> FlowRunner::Impl::otherValues(Direction d, const sdk::Object& fields) {
  if (d == Direction::kReverse) {
    // The other side is the source: bring its record into sink space through the mapping.
    auto mapped = mapping().forward(fields);
    if (!mapped) return std::nullopt;
    return project(*mapped, mapping().sinkFields());
  }
  return project(fields, mapping().sinkFields());
}

FieldValues FlowRunner::Impl::withNotes(FieldValues base, const std::string& sourceId,
                                        const std::string& sinkId, const FieldValues& sourceValues,
                                        const FieldValues& sinkValues) const {
  const auto apply = [&](const std::string& key, const FieldValues& holder) {
    auto it = intents_.find(key);
    if (it == intents_.end()) return;
    for (const auto& [path, noted] : it->second) {
      if (path == kParkedKey) continue;
      const sdk::Value* now = holder.find(path);
      if (now != nullptr && *now == noted) base.set(path, noted);  // our write, not a change
    }
  };
  apply("src:" + sourceId, sourceValues);
  apply("src-from-snk:" + sinkId, sourceValues);
  apply("snk:" + sinkId, sinkValues);
  apply("snk-from-src:" + sourceId, sinkValues);
  return base;
}

ConflictWinner FlowRunner::Impl::winnerFor(Direction d, std::int64_t readerMs,
                                           std::int64_t otherMs) const {
  const bool readerIsSource = d == Direction::kForward;
  const auto sourceSide = readerIsSource ? ConflictWinner::kReader : ConflictWinner::kOther;
  const auto sinkSide = readerIsSource ? ConflictWinner::kOther : ConflictWinner::kReader;
  switch (flow_.conflicts) {
    case ConflictPolicy::kSourceWins:
      return sourceSide;
    case ConflictPolicy::kSinkWins:
      return sinkSide;
    case ConflictPolicy::kManual:
      return ConflictWinner::kPark;
    case ConflictPolicy::kNewestWins: {
      // Unknown times or a tie fall back to the source, so both passes decide alike.
      if (readerMs <= 0 || otherMs <= 0 || readerMs == otherMs) return sourceSide;
      return readerMs > otherMs ? ConflictWinner::kReader : ConflictWinner::kOther;
    }
  }
  return sourceSide;
}

void FlowRunner::Impl::mergeWithOther(Direction d, Item& item, const FieldValues& base,
                                      const sdk::FoundRecord& found, BatchCommit& commit) {
  item.otherId = found.id;
  auto current = otherValues(d, found.fields);
  if (!current) {
    // The other side's record does not map: compare with the base only (no conflict check).
    log(sdk::LogLevel::kWarn, "record " + found.id + " on the other side does not map; " +
                                  "merging record " + item.id + " against the base only");
    current = base;
  }
  const auto& paths = mapping().sinkFields();
  const bool forward = d == Direction::kForward;
  const FieldValues effective =
      intents_.empty()
          ? base
          : withNotes(base, forward ? item.id : found.id, forward ? found.id : item.id,
                      forward ? item.values : *current, forward ? *current : item.values);
  const MergeResult merge = mergeFields(effective, item.values, *current, paths,
                                        winnerFor(d, item.modifiedAtMs, found.modifiedAtMs));
  if (!merge.parked.empty()) {
    Conflict conflict;
    conflict.flow = flow_.name;
    conflict.kind = ConflictKind::kFieldConflict;
    conflict.sourceId = d == Direction::kForward ? item.id : found.id;
    conflict.sinkId = d == Direction::kForward ? found.id : item.id;
    conflict.fields = merge.parked;
    const FieldValues& sourceSide = d == Direction::kForward ? item.values : *current;
    const FieldValues& sinkSide = d == Direction::kForward ? *current : item.values;
    const auto valueOf = [](const FieldValues& values, const std::string& f) {
      const sdk::Value* v = values.find(f);
      return v != nullptr ? *v : sdk::Value();
    };
    for (const auto& f : merge.parked) {
      conflict.sourceValues.set(f, valueOf(sourceSide, f));
      conflict.sinkValues.set(f, valueOf(sinkSide, f));
      conflict.base.set(f, valueOf(base, f));
    }
    conflict.createdAtMs = clock_.nowMs();
    commit.newConflicts.push_back(std::move(conflict));
    ++commit.countsDelta.conflicts;
  }
  item.newBase = merge.newBase;
  // Only the fields this write changes are ours; the rest the other side already held.
  item.written = FieldValues{};
  for (const auto& path : merge.toOther) item.written.set(path, *merge.target.find(path));
  if (merge.toOther.empty()) {
    // Nothing crosses now; remember what both sides agree on when that moved.
    const bool baseMoved = !(merge.newBase == base) || !item.link;
    item.fate = baseMoved ? Fate::kLinkOnly : Fate::kPending;
    return;
  }
  planUpdate(d, item, merge.target, merge.toOther, base);
}

Status FlowRunner::Impl::lookupRound(Direction d, std::vector<Item*>& pending,
                                     BatchCommit& commit) {
  const bool forward = d == Direction::kForward;
  Endpoint& to = other(d);
  std::vector<sdk::LookupQuery> queries;
  std::vector<Item*> asked;
  for (Item* item : pending) {
    sdk::LookupQuery query;
    if (item->needsFetch) {
      query.keys.emplace_back(to.idField, item->otherId);
    } else {
      for (const auto& key : flow_.match) {
        const sdk::Value* v = forward ? fieldAt(item->mapped, key.sinkField)
                                      : fieldAt(*item->sourceRecord, key.sourceField);
        if (v == nullptr || v->isNull()) continue;
        if (v->isString() && v->asString().empty()) continue;
        query.keys.emplace_back(forward ? key.sinkField : key.sourceField, *v);
      }
      if (query.keys.empty()) {  // nothing to match on: create (idempotently)
        planCreate(d, *item);
        continue;
      }
    }
    queries.push_back(std::move(query));
    asked.push_back(item);
  }
  if (queries.empty()) return {};
  const std::vector<std::string> fields = otherFields(d);
  auto found = withRetries("lookup", [&] { return to.sink->lookup(to.entity, queries, fields); });
  if (!found) return found.takeError();
  if (found->size() != queries.size()) {
    return sdk::Error::make(sdk::ErrorCode::kMalformedResponse,
                            "sink answered " + std::to_string(found->size()) + " of " +
                                std::to_string(queries.size()) + " lookups");
  }

  // Candidates already linked to another record are not free to match.
  std::unordered_map<std::string, std::string> linkedTo;  // other id -> reader id
  {
    std::vector<std::string> candidateIds;
    for (std::size_t i = 0; i < asked.size(); ++i) {
      if (!asked[i]->needsMatch) continue;
      for (const auto& c : (*found)[i]) candidateIds.push_back(c.id);
    }
    if (!candidateIds.empty()) {
      auto links = forward ? store_.linksBySink(flow_.name, candidateIds)
                           : store_.linksBySource(flow_.name, candidateIds);
      if (!links) return links.takeError();
      for (const auto& l : *links) {
        linkedTo.emplace(forward ? l.sinkId : l.sourceId, forward ? l.sourceId : l.sinkId);
      }
    }
  }

  std::unordered_set<std::string> claimed;  // matched by an earlier record of this batch
  for (std::size_t i = 0; i < asked.size(); ++i) {
    Item& item = *asked[i];
    auto& candidates = (*found)[i];
    if (item.needsFetch) {
      item.needsFetch = false;
      if (candidates.empty() && flow_.deletes == DeletePolicy::kPropagate) {
        // The counterpart is gone and deletes propagate: its delete reaches this side through
        // the other side's changes; re-creating it here would undo that.
        log(sdk::LogLevel::kWarn, "record " + item.otherId + " linked to " + item.id +
                                      " no longer exists; waiting for its delete to propagate");
        item.fate = Fate::kSettled;
        ++commit.countsDelta.unchanged;
        continue;
      }
      if (candidates.empty()) {
        // The linked counterpart is gone and deletes are not propagated: forget the link and
        // treat the record as new; the next round matches or creates it.
        log(sdk::LogLevel::kInfo, "record " + item.otherId + " linked to " + item.id +
                                      " no longer exists; matching again");
        commit.deleteLinksBySource.push_back(forward ? item.id : item.link->sourceId);
        item.link.reset();
        item.otherId.clear();
        if (!forward) {
          auto reversed = mapping().reverse(item.raw);
          if (!reversed) {
            reject(item, reversed.error().message, kMappingFailed, "", false);
            continue;
          }
          item.sourceRecord = std::move(*reversed);
        }
        item.needsMatch = true;
        continue;
      }
      mergeWithOther(d, item, item.link->base, candidates.front(), commit);
      continue;
    }

    item.needsMatch = false;
    std::vector<std::string> free;
    std::vector<std::string> all;
    for (const auto& c : candidates) {
      all.push_back(c.id);
      if (!linkedTo.contains(c.id) && !claimed.contains(c.id)) free.push_back(c.id);
    }
    if (all.empty()) {
      planCreate(d, item);
    } else if (free.size() == 1 && all.size() == 1) {
      const sdk::FoundRecord& match = candidates.front();
      claimed.insert(match.id);
      item.otherId = match.id;
      if (twoWay()) {
        // No base yet: a value only one side has fills the other; differing values are a
        // conflict (unless a write note shows one was created from the other before a crash).
        mergeWithOther(d, item, FieldValues{}, match, commit);
        if (item.fate == Fate::kPending) item.fate = Fate::kLinkOnly;
      } else {
        const FieldValues current = project(match.fields, mapping().sinkFields());
        const auto changed = changedFields(item.values, current, mapping().sinkFields());
        if (changed.empty()) {
          item.newBase = item.values;
          item.fate = Fate::kLinkOnly;
        } else {
          planUpdate(d, item, item.values, changed, FieldValues{});
        }
      }
    } else {
      park(d, item, std::move(all), commit);
    }
  }
  return {};
}

void FlowRunner::Impl::park(Direction d, Item& item, std::vector<std::string> candidates,
                            BatchCommit& commit) {
  item.fate = Fate::kConflict;
  const std::string key = (d == Direction::kForward ? "f:" : "r:") + item.id;
  if (!openAmbiguous_.insert(key).second) return;  // already waiting for a person
  Conflict conflict;
  conflict.flow = flow_.name;
  conflict.kind = ConflictKind::kAmbiguousMatch;
  if (d == Direction::kForward) {
    conflict.sourceId = item.id;
    conflict.sourceValues = item.values;
  } else {
    conflict.sinkId = item.id;
    conflict.sinkValues = item.values;
  }
  for (const auto& key : flow_.match) {
    conflict.fields.push_back(d == Direction::kForward ? key.sinkField : key.sourceField);
  }
  conflict.candidates = std::move(candidates);
  conflict.createdAtMs = clock_.nowMs();
  log(sdk::LogLevel::kWarn, "record " + item.id + " matches " +
                                std::to_string(conflict.candidates.size()) +
                                " records; parked for review");
  commit.newConflicts.push_back(std::move(conflict));
  ++commit.countsDelta.conflicts;
}

void FlowRunner::Impl::reject(Item& item, std::string reason, std::string code, std::string field,
                              bool retriable) {
  item.fate = Fate::kRejected;
  item.reason = std::move(reason);
  item.errorCode = std::move(code);
  item.field = std::move(field);
  item.retriable = retriable;
}

Link FlowRunner::Impl::makeLink(Direction d, const Item& item, const std::string& otherId) const {
  Link link;
  link.flow = flow_.name;
  const bool forward = d == Direction::kForward;
  link.sourceId = forward ? item.id : otherId;
  link.sinkId = forward ? otherId : item.id;
  link.base = item.newBase;
  const std::int64_t now = clock_.nowMs();
  const std::int64_t readerMs = item.modifiedAtMs > 0 ? item.modifiedAtMs : now;
  const std::int64_t previousSource = item.link ? item.link->sourceModifiedAtMs : 0;
  const std::int64_t previousSink = item.link ? item.link->sinkModifiedAtMs : 0;
  // Each side's time is the last change of that side this flow read (not a fetched state).
  link.sourceModifiedAtMs = forward ? readerMs : previousSource;
  link.sinkModifiedAtMs = forward ? previousSink : readerMs;
  link.updatedAtMs = now;
  return link;
}

// ---- Dead letters -------------------------------------------------------------------------------

Result<RetrySummary> FlowRunner::Impl::retryMatching(const DeadLetterFilter& filter, bool dueOnly,
                                                     std::optional<std::int64_t> runId) {
  RetrySummary total;
  // Within a run the index is current (loaded at its start, kept up to date since).
  if (!runId) {
    if (auto s = loadPendingLetters(); !s) return s.takeError();
  }
  DeadLetterFilter page = filter;
  page.flow = flow_.name;
  page.limit = kDeadLetterPage;
  const std::int64_t now = clock_.nowMs();
  while (true) {
    auto letters = store_.deadLetters(page);
    if (!letters) return letters.takeError();
    const bool last = letters->size() < page.limit;
    if (!letters->empty()) page.afterId = letters->back().id;
    std::vector<DeadLetter> chosen;
    for (auto& letter : *letters) {
      if (letter.status != DeadLetterStatus::kPending &&
          letter.status != DeadLetterStatus::kRetrying) {
        continue;
      }
      if (dueOnly &&
          (!letter.retriable || letter.nextRetryAtMs <= 0 || letter.nextRetryAtMs > now)) {
        continue;
      }
      chosen.push_back(std::move(letter));
    }
    if (!chosen.empty()) {
      auto done = retry(std::move(chosen), runId);
      if (!done) return done.takeError();
      total.attempted += done->attempted;
      total.resolved += done->resolved;
      total.superseded += done->superseded;
      total.failed += done->failed;
      addCounts(total.counts, done->counts);
    }
    if (last) break;
  }
  return total;
}

Result<RetrySummary> FlowRunner::Impl::retry(std::vector<DeadLetter> letters,
                                             std::optional<std::int64_t> runId) {
  RetrySummary summary;
  for (Direction d : {Direction::kForward, Direction::kReverse}) {
    std::vector<const DeadLetter*> mine;
    for (const auto& l : letters) {
      if (l.direction == d) mine.push_back(&l);
    }
    if (mine.empty()) continue;
    if (d == Direction::kReverse && !twoWay()) continue;
    BatchCommit moot;
    moot.flow = flow_.name;
    std::vector<Item> items;
    std::unordered_set<std::string> seen;
    for (const auto* l : mine) {
      ++summary.attempted;
      // Only a record's newest pending letter carries its latest state.
      auto it = pendingLetters_.find(recordKey(d, l->recordId));
      const bool newest = it != pendingLetters_.end() && it->second.id == l->id;
      if (!newest || !seen.insert(l->recordId).second) {
        DeadLetter done = *l;
        done.status = DeadLetterStatus::kResolved;
        done.nextRetryAtMs = 0;
        done.updatedAtMs = clock_.nowMs();
        moot.updatedDeadLetters.push_back(std::move(done));
        ++summary.superseded;
        continue;
      }
      Item item;
      item.id = l->recordId;
      item.isDelete = l->payload.contains(kDeletedMarker);
      if (!item.isDelete) item.raw = l->payload;
      if (const sdk::Value* at = item.raw.find(kModifiedMarker); at != nullptr && at->isInteger()) {
        item.modifiedAtMs = at->asInteger();
        item.raw.erase(kModifiedMarker);
      }
      item.deadLetter = l;
      items.push_back(std::move(item));
    }
    if (!moot.updatedDeadLetters.empty()) {
      if (auto s = store_.commitBatch(moot); !s) return s.takeError();
    }
    if (items.empty()) continue;
    auto counts = processBatch(d, items, std::nullopt, runId, 0);
    if (!counts) return counts.takeError();
    addCounts(summary.counts, *counts);
    for (const auto& item : items) {
      if (item.fate == Fate::kRejected) {
        ++summary.failed;
      } else {
        ++summary.resolved;
      }
    }
  }
  return summary;
}

// ---- Conflicts ----------------------------------------------------------------------------------

Status FlowRunner::Impl::resolveConflict(std::int64_t id, const std::string& resolution) {
  auto found = store_.conflict(id);
  if (!found) return found.takeError();
  if (!found->has_value() || (*found)->flow != flow_.name) {
    return sdk::Error::make(sdk::ErrorCode::kNotFound,
                            "flow " + flow_.name + " has no conflict " + std::to_string(id));
  }
  const Conflict c = std::move(**found);
  if (c.status != ConflictStatus::kOpen) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            "conflict " + std::to_string(id) + " is already resolved");
  }
  const auto valueOf = [](const FieldValues& values, const std::string& f) {
    const sdk::Value* v = values.find(f);
    return v != nullptr ? *v : sdk::Value();
  };

  if (c.kind == ConflictKind::kFieldConflict) {
    if (resolution != "source" && resolution != "sink") {
      return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                              "a field conflict is resolved with \"source\" or \"sink\"");
    }
    auto links = store_.linksBySource(flow_.name, {c.sourceId});
    if (!links) return links.takeError();
    if (links->empty()) {
      return sdk::Error::make(
          sdk::ErrorCode::kNotFound,
          "the records of conflict " + std::to_string(id) + " are no longer linked");
    }
    // Unpark the fields with the losing side's value as their base: the next merge then sees
    // only the chosen side as changed and carries its value across.
    Link link = links->front();
    const bool sourceWins = resolution == "source";
    std::vector<std::string> parked = parkedFields(link.base);
    for (const auto& f : c.fields) {
      std::erase(parked, f);
      link.base.set(f, valueOf(sourceWins ? c.sinkValues : c.sourceValues, f));
    }
    setParkedFields(link.base, parked);
    link.updatedAtMs = clock_.nowMs();
    BatchCommit commit;
    commit.flow = flow_.name;
    commit.upsertLinks.push_back(link);
    if (auto s = store_.commitBatch(commit); !s) return s;
    if (auto s = store_.resolveConflict(id, resolution); !s) return s;
    // Sync the record now rather than at its next change.
    const Direction d = sourceWins ? Direction::kForward : Direction::kReverse;
    Endpoint& from = reader(d);
    if (from.sink == nullptr) return {};
    const std::string readerId = sourceWins ? link.sourceId : link.sinkId;
    std::vector<sdk::LookupQuery> query(1);
    query[0].keys.emplace_back(from.idField, readerId);
    auto current =
        withRetries("lookup", [&] { return from.sink->lookup(from.entity, query, readFields(d)); });
    if (!current) return current.takeError();
    if (current->empty() || current->front().empty()) return {};  // gone: nothing to carry
    std::vector<Item> items(1);
    items[0].id = readerId;
    items[0].raw = std::move(current->front().front().fields);
    items[0].modifiedAtMs = current->front().front().modifiedAtMs;
    auto counts = processBatch(d, items, std::nullopt, std::nullopt, 0);
    if (!counts) return counts.takeError();
    return {};
  }

  // An ambiguous match: the operator names the candidate to link (and sync) it to.
  constexpr std::string_view kLinkPrefix = "link:";
  const std::string chosen =
      resolution.starts_with(kLinkPrefix) ? resolution.substr(kLinkPrefix.size()) : "";
  if (chosen.empty() ||
      std::find(c.candidates.begin(), c.candidates.end(), chosen) == c.candidates.end()) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            "an ambiguous match is resolved with \"link:<candidate id>\", one of " +
                                std::to_string(c.candidates.size()) + " candidates");
  }
  const Direction d = c.sourceId.empty() ? Direction::kReverse : Direction::kForward;
  const bool forward = d == Direction::kForward;
  auto taken = forward ? store_.linksBySink(flow_.name, {chosen})
                       : store_.linksBySource(flow_.name, {chosen});
  if (!taken) return taken.takeError();
  if (!taken->empty()) {
    return sdk::Error::make(sdk::ErrorCode::kConflict,
                            chosen + " is already linked to another record");
  }
  Item item;
  item.id = forward ? c.sourceId : c.sinkId;
  item.values = forward ? c.sourceValues : c.sinkValues;
  item.mapped = unproject(item.values);
  item.otherId = chosen;
  planUpdate(d, item, item.values, mapping().sinkFields(), FieldValues{});
  if (item.fate == Fate::kRejected) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, item.reason);
  }
  Endpoint& to = other(d);
  const std::vector<sdk::WriteOp> ops{item.op};
  auto written = withRetries("write", [&] { return to.sink->write(to.entity, ops); });
  if (!written) return written.takeError();
  if (written->size() != 1) {
    return sdk::Error::make(sdk::ErrorCode::kMalformedResponse, "sink returned no result");
  }
  if (written->front().outcome == sdk::WriteResult::Outcome::kRejected) {
    const auto& e = written->front().error;
    return e ? *e : sdk::Error::make(sdk::ErrorCode::kInternal, "rejected without a reason");
  }
  BatchCommit commit;
  commit.flow = flow_.name;
  commit.upsertLinks.push_back(makeLink(d, item, chosen));
  if (auto s = store_.commitBatch(commit); !s) return s;
  openAmbiguous_.erase(recordKey(d, item.id));
  return store_.resolveConflict(id, resolution);
}

// ---- Public face --------------------------------------------------------------------------------

FlowRunner::FlowRunner(FlowDef flow, Endpoint source, Endpoint sink, StateStore& store,
                       sdk::Clock& clock, sdk::Logger* logger, std::string node)
    : impl_(std::make_unique<Impl>(std::move(flow), std::move(source), std::move(sink), store,
                                   clock, logger, std::move(node))) {}

FlowRunner::~FlowRunner() = default;

const FlowDef& FlowRunner::flow() const noexcept { return impl_->flow(); }

void FlowRunner::setSuccessorRouter(SuccessorRouter router) { impl_->setRouter(std::move(router)); }

RunSummary FlowRunner::run(const RunOptions& options) { return impl_->run(options); }

Status FlowRunner::resolveConflict(std::int64_t id, const std::string& resolution) {
  return impl_->resolveConflict(id, resolution);
}

Result<RetrySummary> FlowRunner::retryDeadLetters(const DeadLetterFilter& filter) {
  return impl_->retryMatching(filter, false, std::nullopt);
}

Result<RetrySummary> FlowRunner::retryDeadLetter(std::int64_t id) { return impl_->retryOne(id); }

}  // namespace ferry::host::engine
