// The read cursor: where incremental reading of one sObject stands, as an opaque string the
// host persists after each committed batch.
//
// Reading happens in passes. A pass is one query `timestamp >= lower bound ORDER BY timestamp,
// Id` followed through its nextRecordsUrl pages (or, when the query matches more rows than the
// bulk threshold, one Bulk API 2.0 query job). Between passes the cursor keeps:
//   mark          the largest (timestamp, Id) emitted so far;
//   visibleBefore rows stamped before this instant were all visible to the last completed pass,
//                 so those at or below `mark` were certainly emitted and are skipped.
// The next pass starts at min(mark, visibleBefore) where visibleBefore = passStart - overlap:
// a row that commits late (visible only after its SystemModstamp) is re-read, while an idle
// connection stops re-emitting rows once they are older than the overlap window.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "ferry/sdk/result.hpp"

namespace ferry::plugins::salesforce {

struct Position {
  std::int64_t timestampMs = 0;
  std::string id;
  bool empty() const noexcept { return id.empty(); }
  // Ordered like ORDER BY timestamp, Id (ids compare case-sensitively, as SOQL orders them).
  bool operator<(const Position& o) const noexcept {
    return timestampMs != o.timestampMs ? timestampMs < o.timestampMs : id < o.id;
  }
  bool operator==(const Position& o) const noexcept = default;
};

struct BulkState {
  std::string jobId;
  std::string locator;    // locator of the chunk being read; empty = first chunk
  std::int64_t skip = 0;  // rows of that chunk already emitted
  bool complete = false;  // the job reached JobComplete
  Position maxSeen;       // largest position among emitted rows (bulk rows are unordered)
};

struct PassState {
  std::int64_t startMs = 0;  // when the pass's query first ran (server time when known)
  std::int64_t lowerBoundMs = 0;
  std::string nextRecordsUrl;  // empty = the query must be (re)issued from `resumeAfter`
  Position resumeAfter;        // last row emitted by this pass
  bool bulkRefused = false;    // a bulk job failed in this pass: stay on REST paging
  std::optional<BulkState> bulk;
  // Progress estimate: totalSize of the query as last issued (nullopt before it ran, or in a
  // cursor written before these were kept) and the rows of that query consumed since, skipped
  // ones included. Re-issuing the query resets both; a Bulk job continuing the pass keeps
  // counting against the REST query's total.
  std::optional<std::int64_t> queryTotal;
  std::int64_t consumed = 0;

  // totalSize minus rows consumed; nullopt when the total is unknown.
  std::optional<std::uint64_t> remaining() const noexcept;
};

struct Cursor {
  Position mark;
  std::int64_t visibleBeforeMs = 0;
  std::optional<PassState> pass;  // set while a pass is in progress

  bool initial() const noexcept { return mark.empty() && !pass; }
};

std::string encodeCursor(const Cursor& cursor);
// Empty text = initial cursor. Anything unparsable is kInvalidArgument (never a crash).
sdk::Result<Cursor> decodeCursor(std::string_view text);

}  // namespace ferry::plugins::salesforce
