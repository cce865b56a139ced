// The plugin shell: the descriptor and the export. All behaviour lives in the jsonl library.
#include <ferry/sdk.hpp>

#include "config.hpp"
#include "connector.hpp"

namespace ferry::plugins::jsonl {
namespace {

std::vector<sdk::SettingSchema> settings() { return settingsSchema(); }

// Entities are declared per connection (the `entities` setting), so the static catalogue is
// empty; a connection's describe() returns them.
std::vector<sdk::EntitySchema> entities() { return {}; }

sdk::Result<std::unique_ptr<sdk::Connector>> create(const sdk::HostContext& context) {
  return sdk::guard("jsonl factory", [&]() -> sdk::Result<std::unique_ptr<sdk::Connector>> {
    auto config = parseConfig(context.settings);
    if (!config.ok()) return config.takeError();
    return std::unique_ptr<sdk::Connector>(
        std::make_unique<JsonlConnector>(std::move(config.value()), context));
  });
}

const sdk::PluginDescriptor* describePlugin() {
  static const sdk::PluginDescriptor descriptor{
      sdk::kAbiVersion,
      sizeof(sdk::PluginDescriptor),
      "jsonl",
      "1.0.0",
      "JSON-lines files as source and sink (exports, backfills, tests)",
      &settings,
      &entities,
      &create};
  return &descriptor;
}

}  // namespace
}  // namespace ferry::plugins::jsonl

FERRY_PLUGIN(ferry::plugins::jsonl::describePlugin)
