// The read cursor: a modifiedAt watermark plus what was already emitted inside the overlap
// window, and the position of a scan that spans several read() calls.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "ferry/sdk/result.hpp"

namespace ferry::plugins::people {

struct ReadCursor {
  // Everything modified before this (UTC ms) has been emitted; polls read down to
  // watermarkMs - overlap.
  std::int64_t watermarkMs = 0;
  // id -> (modifiedAt, content hash) of records emitted inside the overlap window: a re-read of
  // the same content is skipped, anything else is emitted again (modifiedAt has one-second
  // precision, so a later edit can carry the same stamp). Bounded by kMaxSeen.
  struct Seen {
    std::int64_t modifiedAtMs = 0;
    std::uint64_t hash = 0;
  };
  std::map<std::string, Seen> seen;
  // A scan in progress (descending modifiedAt, 1-based page); 0 = none.
  int scanPage = 0;
  // Highest modifiedAt met by the scan in progress; becomes the watermark when it ends.
  std::int64_t scanTopMs = 0;
  // Id reconciliation of this cursor's lineage: the id set of the last listing lives in the
  // connection's key-value state under reconcileKey(); the generation advances with the cursor,
  // so a batch whose commit was lost replays its deletions from the previous set.
  std::string reconcileToken;  // random, made with the cursor; empty until the first listing
  std::int64_t reconcileGeneration = 0;
  std::int64_t reconciledAtMs = 0;  // when the last listing ran (host clock)

  std::string reconcileKey(const std::string& entity, std::int64_t generation) const;

  static constexpr std::size_t kMaxSeen = 20'000;

  std::string encode() const;
  // Empty text = the initial cursor. Malformed text is kInvalidArgument.
  static sdk::Result<ReadCursor> decode(std::string_view text);

  // Whether this version of the record was already emitted.
  bool alreadySeen(const std::string& id, std::uint64_t hash) const;
  // Records an emitted version.
  void remember(const std::string& id, std::int64_t modifiedAtMs, std::uint64_t hash);
  // Drops entries older than the window below the watermark, then the oldest beyond kMaxSeen.
  void prune(std::int64_t overlapMs);
};

}  // namespace ferry::plugins::people
