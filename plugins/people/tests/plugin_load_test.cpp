// The built plugin through the host's real loader: descriptor, catalogue, settings validation by
// the host and connector creation.
#include <gtest/gtest.h>

#include "ferry/host/plugins/registry.hpp"
#include "ferry/host/plugins/settings.hpp"
#include "ferry/sdk/testing/fake_host.hpp"

namespace ferry::plugins::people {
namespace {

TEST(PeoplePluginLoad, LoadsThroughTheHostLoader) {
  host::PluginRegistry registry;
  const auto error = registry.loadFile(FERRY_PEOPLE_PLUGIN_FILE);
  ASSERT_FALSE(error) << error->describe();
  const auto* plugin = registry.find("people");
  ASSERT_NE(plugin, nullptr);
  EXPECT_EQ(plugin->version(), "1.0.0");
  for (const char* entity : {"Customer", "Lead", "Company"}) {
    ASSERT_NE(plugin->entity(entity), nullptr) << entity;
  }
  EXPECT_TRUE(plugin->entity("Customer")->field("contactInformation.email")->identity);

  auto validated = host::validateSettings(
      plugin->descriptor(),
      sdk::Object{{"base_url", "https://xyz12.api.infobip.com"}, {"overlap", "5m"}});
  ASSERT_TRUE(validated.ok()) << validated.issues.front().key << ": "
                              << validated.issues.front().message;
  sdk::testing::FakeHost fake;
  auto connector = plugin->create(fake.context(validated.settings));
  ASSERT_TRUE(connector) << connector.error().message;
  EXPECT_NE((*connector)->source(), nullptr);
  EXPECT_NE((*connector)->sink(), nullptr);
  EXPECT_NE((*connector)->push(), nullptr);
  EXPECT_EQ((*connector)->sink()->maxBatch("Customer"), 1000u);

  EXPECT_FALSE(
      host::validateSettings(plugin->descriptor(), sdk::Object{{"write_key", "name"}}).ok());
  auto refused = plugin->create(
      fake.context(sdk::Object{{"base_url", "https://x.example"}, {"page_size", 0}}));
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ferry::plugins::people
