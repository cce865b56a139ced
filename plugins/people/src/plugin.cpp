// The plugin shell: descriptor, factory and the exported alias. Everything else is in the
// ferry_people library.
#include "ferry/sdk/plugin.hpp"
#include "ferry/plugins/people/catalogue.hpp"
#include "ferry/plugins/people/connector.hpp"
#include "ferry/plugins/people/settings.hpp"
#include "ferry/sdk/plugin_support.hpp"

namespace ferry::plugins::people {

namespace {

std::vector<sdk::SettingSchema> pluginSettings() { return settingsSchema(); }

std::vector<sdk::EntitySchema> pluginEntities() { return staticEntitySchemas(); }

}  // namespace

const sdk::PluginDescriptor* describePlugin() {
  static const sdk::PluginDescriptor descriptor{
      sdk::kAbiVersion,
      sizeof(sdk::PluginDescriptor),
      "people",
      "1.0.0",
      "Infobip People: Customers and Leads (persons), Companies; v3 upserts, identity matching, "
      "modifiedAt polling, webhook wake-ups",
      &pluginSettings,
      &pluginEntities,
      &sdk::createConnector<PeopleConnector>};
  return &descriptor;
}

}  // namespace ferry::plugins::people

FERRY_PLUGIN(ferry::plugins::people::describePlugin)
