// Describe parsing, the compact cache form, EntitySchema mapping and value conversion.
#include "ferry/plugins/salesforce/describe.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace ferry::plugins::salesforce {

namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

sdk::Error malformed(std::string message) {
  return sdk::Error::make(sdk::ErrorCode::kMalformedResponse, std::move(message));
}

std::string textOf(const sdk::Object& o, std::string_view key) {
  const auto* v = o.find(key);
  return v != nullptr && v->isString() ? v->asString() : std::string();
}

bool boolOf(const sdk::Object& o, std::string_view key, bool fallback) {
  const auto* v = o.find(key);
  return v != nullptr && v->isBool() ? v->asBool() : fallback;
}

std::int64_t intOf(const sdk::Object& o, std::string_view key) {
  const auto* v = o.find(key);
  return v != nullptr && v->isNumber() ? static_cast<std::int64_t>(v->asNumber()) : 0;
}

std::vector<std::string> stringsOf(const sdk::Object& o, std::string_view key) {
  std::vector<std::string> out;
  if (const auto* v = o.find(key); v != nullptr && v->isList()) {
    for (const auto& item : v->asList()) {
      if (item.isString()) out.push_back(item.asString());
    }
  }
  return out;
}

bool isStringType(std::string_view t) {
  static constexpr std::string_view kTypes[] = {
      "string", "textarea",  "email",    "phone",           "url",          "picklist",
      "id",     "reference", "combobox", "encryptedstring", "multipicklist"};
  return std::find(std::begin(kTypes), std::end(kTypes), t) != std::end(kTypes);
}

bool isDecimalType(std::string_view t) {
  return t == "double" || t == "currency" || t == "percent";
}

sdk::Object stripAttributes(const sdk::Object& o) {
  sdk::Object out;
  for (const auto& [k, v] : o) {
    if (k == "attributes") continue;
    out.set(k, v.isObject() ? sdk::Value(stripAttributes(v.asObject())) : v);
  }
  return out;
}

sdk::Result<FieldDescription> fieldFromJson(const sdk::Value& item, bool compact) {
  if (!item.isObject()) return malformed("describe: a field entry is not an object");
  const auto& o = item.asObject();
  FieldDescription f;
  f.name = textOf(o, "name");
  f.type = textOf(o, "type");
  if (f.name.empty() || f.type.empty()) return malformed("describe: a field has no name or type");
  f.label = textOf(o, "label");
  f.length = intOf(o, "length");
  f.nillable = boolOf(o, "nillable", true);
  f.createable = boolOf(o, "createable", false);
  f.updateable = boolOf(o, "updateable", false);
  f.defaultedOnCreate = boolOf(o, "defaultedOnCreate", false);
  f.externalId = boolOf(o, "externalId", false);
  f.idLookup = boolOf(o, "idLookup", false);
  f.filterable = boolOf(o, "filterable", true);
  f.unique = boolOf(o, "unique", false);
  f.relationshipName = textOf(o, "relationshipName");
  f.referenceTo = stringsOf(o, "referenceTo");
  if (compact) {
    f.picklistValues = stringsOf(o, "picklist");
  } else if (const auto* p = o.find("picklistValues"); p != nullptr && p->isList()) {
    for (const auto& entry : p->asList()) {
      if (!entry.isObject()) continue;
      if (!boolOf(entry.asObject(), "active", true)) continue;
      const auto value = textOf(entry.asObject(), "value");
      if (!value.empty()) f.picklistValues.push_back(value);
    }
  }
  return f;
}

sdk::Result<ObjectDescription> objectFromJson(const sdk::Value& json, bool compact) {
  if (!json.isObject()) return malformed("describe: the answer is not a JSON object");
  const auto& o = json.asObject();
  ObjectDescription d;
  d.name = textOf(o, "name");
  if (d.name.empty()) return malformed("describe: the answer has no object name");
  d.label = textOf(o, "label");
  d.keyPrefix = textOf(o, "keyPrefix");
  d.queryable = boolOf(o, "queryable", true);
  d.createable = boolOf(o, "createable", true);
  d.updateable = boolOf(o, "updateable", true);
  d.deletable = boolOf(o, "deletable", true);
  const auto* fields = o.find("fields");
  if (fields == nullptr || !fields->isList()) {
    return malformed("describe of " + d.name + ": no \"fields\" array");
  }
  d.fields.reserve(fields->asList().size());
  for (const auto& item : fields->asList()) {
    auto f = fieldFromJson(item, compact);
    if (!f) return malformed("describe of " + d.name + ": " + f.error().message);
    d.fields.push_back(std::move(*f));
  }
  return d;
}

}  // namespace

