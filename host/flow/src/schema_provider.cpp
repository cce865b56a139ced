#include "ferry/host/flow/schema_provider.hpp"

#include <algorithm>

namespace ferry::host {

const sdk::EntitySchema* PluginSchema::entity(std::string_view entityName) const noexcept {
  for (const auto& e : entities) {
    if (e.name == entityName) return &e;
  }
  return nullptr;
}

const std::vector<sdk::EntitySchema>* SchemaProvider::entities(
    const ConnectionDef& connection) const {
  const PluginSchema* p = plugin(connection.plugin);
  return p == nullptr ? nullptr : &p->entities;
}

void StaticSchemaProvider::add(PluginSchema schema) {
  for (auto& p : plugins_) {
    if (p.name == schema.name) {
      p = std::move(schema);
      return;
    }
  }
  plugins_.push_back(std::move(schema));
}

const PluginSchema* StaticSchemaProvider::plugin(std::string_view name) const {
  for (const auto& p : plugins_) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

std::vector<std::string> StaticSchemaProvider::pluginNames() const {
  std::vector<std::string> names;
  for (const auto& p : plugins_) names.push_back(p.name);
  return names;
}

namespace {

constexpr sdk::SettingType kSettingTypes[] = {
    sdk::SettingType::kString,    sdk::SettingType::kInteger, sdk::SettingType::kBoolean,
    sdk::SettingType::kDuration,  sdk::SettingType::kUrl,     sdk::SettingType::kEnum,
    sdk::SettingType::kSecretRef, sdk::SettingType::kObject};

// Reads optional members with defaults; records the first kind error.
class Reader {
 public:
  explicit Reader(const sdk::Object& o, std::string where, std::string& error)
      : o_(o), where_(std::move(where)), error_(error) {}

  std::string str(std::string_view key, std::string fallback = {}) {
    const sdk::Value* v = o_.find(key);
    if (v == nullptr || v->isNull()) return fallback;
    if (!v->isString()) return fail(key, "a string"), fallback;
    return v->asString();
  }
  bool flag(std::string_view key, bool fallback) {
    const sdk::Value* v = o_.find(key);
    if (v == nullptr || v->isNull()) return fallback;
    if (!v->isBool()) return fail(key, "true or false"), fallback;
    return v->asBool();
  }
  std::vector<std::string> strings(std::string_view key) {
    std::vector<std::string> out;
    const sdk::Value* v = o_.find(key);
    if (v == nullptr || v->isNull()) return out;
    if (!v->isList()) return fail(key, "a list of strings"), out;
    for (const auto& item : v->asList()) {
      if (!item.isString()) return fail(key, "a list of strings"), out;
      out.push_back(item.asString());
    }
    return out;
  }
  const sdk::List* list(std::string_view key) {
    const sdk::Value* v = o_.find(key);
    if (v == nullptr || v->isNull()) return nullptr;
    if (!v->isList()) return fail(key, "a list"), nullptr;
    return &v->asList();
  }
  const sdk::Value* raw(std::string_view key) { return o_.find(key); }

 private:
  void fail(std::string_view key, const char* expected) {
    if (error_.empty()) error_ = where_ + "." + std::string(key) + " must be " + expected;
  }
  const sdk::Object& o_;
  std::string where_;
  std::string& error_;
};

sdk::Error bad(std::string message) {
  return sdk::Error::make(sdk::ErrorCode::kInvalidArgument,
                          "schema snapshot: " + std::move(message));
}

}  // namespace

sdk::Result<PluginSchema> pluginSchemaFromJson(std::string_view json) {
  std::string parseError;
  const auto root = sdk::Value::fromJson(json, &parseError);
  if (!root) return bad("not JSON: " + parseError);
  if (!root->isObject()) return bad("the top level must be an object");
  std::string error;
  Reader top(root->asObject(), "snapshot", error);
  PluginSchema schema;
  // `ferry describe --json` names the plugin "name"; snapshots written here say "plugin".
  schema.name = top.str("plugin", top.str("name"));
  if (schema.name.empty()) return bad("\"plugin\" (the plugin name) is missing");
  if (const sdk::List* settings = top.list("settings")) {
    for (const auto& s : *settings) {
      if (!s.isObject()) return bad("each setting must be an object");
      Reader r(s.asObject(), "setting", error);
      sdk::SettingSchema setting;
      setting.name = r.str("name");
      const std::string type = r.str("type", "string");
      bool known = false;
      for (auto t : kSettingTypes) {
        if (type == sdk::toString(t)) {
          setting.type = t;
          known = true;
        }
      }
      if (!known) return bad("setting " + setting.name + ": unknown type \"" + type + "\"");
      setting.required = r.flag("required", false);
      if (const sdk::Value* d = r.raw("default")) setting.defaultValue = *d;
      setting.enumValues = r.strings("enum");
      setting.description = r.str("description");
      if (setting.name.empty()) return bad("a setting has no name");
      schema.settings.push_back(std::move(setting));
    }
  }
  if (const sdk::List* entities = top.list("entities")) {
    for (const auto& e : *entities) {
      if (!e.isObject()) return bad("each entity must be an object");
      Reader r(e.asObject(), "entity", error);
      sdk::EntitySchema entity;
      entity.name = r.str("name");
      if (entity.name.empty()) return bad("an entity has no name");
      entity.label = r.str("label");
      entity.idField = r.str("idField", "Id");
      entity.readable = r.flag("readable", true);
      entity.writable = r.flag("writable", true);
      entity.supportsDelete = r.flag("supportsDelete", false);
      if (const sdk::List* fields = r.list("fields")) {
        for (const auto& f : *fields) {
          if (!f.isObject()) return bad(entity.name + ": each field must be an object");
          Reader fr(f.asObject(), entity.name + " field", error);
          sdk::FieldSchema field;
          field.name = fr.str("name");
          if (field.name.empty()) return bad(entity.name + ": a field has no name");
          field.label = fr.str("label");
          const auto type = sdk::fieldTypeFromString(fr.str("type", "string"));
          if (!type) return bad(entity.name + "." + field.name + ": unknown type");
          field.type = *type;
          const auto item = sdk::fieldTypeFromString(fr.str("itemType", "string"));
          if (!item) return bad(entity.name + "." + field.name + ": unknown itemType");
          field.itemType = *item;
          field.requiredOnCreate = fr.flag("requiredOnCreate", false);
          field.createable = fr.flag("createable", true);
          field.updateable = fr.flag("updateable", true);
          field.identity = fr.flag("identity", false);
          field.externalId = fr.flag("externalId", false);
          if (const sdk::Value* m = fr.raw("maxLength"); m != nullptr && m->isInteger()) {
            field.maxLength = m->asInteger();
          }
          field.picklistValues = fr.strings("picklist");
          if (field.picklistValues.empty()) field.picklistValues = fr.strings("picklistValues");
          field.description = fr.str("description");
          entity.fields.push_back(std::move(field));
        }
      }
      schema.entities.push_back(std::move(entity));
    }
  }
  if (!error.empty()) return bad(error);
  return schema;
}

std::string pluginSchemaToJson(const PluginSchema& schema) {
  sdk::List settings;
  for (const auto& s : schema.settings) {
    sdk::Object o{{"name", s.name},
                  {"type", sdk::toString(s.type)},
                  {"required", s.required},
                  {"description", s.description}};
    if (!s.defaultValue.isNull()) o.set("default", s.defaultValue);
    if (!s.enumValues.empty()) {
      sdk::List values(s.enumValues.begin(), s.enumValues.end());
      o.set("enum", std::move(values));
    }
    settings.emplace_back(std::move(o));
  }
  sdk::List entities;
  for (const auto& e : schema.entities) {
    sdk::List fields;
    for (const auto& f : e.fields) {
      sdk::Object o{{"name", f.name},
                    {"label", f.label},
                    {"type", sdk::toString(f.type)},
                    {"requiredOnCreate", f.requiredOnCreate},
                    {"createable", f.createable},
                    {"updateable", f.updateable},
                    {"identity", f.identity},
                    {"externalId", f.externalId}};
      if (f.type == sdk::FieldType::kList) o.set("itemType", sdk::toString(f.itemType));
      if (f.maxLength) o.set("maxLength", *f.maxLength);
      if (!f.picklistValues.empty()) {
        o.set("picklist", sdk::List(f.picklistValues.begin(), f.picklistValues.end()));
      }
      if (!f.description.empty()) o.set("description", f.description);
      fields.emplace_back(std::move(o));
    }
    entities.emplace_back(sdk::Object{{"name", e.name},
                                      {"label", e.label},
                                      {"idField", e.idField},
                                      {"readable", e.readable},
                                      {"writable", e.writable},
                                      {"supportsDelete", e.supportsDelete},
                                      {"fields", std::move(fields)}});
  }
  return sdk::Value(sdk::Object{{"plugin", schema.name},
                                {"settings", std::move(settings)},
                                {"entities", std::move(entities)}})
      .toJson();
}

}  // namespace ferry::host
