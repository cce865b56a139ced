#include "ferry/plugins/people/cursor.hpp"

#include <algorithm>
#include <vector>

#include "ferry/sdk/value.hpp"

namespace ferry::plugins::people {

std::string ReadCursor::encode() const {
  sdk::Object seenObject;
  for (const auto& [id, entry] : seen) {
    // The hash travels as a signed integer (JSON numbers here are int64).
    seenObject.set(id, sdk::List{entry.modifiedAtMs, static_cast<std::int64_t>(entry.hash)});
  }
  sdk::Object o{{"v", 1}, {"w", watermarkMs}, {"seen", std::move(seenObject)}};
  if (!reconcileToken.empty()) {
    o.set("rk", reconcileToken);
    o.set("rg", reconcileGeneration);
    o.set("ra", reconciledAtMs);
  }
  if (scanPage > 0) {
    o.set("scanPage", scanPage);
    o.set("scanTop", scanTopMs);
  }
  return sdk::Value(std::move(o)).toJson();
}

sdk::Result<ReadCursor> ReadCursor::decode(std::string_view text) {
  ReadCursor cursor;
  if (text.empty()) return cursor;
  const auto bad = [&](const std::string& why) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument, "people cursor is malformed: " + why);
  };
  std::string error;
  const auto json = sdk::Value::fromJson(text, &error);
  if (!json) return bad(error);
  if (!json->isObject()) return bad("not a JSON object");
  const auto& o = json->asObject();
  const auto* version = o.find("v");
  if (version == nullptr || !version->isInteger() || version->asInteger() != 1) {
    return bad("unknown version");
  }
  const auto* w = o.find("w");
  if (w == nullptr || !w->isInteger()) return bad("\"w\" must be an integer");
  cursor.watermarkMs = w->asInteger();
  if (const auto* s = o.find("seen")) {
    if (!s->isObject()) return bad("\"seen\" must be an object");
    for (const auto& [id, entry] : s->asObject()) {
      if (!entry.isList() || entry.asList().size() != 2 || !entry.asList()[0].isInteger() ||
          !entry.asList()[1].isInteger()) {
        return bad("\"seen\" values must be [modifiedAt, hash] integer pairs");
      }
      cursor.seen.emplace(id, Seen{entry.asList()[0].asInteger(),
                                   static_cast<std::uint64_t>(entry.asList()[1].asInteger())});
    }
  }
  if (const auto* token = o.find("rk")) {
    const auto* generation = o.find("rg");
    const auto* at = o.find("ra");
    if (!token->isString() || token->asString().empty() || generation == nullptr ||
        !generation->isInteger() || at == nullptr || !at->isInteger()) {
      return bad("reconciliation state must be a token with integer \"rg\" and \"ra\"");
    }
    cursor.reconcileToken = token->asString();
    cursor.reconcileGeneration = generation->asInteger();
    cursor.reconciledAtMs = at->asInteger();
  }
  if (const auto* page = o.find("scanPage")) {
    const auto* top = o.find("scanTop");
    if (!page->isInteger() || page->asInteger() < 1 || top == nullptr || !top->isInteger()) {
      return bad("scan position must be a page >= 1 with an integer \"scanTop\"");
    }
    cursor.scanPage = static_cast<int>(page->asInteger());
    cursor.scanTopMs = top->asInteger();
  }
  return cursor;
}

std::string ReadCursor::reconcileKey(const std::string& entity, std::int64_t generation) const {
  return "reconcile/" + entity + "/" + reconcileToken + "/" + std::to_string(generation);
}

bool ReadCursor::alreadySeen(const std::string& id, std::uint64_t hash) const {
  const auto it = seen.find(id);
  return it != seen.end() && it->second.hash == hash;
}

void ReadCursor::remember(const std::string& id, std::int64_t modifiedAtMs, std::uint64_t hash) {
  seen[id] = Seen{modifiedAtMs, hash};
}

void ReadCursor::prune(std::int64_t overlapMs) {
  const std::int64_t floor = watermarkMs - overlapMs;
  std::erase_if(seen, [&](const auto& entry) { return entry.second.modifiedAtMs < floor; });
  if (seen.size() <= kMaxSeen) return;
  // Keep the newest: forgetting an entry only means its record may be emitted once more.
  std::vector<std::int64_t> stamps;
  stamps.reserve(seen.size());
  for (const auto& [id, entry] : seen) stamps.push_back(entry.modifiedAtMs);
  std::nth_element(stamps.begin(), stamps.end() - kMaxSeen, stamps.end());
  const std::int64_t cut = *(stamps.end() - kMaxSeen);
  std::erase_if(seen, [&](const auto& entry) { return entry.second.modifiedAtMs < cut; });
}

}  // namespace ferry::plugins::people
