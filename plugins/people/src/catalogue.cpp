#include "ferry/plugins/people/catalogue.hpp"

#include <stdexcept>

#include "ferry/plugins/people/settings.hpp"

namespace ferry::plugins::people {

namespace {

sdk::FieldType typeNamed(const std::string& name) {
  auto t = sdk::fieldTypeFromString(name);
  // The JSON ships inside the plugin; a typo there is a build defect caught by the unit tests.
  if (!t) throw std::logic_error("schema/entities.json: unknown field type '" + name + "'");
  return *t;
}

std::vector<sdk::EntitySchema> loadEntities() {
  std::string error;
  const auto json = sdk::Value::fromJson(entitiesJson(), &error);
  if (!json || !json->isList())
    throw std::logic_error("schema/entities.json is not an array: " + error);
  std::vector<sdk::EntitySchema> out;
  for (const auto& item : json->asList()) {
    const auto& e = item.asObject();
    const auto text = [](const sdk::Object& o, const char* key) {
      const auto* v = o.find(key);
      return v != nullptr && v->isString() ? v->asString() : std::string();
    };
    const auto flag = [](const sdk::Object& o, const char* key, bool fallback) {
      const auto* v = o.find(key);
      return v != nullptr && v->isBool() ? v->asBool() : fallback;
    };
    sdk::EntitySchema entity;
    entity.name = text(e, "name");
    entity.label = text(e, "label");
    entity.idField = text(e, "idField");
    entity.readable = flag(e, "readable", true);
    entity.writable = flag(e, "writable", true);
    entity.supportsDelete = flag(e, "supportsDelete", false);
    for (const auto& fv : e.find("fields")->asList()) {
      const auto& f = fv.asObject();
      sdk::FieldSchema field;
      field.name = text(f, "name");
      field.label = text(f, "label");
      field.type = typeNamed(text(f, "type"));
      field.createable = flag(f, "createable", true);
      field.updateable = flag(f, "updateable", true);
      field.requiredOnCreate = flag(f, "requiredOnCreate", false);
      field.identity = flag(f, "identity", false);
      field.externalId = flag(f, "externalId", false);
      if (const auto* m = f.find("maxLength"); m != nullptr && m->isInteger())
        field.maxLength = m->asInteger();
      if (const auto* p = f.find("picklist"); p != nullptr && p->isList()) {
        for (const auto& v : p->asList()) field.picklistValues.push_back(v.asString());
      }
      if (const auto* i = f.find("itemType"); i != nullptr && i->isString())
        field.itemType = typeNamed(i->asString());
      field.description = text(f, "description");
      entity.fields.push_back(std::move(field));
    }
    out.push_back(std::move(entity));
  }
  return out;
}

}  // namespace

std::vector<sdk::EntitySchema> staticEntitySchemas() {
  static const std::vector<sdk::EntitySchema> kEntities = loadEntities();
  return kEntities;
}

sdk::FieldType fieldTypeOfAttribute(const std::string& dataType) {
  if (dataType == "DECIMAL") return sdk::FieldType::kNumber;
  if (dataType == "INTEGER") return sdk::FieldType::kInteger;
  if (dataType == "BOOLEAN") return sdk::FieldType::kBoolean;
  if (dataType == "DATE") return sdk::FieldType::kDate;
  if (dataType == "DATE_TIME") return sdk::FieldType::kDateTime;
  if (dataType == "LIST_OF_OBJECTS") return sdk::FieldType::kList;
  return sdk::FieldType::kString;
}

std::optional<std::string> attributeTypeOfValue(const sdk::Value& value) {
  switch (value.kind()) {
    case sdk::ValueKind::kBool:
      return "BOOLEAN";
    case sdk::ValueKind::kInteger:
      return "INTEGER";
    case sdk::ValueKind::kDecimal:
      return "DECIMAL";
    case sdk::ValueKind::kDate:
      return "DATE";
    case sdk::ValueKind::kDateTime:
      return "DATE_TIME";
    case sdk::ValueKind::kString:
      return "STRING";
    default:
      return std::nullopt;  // lists of objects need an objectSchema: define them by hand
  }
}

std::vector<sdk::EntitySchema> liveEntitySchemas(const AttributeTypes& attributes, bool provision) {
  auto entities = staticEntitySchemas();
  if (provision) return entities;
  for (auto& entity : entities) {
    if (entity.name == "Company") continue;
    for (const auto& [name, dataType] : attributes) {
      sdk::FieldSchema field;
      field.name = "customAttributes." + name;
      field.label = name;
      field.type = fieldTypeOfAttribute(dataType);
      if (field.type == sdk::FieldType::kString) field.maxLength = 4096;
      if (field.type == sdk::FieldType::kList) field.itemType = sdk::FieldType::kObject;
      field.description = "Custom attribute (" + dataType + ")";
      entity.fields.push_back(std::move(field));
    }
  }
  return entities;
}

}  // namespace ferry::plugins::people
