#include "ferry/host/engine/conditions.hpp"

#include <algorithm>
#include <optional>

#include "ferry/host/engine/record_space.hpp"

namespace ferry::host::engine {
namespace {

// -1, 0, 1, or nullopt when the two values have no common order.
std::optional<int> compareValues(const sdk::Value& a, const sdk::Value& b) {
  auto sign = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (a.isNumber() && b.isNumber()) {
    if (a.isInteger() && b.isInteger()) return sign(a.asInteger(), b.asInteger());
    return sign(a.asNumber(), b.asNumber());
  }
  if (a.isString() && b.isString()) return sign(a.asString(), b.asString());
  if (a.isDate() && b.isDate()) return sign(a.asDate().toDays(), b.asDate().toDays());
  if (a.isDateTime() && b.isDateTime()) return sign(a.asDateTime().epochMs, b.asDateTime().epochMs);
  if (a.isDateTime() && b.isString()) {
    if (auto t = sdk::DateTime::parseIso(b.asString()))
      return sign(a.asDateTime().epochMs, t->epochMs);
  }
  if (a.isDate() && b.isString()) {
    if (auto d = sdk::Date::parseIso(b.asString())) return sign(a.asDate().toDays(), d->toDays());
  }
  return std::nullopt;
}

bool equalValues(const sdk::Value& a, const sdk::Value& b) {
  if (a == b) return true;
  const auto c = compareValues(a, b);
  return c.has_value() && *c == 0;
}

}  // namespace

bool matchesCondition(const sdk::Object& record, const sdk::Condition& condition) {
  using Op = sdk::Condition::Op;
  static const sdk::Value kNull;
  const sdk::Value* found = fieldAt(record, condition.field);
  const sdk::Value& value = found != nullptr ? *found : kNull;
  const auto anyEqual = [&] {
    return std::any_of(condition.values.begin(), condition.values.end(),
                       [&](const sdk::Value& v) { return equalValues(value, v); });
  };
  const auto ordered = [&](auto accept) {
    if (condition.values.empty() || value.isNull()) return false;
    const auto c = compareValues(value, condition.values.front());
    return c.has_value() && accept(*c);
  };
  switch (condition.op) {
    case Op::kEq:
      return !condition.values.empty() && equalValues(value, condition.values.front());
    case Op::kNe:
      return condition.values.empty() || !equalValues(value, condition.values.front());
    case Op::kIn:
      return anyEqual();
    case Op::kNotIn:
      return !anyEqual();
    case Op::kIsNull:
      return value.isNull();
    case Op::kNotNull:
      return !value.isNull();
    case Op::kGt:
      return ordered([](int c) { return c > 0; });
    case Op::kGe:
      return ordered([](int c) { return c >= 0; });
    case Op::kLt:
      return ordered([](int c) { return c < 0; });
    case Op::kLe:
      return ordered([](int c) { return c <= 0; });
  }
  return false;
}

bool matchesAll(const sdk::Object& record, const std::vector<sdk::Condition>& conditions) {
  return std::all_of(conditions.begin(), conditions.end(),
                     [&](const sdk::Condition& c) { return matchesCondition(record, c); });
}

}  // namespace ferry::host::engine