const FieldDescription* ObjectDescription::field(std::string_view name) const noexcept {
  for (const auto& f : fields) {
    if (iequals(f.name, name)) return &f;
  }
  return nullptr;
}

const FieldDescription* ObjectDescription::relationship(std::string_view name) const noexcept {
  for (const auto& f : fields) {
    if (!f.relationshipName.empty() && iequals(f.relationshipName, name)) return &f;
  }
  return nullptr;
}

sdk::Result<ObjectDescription> parseDescribe(std::string_view body) {
  std::string error;
  const auto json = sdk::Value::fromJson(body, &error);
  if (!json) return malformed("describe: response is not JSON (" + error + ")");
  return objectFromJson(*json, false);
}

std::string toCompactJson(const ObjectDescription& object) {
  sdk::List fields;
  fields.reserve(object.fields.size());
  for (const auto& f : object.fields) {
    sdk::Object o{{"name", f.name}, {"type", f.type}};
    if (!f.label.empty()) o.set("label", f.label);
    if (f.length > 0) o.set("length", f.length);
    o.set("nillable", f.nillable);
    o.set("createable", f.createable);
    o.set("updateable", f.updateable);
    if (f.defaultedOnCreate) o.set("defaultedOnCreate", true);
    if (f.externalId) o.set("externalId", true);
    if (f.idLookup) o.set("idLookup", true);
    if (!f.filterable) o.set("filterable", false);
    if (f.unique) o.set("unique", true);
    if (!f.relationshipName.empty()) o.set("relationshipName", f.relationshipName);
    if (!f.referenceTo.empty()) {
      o.set("referenceTo", sdk::List(f.referenceTo.begin(), f.referenceTo.end()));
    }
    if (!f.picklistValues.empty()) {
      o.set("picklist", sdk::List(f.picklistValues.begin(), f.picklistValues.end()));
    }
    fields.emplace_back(std::move(o));
  }
  sdk::Object o{{"name", object.name},
                {"label", object.label},
                {"keyPrefix", object.keyPrefix},
                {"queryable", object.queryable},
                {"createable", object.createable},
                {"updateable", object.updateable},
                {"deletable", object.deletable},
                {"fields", std::move(fields)}};
  return sdk::Value(std::move(o)).toJson();
}

sdk::Result<ObjectDescription> fromCompactJson(const sdk::Value& json) {
  return objectFromJson(json, true);
}

sdk::Result<std::vector<ObjectDescription>> parseCatalogue(std::string_view jsonArray) {
  std::string error;
  const auto json = sdk::Value::fromJson(jsonArray, &error);
  if (!json || !json->isList()) return malformed("catalogue is not a JSON array " + error);
  std::vector<ObjectDescription> out;
  for (const auto& item : json->asList()) {
    auto d = fromCompactJson(item);
    if (!d) return d.takeError();
    out.push_back(std::move(*d));
  }
  return out;
}

sdk::FieldType sdkFieldType(std::string_view t) noexcept {
  using sdk::FieldType;
  if (t == "email") return FieldType::kEmail;
  if (t == "phone") return FieldType::kPhone;
  if (t == "boolean") return FieldType::kBoolean;
  if (t == "int" || t == "long") return FieldType::kInteger;
  if (isDecimalType(t)) return FieldType::kNumber;
  if (t == "date") return FieldType::kDate;
  if (t == "datetime") return FieldType::kDateTime;
  if (t == "id" || t == "reference") return FieldType::kReference;
  if (t == "multipicklist") return FieldType::kList;
  if (t == "address" || t == "location") return FieldType::kObject;
  return FieldType::kString;
}

sdk::EntitySchema toEntitySchema(const ObjectDescription& object) {
  sdk::EntitySchema e;
  e.name = object.name;
  e.label = object.label;
  e.idField = "Id";
  e.readable = object.queryable;
  e.writable = object.createable || object.updateable;
  e.supportsDelete = object.deletable;
  e.fields.reserve(object.fields.size());
  for (const auto& f : object.fields) {
    sdk::FieldSchema s;
    s.name = f.name;
    s.label = f.label;
    s.type = sdkFieldType(f.type);
    s.requiredOnCreate = f.requiredOnCreate();
    s.createable = f.createable;
    s.updateable = f.updateable;
    s.externalId = f.externalId;
    s.identity = f.type == "email" || f.type == "phone" || f.externalId || f.idLookup;
    if (f.length > 0 && (isStringType(f.type) || f.type == "base64")) s.maxLength = f.length;
    s.picklistValues = f.picklistValues;
    if (s.type == sdk::FieldType::kList) s.itemType = sdk::FieldType::kString;
    if (!f.referenceTo.empty()) {
      std::string targets;
      for (const auto& r : f.referenceTo) targets += (targets.empty() ? "" : ", ") + r;
      s.description = "references " + targets;
    }
    e.fields.push_back(std::move(s));
  }
  return e;
}

