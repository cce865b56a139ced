// The plugin shell: descriptor, factory and exported aliases. Everything else is in the
// ferry_salesforce library.
#include "ferry/sdk/plugin.hpp"
#include "ferry/plugins/salesforce/catalogue.hpp"
#include "ferry/plugins/salesforce/connector.hpp"
#include "ferry/plugins/salesforce/oauth_helper.hpp"
#include "ferry/plugins/salesforce/settings.hpp"
#include "ferry/sdk/plugin_support.hpp"

namespace ferry::plugins::salesforce {

namespace {

std::vector<sdk::SettingSchema> pluginSettings() { return settingsSchema(); }

std::vector<sdk::EntitySchema> pluginEntities() { return staticEntitySchemas(); }

}  // namespace

const sdk::PluginDescriptor* describePlugin() {
  static const sdk::PluginDescriptor descriptor{
      sdk::kAbiVersion,
      sizeof(sdk::PluginDescriptor),
      "salesforce",
      "1.0.0",
      "Salesforce Sales Cloud (Lead, Contact, Account and any sObject): OAuth 2.0, incremental "
      "SOQL and Bulk API 2.0 reads, sObject Collections writes, Outbound Messages",
      &pluginSettings,
      &pluginEntities,
      &sdk::createConnector<SalesforceConnector>};
  return &descriptor;
}

const OAuthHelper* exportedOAuthHelper() { return oauthHelper(); }

}  // namespace ferry::plugins::salesforce

FERRY_PLUGIN(ferry::plugins::salesforce::describePlugin)
BOOST_DLL_ALIAS(ferry::plugins::salesforce::exportedOAuthHelper, ferry_oauth_helper)
