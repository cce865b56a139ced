#include "records.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace ferry::plugins::jsonl {

using sdk::FieldType;
using sdk::Value;
using sdk::ValueKind;

std::optional<std::string> idText(const Value& value) {
  if (value.isString() && !value.asString().empty()) return value.asString();
  if (value.isInteger()) return std::to_string(value.asInteger());
  return std::nullopt;
}

Value coerce(const sdk::FieldSchema* field, Value value) {
  if (field == nullptr || !value.isString()) return value;
  if (field->type == FieldType::kDate) {
    if (auto d = sdk::Date::parseIso(value.asString())) return Value(*d);
  } else if (field->type == FieldType::kDateTime) {
    if (auto t = sdk::DateTime::parseIso(value.asString())) return Value(*t);
  }
  return value;
}

ParsedLine parseLine(std::string_view line, const EntityConfig& entity) {
  ParsedLine out;
  if (line.find_first_not_of(" \t\r") == std::string_view::npos) {
    out.kind = ParsedLine::Kind::kBlank;
    return out;
  }
  std::string error;
  auto parsed = Value::fromJson(line, &error);
  if (!parsed) {
    out.error = "not JSON: " + error;
    return out;
  }
  if (!parsed->isObject()) {
    out.error = "not a JSON object";
    return out;
  }
  sdk::Object& record = parsed->asObject();
  const Value* id = record.find(entity.schema.idField);
  auto text = id != nullptr ? idText(*id) : std::nullopt;
  if (!text) {
    out.error = "no usable '" + entity.schema.idField + "' (a non-empty string or an integer)";
    return out;
  }
  out.id = std::move(*text);
  if (const Value* deleted = record.find(kDeletedKey);
      deleted != nullptr && deleted->isBool() && deleted->asBool()) {
    out.kind = ParsedLine::Kind::kDelete;
    return out;
  }
  record.erase(kDeletedKey);
  for (auto& [name, value] : record) value = coerce(entity.schema.field(name), std::move(value));
  out.kind = ParsedLine::Kind::kUpsert;
  out.fields = std::move(record);
  return out;
}

std::string indexKey(const sdk::FieldSchema* field, const Value& value) {
  if (value.isString() && field != nullptr && field->type == FieldType::kEmail) {
    std::string lowered = value.asString();
    for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return Value(lowered).toJson();
  }
  // Integral decimals index like integers, matching Value's equality.
  if (value.isDecimal() && std::isfinite(value.asDecimal()) &&
      std::trunc(value.asDecimal()) == value.asDecimal() && std::abs(value.asDecimal()) < 9.0e15) {
    return Value(static_cast<std::int64_t>(value.asDecimal())).toJson();
  }
  return value.toJson();
}

std::string checkValue(const sdk::FieldSchema& field, const Value& value) {
  if (value.isNull()) return {};
  const ValueKind expected = sdk::valueKindOf(field.type);
  bool fits = value.kind() == expected;
  if (expected == ValueKind::kDecimal) fits = value.isNumber();
  if (expected == ValueKind::kInteger && value.isDecimal()) {
    fits = std::trunc(value.asDecimal()) == value.asDecimal();
  }
  if (!fits) {
    return "expects " + std::string(sdk::toString(field.type)) + ", got " +
           sdk::toString(value.kind()) + " " + value.preview();
  }
  if (value.isString()) {
    if (field.maxLength && static_cast<std::int64_t>(value.asString().size()) > *field.maxLength) {
      return "is longer than " + std::to_string(*field.maxLength) + " characters";
    }
    if (!field.picklistValues.empty() &&
        std::find(field.picklistValues.begin(), field.picklistValues.end(), value.asString()) ==
            field.picklistValues.end()) {
      return "is not one of the allowed values: " + value.preview();
    }
  }
  if (value.isList() && field.type == FieldType::kList) {
    const ValueKind item = sdk::valueKindOf(field.itemType);
    for (const auto& v : value.asList()) {
      if (!v.isNull() && v.kind() != item && !(item == ValueKind::kDecimal && v.isNumber())) {
        return "expects a list of " + std::string(sdk::toString(field.itemType)) + ", got " +
               value.preview();
      }
    }
  }
  return {};
}

std::int64_t modifiedAtMs(const EntityConfig& entity, const sdk::Object& fields) {
  if (entity.modifiedField.empty()) return 0;
  const Value* v = fields.find(entity.modifiedField);
  if (v == nullptr) return 0;
  if (v->isDateTime()) return v->asDateTime().epochMs;
  if (v->isString()) {
    if (auto t = sdk::DateTime::parseIso(v->asString())) return t->epochMs;
  }
  return 0;
}

std::string formatRecord(const sdk::Object& fields) {
  std::string line = fields.toJson();
  line += '\n';
  return line;
}

std::string formatDelete(const EntityConfig& entity, const std::string& id) {
  sdk::Object o{{std::string(kDeletedKey), true}, {entity.schema.idField, id}};
  return formatRecord(o);
}

}  // namespace ferry::plugins::jsonl