sdk::Value fromApiValue(const sdk::Value& raw, std::string_view type) {
  if (raw.isNull()) return raw;
  if (raw.isObject()) return sdk::Value(stripAttributes(raw.asObject()));
  if (raw.isString()) {
    const auto& s = raw.asString();
    if (type == "datetime") {
      if (auto t = sdk::DateTime::parseIso(s)) return *t;
    } else if (type == "date") {
      if (auto d = sdk::Date::parseIso(s)) return *d;
    } else if (type == "multipicklist") {
      sdk::List items;
      std::size_t start = 0;
      while (start <= s.size()) {
        auto end = s.find(';', start);
        if (end == std::string::npos) end = s.size();
        if (end > start) items.emplace_back(s.substr(start, end - start));
        start = end + 1;
      }
      return items;
    }
    return raw;
  }
  if (raw.isNumber()) {
    if ((type == "int" || type == "long") && raw.isDecimal()) {
      const double d = raw.asDecimal();
      if (std::floor(d) == d && std::fabs(d) < 9.0e15) return static_cast<std::int64_t>(d);
    }
    if (isDecimalType(type) && raw.isInteger()) return static_cast<double>(raw.asInteger());
  }
  return raw;
}

sdk::Value fromCsvValue(std::string_view cell, std::string_view type) {
  // Bulk results cannot tell null from an empty string; an empty cell is null.
  if (cell.empty()) return {};
  if (type == "boolean") {
    if (cell == "true") return true;
    if (cell == "false") return false;
  } else if (type == "int" || type == "long") {
    std::int64_t n = 0;
    const auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), n);
    if (ec == std::errc() && p == cell.data() + cell.size()) return n;
  } else if (isDecimalType(type)) {
    double d = 0;
    const auto [p, ec] = std::from_chars(cell.data(), cell.data() + cell.size(), d);
    if (ec == std::errc() && p == cell.data() + cell.size()) return d;
  }
  return fromApiValue(sdk::Value(cell), type);
}

sdk::Result<sdk::Value> toApiValue(const sdk::Value& value, std::string_view type) {
  using sdk::ValueKind;
  const auto bad = [&](const char* why) {
    return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                            std::string(why) + " (got " + value.preview() + ")");
  };
  switch (value.kind()) {
    case ValueKind::kNull:
    case ValueKind::kBool:
    case ValueKind::kInteger:
    case ValueKind::kDecimal:
      if (value.isDecimal() && !std::isfinite(value.asDecimal())) {
        return bad("not a finite number");
      }
      if (value.isNumber() && isStringType(type)) {
        // Numbers mapped onto text fields (e.g. a numeric phone): send their text.
        if (value.isInteger()) return sdk::Value(std::to_string(value.asInteger()));
        return sdk::Value(value.toJson());
      }
      return value;
    case ValueKind::kString:
      return value;
    case ValueKind::kDate:
      return sdk::Value(value.asDate().toIso());
    case ValueKind::kDateTime:
      if (type == "date") {
        const std::int64_t ms = value.asDateTime().epochMs;
        const std::int64_t days = ms / 86'400'000 - (ms % 86'400'000 < 0 ? 1 : 0);
        return sdk::Value(sdk::Date::fromDays(days).toIso());
      }
      return sdk::Value(value.asDateTime().toIso());
    case ValueKind::kList: {
      if (type != "multipicklist" && !type.empty()) {
        return bad("a list can only be written to a multi-select picklist");
      }
      std::string joined;
      for (const auto& item : value.asList()) {
        if (!item.isString()) return bad("multi-select picklist values must be strings");
        if (item.asString().find(';') != std::string::npos) {
          return bad("a multi-select picklist value cannot contain ';'");
        }
        joined += (joined.empty() ? "" : ";") + item.asString();
      }
      return sdk::Value(std::move(joined));
    }
    case ValueKind::kObject:
      return bad("objects cannot be written to a Salesforce field");
  }
  return bad("unsupported value");
}

}  // namespace ferry::plugins::salesforce
