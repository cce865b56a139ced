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
    p.segments.push_back(path.substr(start, dot == std::string::npos ? std::string::npos : dot - start));
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
  return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                          label + ": value " + value.preview() + " rejected by " + step + ": " + why);
}

class Engine final : public CompiledMapping {
 public:
  explicit Engine(MappingPlan plan) : plan_(std::move(plan)) {
    // Entries in sink-key order, so building the output object only appends.
    std::stable_sort(plan_.entries.begin(), plan_.entries.end(),
                     [](const Entry& a, const Entry& b) { return a.sink < b.sink; });
    for (auto& e : plan_.entries) {
      e.sinkPath = FieldPath::of(e.sink);
      addUnique(sourceFields_, e.source.key);
      for (const auto& w : e.concatWith) addUnique(sourceFields_, w.key);
      addUnique(sinkFields_, e.sink);
    }
    for (const auto& [k, v] : plan_.sinkConstants) addUnique(sinkFields_, k);
    for (const auto& [k, v] : plan_.sinkDefaults) addUnique(sinkFields_, k);
    std::sort(sourceFields_.begin(), sourceFields_.end());
    std::sort(sinkFields_.begin(), sinkFields_.end());
  }

  sdk::Result<Object> forward(const Object& record) const override {
    Object out;
    out.reserve(sinkFields_.size());
    for (const Entry& e : plan_.entries) {
      Value v = read(e, record);
      for (const auto& step : e.chain) {
        if (step.forward == nullptr || (v.isNull() && !step.forward->wantsNull())) continue;
        std::string why;
        if (!step.forward->apply(v, why)) return reject(e.label, step.name, v, why);
      }
      if (v.isNull() && e.defaultValue) v = *e.defaultValue;
      if (e.wrapList && !v.isNull() && !v.isList()) v = sdk::List{std::move(v)};
      out.set(e.sink, std::move(v));
    }
    for (const auto& [k, v] : plan_.sinkConstants) out.set(k, v);
    for (const auto& [k, v] : plan_.sinkDefaults) {
      Value* current = out.find(k);
      if (current == nullptr || current->isNull()) out.set(k, v);
    }
    return out;
  }

  sdk::Result<Object> reverse(const Object& sinkRecord) const override {
    if (!plan_.invertible) {
      return sdk::Error::make(sdk::ErrorCode::kUnsupported,
                              "this map cannot be applied in reverse (one-way)");
    }
    Object out;
    for (const Entry& e : plan_.entries) {
      if (!e.reverse) continue;
      const Value* found = e.sinkPath.find(sinkRecord);
      Value v = found != nullptr ? *found : Value{};
      if (e.wrapList && v.isList()) {
        // A list written from one scalar reads back as its first item.
        Value first = v.asList().empty() ? Value{} : v.asList().front();
        v = std::move(first);
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
          if (it->inverse == nullptr || v.isNull()) continue;  // normalising steps invert to identity
          std::string why;
          if (!it->inverse->apply(v, why)) {
            return reject(e.label + " (reverse)", it->name, v, why);
          }
        }
      }
      if (e.concatWith.empty()) {
        out.set(e.source.key, std::move(v));
        continue;
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
      } else if (!v.isNull()) {
        return reject(e.label + " (reverse)", "concat", v, "expected text");
      }
      out.set(e.source.key, std::move(parts[0]));
      for (std::size_t i = 0; i < e.concatWith.size(); ++i) {
        out.set(e.concatWith[i].key, std::move(parts[i + 1]));
      }
    }
    for (const auto& [k, v] : plan_.sourceConstants) out.set(k, v);
    for (const auto& [k, v] : plan_.sourceDefaults) {
      Value* current = out.find(k);
      if (current == nullptr || current->isNull()) out.set(k, v);
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

  static Value read(const Entry& e, const Object& record) {
    const Value* v = e.source.find(record);
    if (e.concatWith.empty()) return v != nullptr ? *v : Value{};
    // concat: the non-empty texts joined by the separator; null when all are empty.
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
    append(v);
    for (const auto& w : e.concatWith) append(w.find(record));
    return any ? Value(std::move(joined)) : Value{};
  }

  MappingPlan plan_;
  std::vector<std::string> sourceFields_;
  std::vector<std::string> sinkFields_;
};

}  // namespace

std::shared_ptr<const CompiledMapping> makeMapping(MappingPlan plan) {
  return std::make_shared<const Engine>(std::move(plan));
}

}  // namespace ferry::host::mapping
