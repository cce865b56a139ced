// Cursor <-> compact JSON ("v":1). Decoding validates every field's type.
#include "ferry/plugins/salesforce/cursor.hpp"

#include <algorithm>

#include "ferry/sdk/value.hpp"

namespace ferry::plugins::salesforce {

namespace {

constexpr std::int64_t kVersion = 1;

sdk::Error bad(const std::string& why) {
  return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                          "not a Salesforce read cursor (" + why + ")");
}

sdk::Object positionJson(const Position& p) { return {{"t", p.timestampMs}, {"id", p.id}}; }

// Reads optional typed members; records the first problem in `error`.
struct Reader {
  const sdk::Object& o;
  std::string& error;
  std::int64_t integer(const char* key) {
    const auto* v = o.find(key);
    if (v == nullptr) return 0;
    if (!v->isInteger()) error = std::string(key) + " is not an integer";
    return v->isInteger() ? v->asInteger() : 0;
  }
  std::string text(const char* key) {
    const auto* v = o.find(key);
    if (v == nullptr) return {};
    if (!v->isString()) error = std::string(key) + " is not a string";
    return v->isString() ? v->asString() : std::string();
  }
  bool flag(const char* key) {
    const auto* v = o.find(key);
    if (v == nullptr) return false;
    if (!v->isBool()) error = std::string(key) + " is not a boolean";
    return v->isBool() && v->asBool();
  }
  const sdk::Object* object(const char* key) {
    const auto* v = o.find(key);
    if (v == nullptr) return nullptr;
    if (!v->isObject()) error = std::string(key) + " is not an object";
    return v->isObject() ? &v->asObject() : nullptr;
  }
  Position position(const char* key) {
    Position p;
    if (const auto* po = object(key)) {
      Reader r{*po, error};
      p.timestampMs = r.integer("t");
      p.id = r.text("id");
    }
    return p;
  }
};

}  // namespace

std::optional<std::uint64_t> PassState::remaining() const noexcept {
  if (!queryTotal) return std::nullopt;
  // Rows can outnumber the total (a re-read second, rows added while paging): then "none left"
  // is the honest estimate until the pass says otherwise.
  return static_cast<std::uint64_t>(std::max<std::int64_t>(*queryTotal - consumed, 0));
}

std::string encodeCursor(const Cursor& c) {
  sdk::Object o{{"v", kVersion}};
  if (!c.mark.empty()) o.set("mark", positionJson(c.mark));
  if (c.visibleBeforeMs != 0) o.set("vb", c.visibleBeforeMs);
  if (c.pass) {
    const auto& p = *c.pass;
    sdk::Object po{{"start", p.startMs}, {"low", p.lowerBoundMs}};
    if (!p.nextRecordsUrl.empty()) po.set("next", p.nextRecordsUrl);
    if (!p.resumeAfter.empty()) po.set("after", positionJson(p.resumeAfter));
    if (p.bulkRefused) po.set("noBulk", true);
    if (p.queryTotal) {
      po.set("total", *p.queryTotal);
      po.set("used", p.consumed);
    }
    if (p.bulk) {
      const auto& b = *p.bulk;
      sdk::Object bo{{"job", b.jobId}, {"skip", b.skip}, {"complete", b.complete}};
      if (!b.locator.empty()) bo.set("locator", b.locator);
      if (!b.maxSeen.empty()) bo.set("max", positionJson(b.maxSeen));
      po.set("bulk", std::move(bo));
    }
    o.set("pass", std::move(po));
  }
  return sdk::Value(std::move(o)).toJson();
}

sdk::Result<Cursor> decodeCursor(std::string_view text) {
  Cursor c;
  if (text.empty()) return c;
  std::string parseError;
  const auto json = sdk::Value::fromJson(text, &parseError);
  if (!json || !json->isObject()) return bad("not a JSON object");
  std::string error;
  Reader r{json->asObject(), error};
  if (r.integer("v") != kVersion) return bad("unknown version");
  c.mark = r.position("mark");
  c.visibleBeforeMs = r.integer("vb");
  if (const auto* po = r.object("pass")) {
    Reader pr{*po, error};
    PassState p;
    p.startMs = pr.integer("start");
    p.lowerBoundMs = pr.integer("low");
    p.nextRecordsUrl = pr.text("next");
    p.resumeAfter = pr.position("after");
    p.bulkRefused = pr.flag("noBulk");
    if (po->find("total") != nullptr) {
      p.queryTotal = pr.integer("total");
      p.consumed = pr.integer("used");
      if (*p.queryTotal < 0 || p.consumed < 0) return bad("query progress is negative");
    }
    if (!p.nextRecordsUrl.empty() && p.nextRecordsUrl.rfind("/services/data/", 0) != 0) {
      return bad("next page is not a data API path");
    }
    if (const auto* bo = pr.object("bulk")) {
      Reader br{*bo, error};
      BulkState b;
      b.jobId = br.text("job");
      b.locator = br.text("locator");
      b.skip = br.integer("skip");
      b.complete = br.flag("complete");
      b.maxSeen = br.position("max");
      if (b.jobId.empty() || b.skip < 0) return bad("bulk job state is incomplete");
      p.bulk = std::move(b);
    }
    c.pass = std::move(p);
  }
  if (!error.empty()) return bad(error);
  return c;
}

}  // namespace ferry::plugins::salesforce
