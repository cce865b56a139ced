// The built plugin through the real loader: the round trip a host performs.
#include <gtest/gtest.h>

#include <ferry/host/plugins/registry.hpp>
#include <ferry/host/plugins/settings.hpp>
#include <ferry/sdk/testing/fake_host.hpp>

#include "temp_dir.hpp"

namespace ferry::plugins::jsonl {
namespace {

TEST(JsonlPluginTest, LoadsAndRoundTripsThroughTheHost) {
  host::PluginRegistry registry;
  const auto error = registry.loadFile(FERRY_JSONL_PLUGIN_FILE);
  ASSERT_FALSE(error) << error->describe();
  const host::LoadedPlugin* plugin = registry.find("jsonl");
  ASSERT_NE(plugin, nullptr);
  EXPECT_TRUE(plugin->entities().empty());

  testing::TempDir dir;
  const sdk::Object raw{
      {"directory", dir.path().string()},
      {"entities", sdk::Object{{"Item", sdk::Object{{"fields", sdk::Object{{"n", "integer"}}}}}}}};
  const auto settings = host::validateSettings(plugin->settings(), raw);
  ASSERT_TRUE(settings.ok());
  EXPECT_EQ(*settings.settings.find("maxBatch"), sdk::Value(1000));

  sdk::testing::FakeHost fake;
  auto connector = plugin->create(fake.context(settings.settings));
  ASSERT_TRUE(connector.ok()) << connector.error().describe();
  ASSERT_TRUE((*connector)->start().ok());
  sdk::WriteOp op;
  op.fields = sdk::Object{{"id", "i1"}, {"n", 5}};
  auto written = (*connector)->sink()->write("Item", {op});
  ASSERT_TRUE(written.ok());
  EXPECT_EQ((*written)[0].outcome, sdk::WriteResult::Outcome::kCreated);
  sdk::ReadRequest request;
  request.entity = "Item";
  auto batch = (*connector)->source()->read(request);
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(batch->changes[0].fields, (sdk::Object{{"id", "i1"}, {"n", 5}}));
  (*connector)->stop();

  auto invalid = plugin->create(fake.context(sdk::Object{{"directory", "/x"}}));
  ASSERT_FALSE(invalid.ok());
  EXPECT_NE(invalid.error().message.find("entities must declare"), std::string::npos);
}

}  // namespace
}  // namespace ferry::plugins::jsonl
