// The loader against real fixture libraries (see tests/fixtures/CMakeLists.txt).
#include <dlfcn.h>

#include <cstdlib>
#include <filesystem>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ferry/host/plugins/registry.hpp"
#include "ferry/sdk/testing/fake_host.hpp"
#include "ferry/sdk/version.hpp"

namespace ferry::host {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

const fs::path kFixtures = FERRY_FIXTURE_PLUGIN_DIR;

// Errors keyed by file name, for readable assertions.
std::map<std::string, std::string> reasonsByFile(const std::vector<PluginLoadError>& errors) {
  std::map<std::string, std::string> out;
  for (const auto& e : errors) out[e.file.filename().string()] = e.reason;
  return out;
}

sdk::ReadRequest itemRequest() {
  sdk::ReadRequest r;
  r.entity = "Item";
  return r;
}

bool isLoaded(const fs::path& file) {
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (handle == nullptr) return false;
  dlclose(handle);  // RTLD_NOLOAD still took a reference
  return true;
}

TEST(PluginLoaderTest, LoadsGoodPluginsAndReportsEachBrokenOneOnce) {
  PluginRegistry registry;
  const auto errors = registry.loadDirectory(kFixtures, true);
  auto reasons = reasonsByFile(errors);
  EXPECT_EQ(errors.size(), 6u) << ::testing::PrintToString(reasons);
  EXPECT_THAT(reasons["ferry-wrong-abi.so"], HasSubstr("SDK ABI version 999, this host needs " +
                                                       std::to_string(sdk::kAbiVersion)));
  EXPECT_THAT(reasons["ferry-missing-symbol.so"], HasSubstr("no 'ferry_plugin_descriptor' symbol"));
  EXPECT_THAT(reasons["ferry-throwing-descriptor.so"],
              HasSubstr("descriptor function threw: descriptor exploded"));
  EXPECT_THAT(reasons["ferry-bad-size.so"], HasSubstr("descriptor size"));
  EXPECT_THAT(reasons["ferry-same-name.so"],
              HasSubstr("duplicate plugin name 'fixture-good': already loaded from"));
  EXPECT_THAT(reasons["ferry-same-name.so"], HasSubstr("ferry-good.so"));
  EXPECT_THAT(reasons["ferry-not-a-library.so"], HasSubstr("not a loadable shared library"));
  EXPECT_EQ(registry.errors().size(), errors.size());
  for (const auto& e : errors) {
    EXPECT_EQ(e.describe().find('\n'), std::string::npos);  // one line each
    EXPECT_THAT(e.describe(), HasSubstr(e.file.filename().string()));
  }

  const auto plugins = registry.list();
  ASSERT_EQ(plugins.size(), 2u);
  EXPECT_EQ(plugins[0]->name(), "fixture-good");
  EXPECT_EQ(plugins[1]->name(), "fixture-throwing");
  EXPECT_EQ(registry.descriptors().size(), 2u);
  const LoadedPlugin* good = registry.find("fixture-good");
  ASSERT_NE(good, nullptr);
  EXPECT_EQ(good->version(), "1.2.3");  // the first library, not the impostor
  EXPECT_EQ(good->file().filename(), "ferry-good.so");
  ASSERT_EQ(good->entities().size(), 1u);
  EXPECT_NE(good->entity("Item"), nullptr);
  EXPECT_EQ(good->settings().size(), 3u);
  EXPECT_EQ(registry.find("fixture-bad-size"), nullptr);
}

TEST(PluginLoaderTest, SameFileTwiceIsNotADuplicate) {
  PluginRegistry registry;
  EXPECT_FALSE(registry.loadFile(kFixtures / "ferry-good.so"));
  EXPECT_FALSE(registry.loadFile(kFixtures / "." / "ferry-good.so"));
  EXPECT_TRUE(registry.errors().empty());
  EXPECT_EQ(registry.list().size(), 1u);
}

TEST(PluginLoaderTest, MissingDirectoryIsAnErrorOnlyWhenRequired) {
  PluginRegistry registry;
  EXPECT_TRUE(registry.loadDirectory(kFixtures / "does-not-exist", false).empty());
  const auto errors = registry.loadDirectory(kFixtures / "does-not-exist", true);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].reason, "plugin directory does not exist");
}

TEST(PluginLoaderTest, ConnectorFromGoodPluginWorks) {
  PluginRegistry registry;
  ASSERT_FALSE(registry.loadFile(kFixtures / "ferry-good.so"));
  sdk::testing::FakeHost host;
  auto connector = registry.find("fixture-good")->create(host.context({{"greeting", "hi"}}));
  ASSERT_TRUE(connector.ok()) << connector.error().describe();
  ASSERT_TRUE((*connector)->start().ok());
  ASSERT_NE((*connector)->source(), nullptr);
  auto batch = (*connector)->source()->read(itemRequest());
  ASSERT_TRUE(batch.ok());
  ASSERT_EQ(batch->changes.size(), 1u);
  EXPECT_EQ(*batch->changes[0].fields.find("name"), sdk::Value("hi"));
  EXPECT_EQ((*connector)->sink()->maxBatch("Item"), 10u);
  (*connector)->stop();
}

