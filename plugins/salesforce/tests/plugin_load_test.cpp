// The built plugin through the host's real loader: descriptor, catalogue, settings validation by
// the host, connector creation, and the exported OAuth helper alias.
#include <gtest/gtest.h>

#include <boost/dll/import.hpp>
#include <boost/dll/shared_library.hpp>

#include "ferry/host/plugins/registry.hpp"
#include "ferry/host/plugins/settings.hpp"
#include "ferry/plugins/salesforce/oauth_helper.hpp"
#include "ferry/sdk/testing/fake_host.hpp"

namespace ferry::plugins::salesforce {
namespace {

TEST(PluginLoad, LoadsThroughTheHostLoader) {
  host::PluginRegistry registry;
  const auto error = registry.loadFile(FERRY_SF_PLUGIN_FILE);
  ASSERT_FALSE(error) << error->describe();
  const auto* plugin = registry.find("salesforce");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->version(), "1.0.0");
  for (const char* entity : {"Lead", "Contact", "Account"}) {
    ASSERT_NE(plugin->entity(entity), nullptr) << entity;
  }
  EXPECT_TRUE(plugin->entity("Contact")->field("LastName")->requiredOnCreate);

  // The host validates and normalises settings with the plugin's schema.
  auto validated = host::validateSettings(
      plugin->descriptor(), sdk::Object{{"login_url", "https://acme.my.salesforce.com"},
                                        {"auth_method", "client_credentials"},
                                        {"overlap", "2m"}});
  ASSERT_TRUE(validated.ok()) << validated.issues.front().key << ": "
                              << validated.issues.front().message;
  sdk::testing::FakeHost fake;
  auto connector = plugin->create(fake.context(validated.settings));
  ASSERT_TRUE(connector) << connector.error().message;
  EXPECT_NE((*connector)->source(), nullptr);
  EXPECT_NE((*connector)->sink(), nullptr);
  EXPECT_NE((*connector)->push(), nullptr);
  EXPECT_EQ((*connector)->sink()->maxBatch("Contact"), 200u);

  auto bad = host::validateSettings(plugin->descriptor(),
                                    sdk::Object{{"auth_method", "magic"}, {"colour", 1}});
  EXPECT_FALSE(bad.ok());
  auto refused = plugin->create(fake.context(sdk::Object{{"page_size", 5}}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::kInvalidArgument);
}

TEST(PluginLoad, ExportsTheOAuthHelper) {
  boost::dll::shared_library library(FERRY_SF_PLUGIN_FILE);
  auto helperFn = boost::dll::import_alias<OAuthHelperFn>(library, kOAuthHelperSymbol);
  const OAuthHelper* helper = helperFn();
  ASSERT_NE(helper, nullptr);
  EXPECT_EQ(helper->abiVersion, sdk::kAbiVersion);
  sdk::testing::FakeHost fake;
  (void)fake.secrets.put("client_id", "3MVG9");
  auto context = fake.context(sdk::Object{{"login_url", "https://test.salesforce.com"}});
  auto url = helper->authorizeUrl(context, "https://ferry.example.com/cb", "xyz");
  ASSERT_TRUE(url) << url.error().message;
  EXPECT_EQ(url->rfind("https://test.salesforce.com/services/oauth2/authorize?", 0), 0u);
  // No code, no call: a precise error instead.
  auto status = helper->exchangeCode(context, "", "https://ferry.example.com/cb");
  ASSERT_FALSE(status);
  EXPECT_EQ(status.error().code, sdk::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ferry::plugins::salesforce
