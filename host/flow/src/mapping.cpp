#include "mapping.hpp"

#include <algorithm>

namespace ferry::host::mapping {

using sdk::Object;
using sdk::Value;

FieldPath FieldPath::of(const std::string& path) {
  FieldPath p;
  p.key = path;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = path.find('.', start);
    p.segments.push_back(
        path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return p;
}

const Value* FieldPath::find(const Object& record) const noexcept {
  if (const Value* v = record.find(key)) return v;
  if (segments.size() < 2) return nullptr;
  const Object* current = &record;
  for (std::size_t i = 0; i < segments.size(); ++i) {
    const Value* v = current->find(segments[i]);
    if (v == nullptr || i + 1 == segments.size()) return v;
    if (!v->isObject()) return nullptr;
    current = &v->asObject();
  }
  return nullptr;
}

namespace {

sdk::Error reject(const std::string& label, const std::string& step, const Value& value,
                  const std::string& why) {
  return sdk::Error::make(
      sdk::ErrorCode::kInvalidArgument,
      label + ": value " + value.preview() + " rejected by " + step + ": " + why);
}

// Orders keys as sdk::Object does (bytewise), testing the first byte inline: most field names
// differ there, which saves a library call per comparison on the per-record path.
inline bool keyLess(const std::string& a, const std::string& b) noexcept {
  if (!a.empty() && !b.empty() && a[0] != b[0]) {
    return static_cast<unsigned char>(a[0]) < static_cast<unsigned char>(b[0]);
  }
  return a < b;
}

// An output record with every key in place, sorted; values are filled in by index, so building
// a record needs no key search. Constants are already in it.
struct Skeleton {
  Object record;
  std::vector<std::string> keys;  // the same keys, for index lookups at compile time

  void build(std::vector<std::pair<std::string, Value>> entries) {
    for (auto& [k, v] : entries) record.set(std::move(k), std::move(v));
    for (const auto& [k, v] : record) keys.push_back(k);
  }
  std::size_t indexOf(const std::string& key) const {
    return static_cast<std::size_t>(std::lower_bound(keys.begin(), keys.end(), key) - keys.begin());
  }
};

class Engine final : public CompiledMapping {
 public:
  explicit Engine(MappingPlan plan) : plan_(std::move(plan)) {
    std::vector<std::pair<std::string, Value>> sinkKeys;
    std::vector<std::pair<std::string, Value>> sourceKeys;
    for (auto& e : plan_.entries) {
      e.sinkPath = FieldPath::of(e.sink);
      addUnique(sourceFields_, e.source.key);
      for (const auto& w : e.concatWith) addUnique(sourceFields_, w.key);
      addUnique(sinkFields_, e.sink);
      sinkKeys.emplace_back(e.sink, Value{});
      if (e.reverse) {
        sourceKeys.emplace_back(e.source.key, Value{});
        for (const auto& w : e.concatWith) sourceKeys.emplace_back(w.key, Value{});
      }
    }
    for (const auto& [k, v] : plan_.sinkDefaults) {
      addUnique(sinkFields_, k);
      sinkKeys.emplace_back(k, Value{});
    }
    for (const auto& [k, v] : plan_.sinkConstants) {
      addUnique(sinkFields_, k);
      sinkKeys.emplace_back(k, v);  // set last: a constant wins over a null slot
    }
    for (const auto& [k, v] : plan_.sourceDefaults) sourceKeys.emplace_back(k, Value{});
    for (const auto& [k, v] : plan_.sourceConstants) sourceKeys.emplace_back(k, v);
    std::sort(sourceFields_.begin(), sourceFields_.end());
    std::sort(sinkFields_.begin(), sinkFields_.end());
    sink_.build(std::move(sinkKeys));
    source_.build(std::move(sourceKeys));

    const std::size_t n = plan_.entries.size();
    for (std::size_t i = 0; i < n; ++i) {
      const Entry& e = plan_.entries[i];
      sinkSlot_.push_back(sink_.indexOf(e.sink));
      sourceSlot_.push_back(source_.indexOf(e.source.key));
      std::vector<std::size_t> concat;
      for (const auto& w : e.concatWith) concat.push_back(source_.indexOf(w.key));
      concatSlots_.push_back(std::move(concat));
      bySource_.push_back(i);
      bySink_.push_back(i);
    }
    // Records arrive sorted by key: visiting entries in key order finds every field in one pass.
    std::stable_sort(bySource_.begin(), bySource_.end(), [this](std::size_t a, std::size_t b) {
      return plan_.entries[a].source.key < plan_.entries[b].source.key;
    });
    std::stable_sort(bySink_.begin(), bySink_.end(), [this](std::size_t a, std::size_t b) {
      return plan_.entries[a].sink < plan_.entries[b].sink;
    });
    for (const auto& [k, v] : plan_.sinkDefaults) sinkDefaults_.emplace_back(sink_.indexOf(k), v);
    for (const auto& [k, v] : plan_.sourceDefaults) {
      sourceDefaults_.emplace_back(source_.indexOf(k), v);
    }
    for (const auto& [k, v] : plan_.sourceConstants) {
      sourceConstants_.emplace_back(source_.indexOf(k), v);
    }
  }

  sdk::Result<Object> forward(const Object& record) const override {
    Object out = sink_.record;
    const auto slots = out.begin();
    auto cursor = record.begin();
    for (const std::size_t index : bySource_) {
      const Entry& e = plan_.entries[index];
      while (cursor != record.end() && keyLess(cursor->first, e.source.key)) ++cursor;
      const Value* found = cursor != record.end() && cursor->first == e.source.key ? &cursor->second
                           : e.source.segments.size() > 1 ? e.source.find(record)
                                                          : nullptr;
      Value& v = (slots + static_cast<std::ptrdiff_t>(sinkSlot_[index]))->second;
      if (!e.concatWith.empty()) {
        v = concat(e, found, record);
      } else if (found != nullptr) {
        v = *found;
      }
      for (const auto& step : e.chain) {
        if (step.forward == nullptr || (v.isNull() && !step.forward->wantsNull())) continue;
        std::string why;
        if (!step.forward->apply(v, why)) return reject(e.label, step.name, v, why);
      }
      if (v.isNull() && e.defaultValue) v = *e.defaultValue;
      if (e.wrapList && !v.isNull() && !v.isList()) {
        sdk::List one;
        one.push_back(std::move(v));
        v = std::move(one);
      }
    }
    for (const auto& [slot, value] : sinkDefaults_) {
      Value& v = (slots + static_cast<std::ptrdiff_t>(slot))->second;
      if (v.isNull()) v = value;
    }
    return out;
  }

  sdk::Result<Object> reverse(const Object& sinkRecord) const override {
    if (!plan_.invertible) {
      return sdk::Error::make(sdk::ErrorCode::kUnsupported,
                              "this map cannot be applied in reverse (one-way)");
    }
    Object out = source_.record;
    const auto slots = out.begin();
    auto cursor = sinkRecord.begin();
    for (const std::size_t index : bySink_) {
      const Entry& e = plan_.entries[index];
      if (!e.reverse) continue;
      while (cursor != sinkRecord.end() && keyLess(cursor->first, e.sink)) ++cursor;
      const Value* found = cursor != sinkRecord.end() && cursor->first == e.sink
                               ? &cursor->second
                               : e.sinkPath.find(sinkRecord);
      Value v;
      if (found != nullptr && e.wrapList && found->isList()) {
        // A list written from one scalar reads back as its first item.
        if (!found->asList().empty()) v = found->asList().front();
      } else if (found != nullptr) {
        v = *found;
      }
      if (e.hasExplicitReverse) {
        for (const auto& step : e.explicitReverse) {
          if (step.forward == nullptr || (v.isNull() && !step.forward->wantsNull())) continue;
          std::string why;
          if (!step.forward->apply(v, why)) {
            return reject(e.label + " (reverse)", step.name, v, why);
          }
        }
      } else {
        for (auto it = e.chain.rbegin(); it != e.chain.rend(); ++it) {
          if (it->inverse == nullptr || v.isNull())
            continue;  // normalising steps invert to identity
          std::string why;
          if (!it->inverse->apply(v, why)) {
            return reject(e.label + " (reverse)", it->name, v, why);
          }
        }
      }
      const auto slot = [&](std::size_t i) -> Value& {
        return (slots + static_cast<std::ptrdiff_t>(i))->second;
      };
      if (e.concatWith.empty()) {
        slot(sourceSlot_[index]) = std::move(v);
        continue;
      }
      if (!v.isNull() && !v.isString()) {
        return reject(e.label + " (reverse)", "concat", v, "expected text");
      }
      // concat inverts by splitting at the separator; the last field takes the remainder.
      std::vector<Value> parts(e.concatWith.size() + 1);
      if (v.isString()) {
        std::string rest = v.asString();
        for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
          const std::size_t at = rest.find(e.concatSeparator);
          if (at == std::string::npos) break;
          parts[i] = rest.substr(0, at);
          rest.erase(0, at + e.concatSeparator.size());
        }
        // With fewer separators than fields, the text fills the first empty slot.
        for (auto& p : parts) {
          if (p.isNull()) {
            p = std::move(rest);
            break;
          }
        }
      }
      slot(sourceSlot_[index]) = std::move(parts[0]);
      for (std::size_t i = 0; i < e.concatWith.size(); ++i) {
        slot(concatSlots_[index][i]) = std::move(parts[i + 1]);
      }
    }
    for (const auto& [slot, value] : sourceDefaults_) {
      Value& v = (slots + static_cast<std::ptrdiff_t>(slot))->second;
      if (v.isNull()) v = value;
    }
    // Constants are in the skeleton already; set them again in case a one-way map wrote the same
    // field (two-way flows refuse that at validation).
    for (const auto& [slot, value] : sourceConstants_) {
      (slots + static_cast<std::ptrdiff_t>(slot))->second = value;
    }
    return out;
  }

  const std::vector<std::string>& sourceFields() const override { return sourceFields_; }
  const std::vector<std::string>& sinkFields() const override { return sinkFields_; }

  std::vector<std::string> sourceFieldsFor(const std::string& sinkField) const override {
    std::vector<std::string> out;
    for (const Entry& e : plan_.entries) {
      if (e.sink != sinkField) continue;
      addUnique(out, e.source.key);
      for (const auto& w : e.concatWith) addUnique(out, w.key);
    }
    return out;
  }

  bool invertible() const override { return plan_.invertible; }

 private:
  static void addUnique(std::vector<std::string>& list, const std::string& value) {
    if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(value);
  }

  // concat: the non-empty texts joined by the separator; null when all are empty.
  static Value concat(const Entry& e, const Value* first, const Object& record) {
    std::string joined;
    bool any = false;
    auto append = [&](const Value* part) {
      if (part == nullptr || part->isNull()) return;
      const std::string text = part->isString() ? part->asString() : part->toJson();
      if (text.empty()) return;
      if (any) joined += e.concatSeparator;
      joined += text;
      any = true;
    };
    append(first);
    for (const auto& w : e.concatWith) append(w.find(record));
    return any ? Value(std::move(joined)) : Value{};
  }

  MappingPlan plan_;
  std::vector<std::string> sourceFields_;
  std::vector<std::string> sinkFields_;
  Skeleton sink_;                        // forward output
  Skeleton source_;                      // reverse output
  std::vector<std::size_t> sinkSlot_;    // per entry: its slot in sink_
  std::vector<std::size_t> sourceSlot_;  // per entry: its slot in source_ (when reversed)
  std::vector<std::vector<std::size_t>> concatSlots_;
  std::vector<std::size_t> bySource_;  // entry indices ordered by source key
  std::vector<std::size_t> bySink_;    // entry indices ordered by sink key
  std::vector<std::pair<std::size_t, Value>> sinkDefaults_;
  std::vector<std::pair<std::size_t, Value>> sourceDefaults_;
  std::vector<std::pair<std::size_t, Value>> sourceConstants_;
};

}  // namespace

std::shared_ptr<const CompiledMapping> makeMapping(MappingPlan plan) {
  return std::make_shared<const Engine>(std::move(plan));
}

}  // namespace ferry::host::mapping
