// What the validator needs to know about connectors, without loading any: per plugin its
// settings schema and entity catalogue. The CLI and server fill it from the plugin registry
// (each descriptor's static entities()) or from a cached describe snapshot; tests supply fixtures.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "ferry/host/flow/flow.hpp"
#include "ferry/sdk/result.hpp"
#include "ferry/sdk/schema.hpp"

namespace ferry::host {

struct PluginSchema {
  std::string name;
  std::vector<sdk::SettingSchema> settings;
  std::vector<sdk::EntitySchema> entities;

  const sdk::EntitySchema* entity(std::string_view entityName) const noexcept;
};

class SchemaProvider {
 public:
  virtual ~SchemaProvider() = default;
  // nullptr when no plugin of that name is known.
  virtual const PluginSchema* plugin(std::string_view name) const = 0;
  virtual std::vector<std::string> pluginNames() const = 0;
  // Entities one connection offers (a live describe may add custom fields). Default: the
  // plugin's static catalogue.
  virtual const std::vector<sdk::EntitySchema>* entities(const ConnectionDef& connection) const;
};

// A provider over a fixed set of plugin schemas; a later add() of the same name replaces it.
class StaticSchemaProvider final : public SchemaProvider {
 public:
  void add(PluginSchema schema);
  const PluginSchema* plugin(std::string_view name) const override;
  std::vector<std::string> pluginNames() const override;

 private:
  std::vector<PluginSchema> plugins_;
};

// Describe snapshots: a plugin schema as JSON, so flows can be validated against an org's real
// fields without a live connection. The output of `ferry describe <plugin> --json` is accepted
// as well ("name" for "plugin", "picklistValues" for "picklist"); other keys are ignored.
//   {"plugin": "salesforce", "settings": [{"name", "type", "required", "default", "enum",
//    "description"}], "entities": [{"name", "label", "idField", "readable", "writable",
//    "supportsDelete", "fields": [{"name", "label", "type", "itemType", "requiredOnCreate",
//    "createable", "updateable", "identity", "externalId", "maxLength", "picklist",
//    "description"}]}]}
sdk::Result<PluginSchema> pluginSchemaFromJson(std::string_view json);
std::string pluginSchemaToJson(const PluginSchema& schema);

}  // namespace ferry::host