TEST(PluginLoaderTest, LibraryStaysLoadedWhileAConnectorLives) {
  const fs::path file = kFixtures / "ferry-good.so";
  // Baseline: the fixture really unloads when nothing holds it, so the check below can fail.
  {
    PluginRegistry registry;
    ASSERT_FALSE(registry.loadFile(file));
    ASSERT_TRUE(isLoaded(file));
  }
  ASSERT_FALSE(isLoaded(file)) << "fixture cannot be unloaded; the lifetime test would be vacuous";

  sdk::testing::FakeHost host;
  std::shared_ptr<sdk::Connector> connector;
  {
    PluginRegistry registry;
    ASSERT_FALSE(registry.loadFile(file));
    auto made = registry.find("fixture-good")->create(host.context({{"greeting", "still here"}}));
    ASSERT_TRUE(made.ok());
    connector = std::move(made.value());
  }
  EXPECT_TRUE(isLoaded(file));
  auto batch = connector->source()->read(itemRequest());  // plugin code
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ(*batch->changes[0].fields.find("name"), sdk::Value("still here"));
  connector.reset();
  EXPECT_FALSE(isLoaded(file));
}

TEST(PluginLoaderTest, FactoryFailuresBecomeErrorsNamingThePlugin) {
  PluginRegistry registry;
  ASSERT_FALSE(registry.loadFile(kFixtures / "ferry-throwing.so"));
  const LoadedPlugin* plugin = registry.find("fixture-throwing");
  ASSERT_NE(plugin, nullptr);
  sdk::testing::FakeHost host;

  auto thrown = plugin->create(host.context({{"mode", "throw"}}));
  ASSERT_FALSE(thrown.ok());
  EXPECT_EQ(thrown.error().code, sdk::ErrorCode::kInternal);
  EXPECT_EQ(thrown.error().message,
            "plugin 'fixture-throwing' (ferry-throwing.so): factory threw: factory exploded");

  auto refused = plugin->create(host.context({{"mode", "error"}}));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_THAT(refused.error().message, HasSubstr("factory refused: bad mode"));

  auto nothing = plugin->create(host.context({{"mode", "null"}}));
  ASSERT_FALSE(nothing.ok());
  EXPECT_THAT(nothing.error().message, HasSubstr("neither a connector nor an error"));
}

TEST(PluginLoaderTest, ExceptionsFromConnectorMethodsAreCaught) {
  PluginRegistry registry;
  ASSERT_FALSE(registry.loadFile(kFixtures / "ferry-throwing.so"));
  sdk::testing::FakeHost host;
  auto made =
      registry.find("fixture-throwing")->create(host.context({{"mode", "connector-throws"}}));
  ASSERT_TRUE(made.ok());
  sdk::Connector& c = **made;

  const auto start = c.start();
  ASSERT_FALSE(start.ok());
  EXPECT_EQ(start.error().message, "plugin 'fixture-throwing': start threw: start exploded");
  const auto described = c.describe();
  ASSERT_FALSE(described.ok());
  EXPECT_THAT(described.error().message, HasSubstr("non-standard exception"));
  ASSERT_NE(c.source(), nullptr);
  EXPECT_THAT(c.source()->read({}).error().message, HasSubstr("read threw: read exploded"));
  ASSERT_NE(c.sink(), nullptr);
  EXPECT_THAT(c.sink()->lookup("X", {}, {}).error().message, HasSubstr("lookup exploded"));
  EXPECT_THAT(c.sink()->write("X", {}).error().message, HasSubstr("write exploded"));
  EXPECT_EQ(c.sink()->maxBatch("X"), 1u);
  EXPECT_EQ(c.push(), nullptr);
  c.stop();
}

TEST(PluginLoaderTest, DefaultSearchPathHonoursEnvironmentFirst) {
  ::setenv("FERRY_PLUGIN_PATH", "/opt/a::/opt/b", 1);
  const auto path = defaultPluginPath();
  ::unsetenv("FERRY_PLUGIN_PATH");
  ASSERT_EQ(path.size(), 4u);
  EXPECT_EQ(path[0], "/opt/a");
  EXPECT_EQ(path[1], "/opt/b");
  EXPECT_EQ(path[2].filename(), "plugins");
  EXPECT_EQ(path[3], "/usr/lib/ferry/plugins");
  EXPECT_EQ(defaultPluginPath().size(), 2u);
}

}  // namespace
}  // namespace ferry::host
