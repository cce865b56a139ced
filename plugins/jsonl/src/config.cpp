#include "config.hpp"

#include <algorithm>

#include "ferry/sdk/plugin_support.hpp"

namespace ferry::plugins::jsonl {

namespace {

using sdk::FieldSchema;
using sdk::FieldType;
using sdk::Value;

// Entity names become file names: no separators, no leading dot.
bool validEntityName(std::string_view name) noexcept {
  if (name.empty() || name.size() > 128 || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

const char* kFieldKeys = "type, required, maxLength, items, values, label, description";

// A field is either a type name ("email") or a map {type, required, maxLength, items, values,
// label, description}.
bool parseField(const std::string& where, const std::string& name, const Value& spec,
                FieldSchema& field, std::vector<std::string>& problems) {
  field.name = name;
  field.identity = true;  // lookups work on any field
  const Value* type = &spec;
  if (spec.isObject()) {
    const sdk::Object& o = spec.asObject();
    for (const auto& [key, value] : o) {
      if (key != "type" && key != "required" && key != "maxLength" && key != "items" &&
          key != "values" && key != "label" && key != "description") {
        problems.push_back(where + ": unknown key '" + key + "' (allowed: " + kFieldKeys + ")");
      }
    }
    type = o.find("type");
    if (type == nullptr) {
      problems.push_back(where + ": missing 'type'");
      return false;
    }
    if (const Value* v = o.find("required")) {
      if (v->isBool())
        field.requiredOnCreate = v->asBool();
      else
        problems.push_back(where + ".required must be true or false");
    }
    if (const Value* v = o.find("maxLength")) {
      if (v->isInteger() && v->asInteger() > 0)
        field.maxLength = v->asInteger();
      else
        problems.push_back(where + ".maxLength must be a positive integer");
    }
    if (const Value* v = o.find("label")) {
      if (v->isString())
        field.label = v->asString();
      else
        problems.push_back(where + ".label must be a string");
    }
    if (const Value* v = o.find("description")) {
      if (v->isString())
        field.description = v->asString();
      else
        problems.push_back(where + ".description must be a string");
    }
    if (const Value* v = o.find("values")) {
      bool ok = v->isList();
      if (ok) {
        for (const auto& item : v->asList()) {
          if (!item.isString())
            ok = false;
          else
            field.picklistValues.push_back(item.asString());
        }
      }
      if (!ok) problems.push_back(where + ".values must be a list of strings");
    }
    if (const Value* v = o.find("items")) {
      const auto itemType = v->isString() ? sdk::fieldTypeFromString(v->asString()) : std::nullopt;
      if (itemType)
        field.itemType = *itemType;
      else
        problems.push_back(where + ".items must be a field type name");
    }
  }
  const auto parsed = type->isString() ? sdk::fieldTypeFromString(type->asString()) : std::nullopt;
  if (!parsed) {
    problems.push_back(where +
                       ": type must be one of string, number, integer, boolean, date, "
                       "datetime, email, phone, reference, list, object; got " +
                       type->preview());
    return false;
  }
  field.type = *parsed;
  return true;
}

void parseEntity(const std::filesystem::path& directory, const std::string& name, const Value& spec,
                 Config& config, std::vector<std::string>& problems) {
  const std::string where = "entities." + name;
  if (!validEntityName(name)) {
    problems.push_back(where +
                       ": entity names may use letters, digits, '_', '-' and '.' "
                       "(not first), as they name files");
    return;
  }
  if (!spec.isObject()) {
    problems.push_back(where + " must be a map with 'fields' (and optionally 'id', 'modifiedAt')");
    return;
  }
  const sdk::Object& o = spec.asObject();
  for (const auto& [key, value] : o) {
    if (key != "id" && key != "fields" && key != "modifiedAt" && key != "label") {
      problems.push_back(where + ": unknown key '" + key +
                         "' (allowed: id, fields, modifiedAt, label)");
    }
  }
  EntityConfig entity;
  entity.schema.name = name;
  entity.schema.supportsDelete = true;
  entity.file = directory / (name + ".jsonl");
  if (const Value* label = o.find("label"); label != nullptr && label->isString()) {
    entity.schema.label = label->asString();
  }
  entity.schema.idField = "id";
  if (const Value* id = o.find("id")) {
    if (id->isString() && !id->asString().empty())
      entity.schema.idField = id->asString();
    else
      problems.push_back(where + ".id must name the id field");
  }
  const Value* fields = o.find("fields");
  if (fields == nullptr || !fields->isObject()) {
    problems.push_back(where + ".fields must be a map of field name to type");
    return;
  }
  for (const auto& [fieldName, fieldSpec] : fields->asObject()) {
    FieldSchema field;
    if (parseField(where + ".fields." + fieldName, fieldName, fieldSpec, field, problems)) {
      entity.schema.fields.push_back(std::move(field));
    }
  }
  // The id field: declared or implied, never changed by an update, usable as an upsert key.
  FieldSchema* idField = nullptr;
  for (auto& f : entity.schema.fields) {
    if (f.name == entity.schema.idField) idField = &f;
  }
  if (idField == nullptr) {
    FieldSchema implied;
    implied.name = entity.schema.idField;
    implied.identity = true;
    entity.schema.fields.insert(entity.schema.fields.begin(), std::move(implied));
    idField = &entity.schema.fields.front();
  } else if (idField->type != FieldType::kString && idField->type != FieldType::kInteger &&
             idField->type != FieldType::kReference) {
    problems.push_back(where + ": id field '" + idField->name + "' must be a string or integer");
  }
  idField->updateable = false;
  idField->externalId = true;
  idField->requiredOnCreate = false;  // generated when not given

  if (const Value* modified = o.find("modifiedAt")) {
    const FieldSchema* f =
        modified->isString() ? entity.schema.field(modified->asString()) : nullptr;
    if (f == nullptr || f->type != FieldType::kDateTime) {
      problems.push_back(where + ".modifiedAt must name a declared datetime field");
    } else {
      entity.modifiedField = f->name;
    }
  }
  config.entities.push_back(std::move(entity));
}

}  // namespace

const EntityConfig* Config::entity(std::string_view name) const noexcept {
  for (const auto& e : entities) {
    if (e.schema.name == name) return &e;
  }
  return nullptr;
}

std::vector<sdk::SettingSchema> settingsSchema() {
  sdk::SettingSchema directory;
  directory.name = "directory";
  directory.required = true;
  directory.description = "Folder holding one <Entity>.jsonl file per entity";
  sdk::SettingSchema entities;
  entities.name = "entities";
  entities.type = sdk::SettingType::kObject;
  entities.required = true;
  entities.description =
      "Per entity: id field (default id), fields (name: type or {type, required, maxLength, "
      "items, values}), optional modifiedAt datetime field";
  sdk::SettingSchema fsync;
  fsync.name = "fsync";
  fsync.type = sdk::SettingType::kBoolean;
  fsync.defaultValue = false;
  fsync.description = "fsync after every written batch (survives power loss; slower)";
  sdk::SettingSchema maxBatch;
  maxBatch.name = "maxBatch";
  maxBatch.type = sdk::SettingType::kInteger;
  maxBatch.defaultValue = 1000;
  maxBatch.description = "Largest batch a write accepts";
  return {directory, entities, fsync, maxBatch};
}

sdk::Result<Config> parseConfig(const sdk::Object& settings) {
  Config config;
  std::vector<std::string> problems;
  const Value* directory = settings.find("directory");
  if (directory == nullptr || !directory->isString() || directory->asString().empty()) {
    problems.push_back("directory must be a folder path");
  } else {
    config.directory = directory->asString();
  }
  if (const Value* f = settings.find("fsync"); f != nullptr && f->isBool())
    config.fsync = f->asBool();
  if (const Value* m = settings.find("maxBatch"); m != nullptr && m->isInteger()) {
    if (m->asInteger() < 1)
      problems.push_back("maxBatch must be at least 1");
    else
      config.maxBatch = static_cast<std::size_t>(m->asInteger());
  }
  const Value* entities = settings.find("entities");
  if (entities == nullptr || !entities->isObject() || entities->asObject().empty()) {
    problems.push_back("entities must declare at least one entity");
  } else {
    for (const auto& [name, spec] : entities->asObject()) {
      parseEntity(config.directory, name, spec, config, problems);
    }
  }
  if (!problems.empty()) return sdk::settingsError("invalid jsonl settings: ", problems);
  return config;
}

}  // namespace ferry::plugins::jsonl
