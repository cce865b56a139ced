// The flows shipped in flows/ (and the examples in docs/flow-format.md) validate, and their
// fixtures pass: against the schema fixtures always, and against the real plugins' static
// catalogues when those plugins are built.
#include <filesystem>
#include <regex>

#include <gtest/gtest.h>

#include "ferry/host/flow/files.hpp"
#include "ferry/host/flow/fixtures.hpp"
#include "ferry/host/plugins/registry.hpp"
#include "support.hpp"

namespace ferry::host {
namespace {

namespace fs = std::filesystem;

EnvLookup noEnvironment() {
  return [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
}

std::vector<fs::path> shippedFiles(const std::string& suffix) {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(testing::sourcePath("flows"))) {
    const std::string name = e.path().filename().string();
    const bool isTest = name.ends_with(".test.yaml");
    if (name.ends_with(".yaml") && (suffix == ".test.yaml") == isTest) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

void validateShipped(const SchemaProvider& provider) {
  Diagnostics diags;
  const ConnectionSet connections = loadConnectionDirectory(
      testing::sourcePath("flows/connections"), provider, noEnvironment(), diags);
  EXPECT_TRUE(diags.empty()) << diags.format();
  EXPECT_NE(connections.find("salesforce"), nullptr);
  EXPECT_NE(connections.find("people"), nullptr);
  const auto flows = shippedFiles(".yaml");
  EXPECT_GE(flows.size(), 3u);
  for (const auto& path : flows) {
    SCOPED_TRACE(path.filename().string());
    Diagnostics flowDiags;
    const auto flow =
        loadFlow(testing::readFile(path.string()), path.string(), connections, provider, flowDiags);
    EXPECT_TRUE(flow.has_value());
    EXPECT_TRUE(flowDiags.empty()) << flowDiags.format();
  }
}

TEST(FlowShippedFlows, ValidateAgainstTheSchemaFixtures) {
  validateShipped(testing::fixtureSchemas());
}

TEST(FlowShippedFlows, ConnectionsPointAtTheSandboxByDefault) {
  Diagnostics diags;
  const ConnectionSet connections = loadConnectionDirectory(
      testing::sourcePath("flows/connections"), testing::fixtureSchemas(), noEnvironment(), diags);
  ASSERT_NE(connections.find("salesforce"), nullptr);
  EXPECT_EQ(*connections.find("salesforce")->settings.find("login_url"),
            sdk::Value("http://127.0.0.1:8484"));
  EXPECT_EQ(connections.find("salesforce")->credentials, "salesforce");
  const EnvLookup real = [](const std::string& name) -> std::optional<std::string> {
    if (name == "SALESFORCE_LOGIN_URL") return "https://login.salesforce.com";
    return std::nullopt;
  };
  Diagnostics diags2;
  const ConnectionSet prod = loadConnectionDirectory(testing::sourcePath("flows/connections"),
                                                     testing::fixtureSchemas(), real, diags2);
  EXPECT_EQ(*prod.find("salesforce")->settings.find("login_url"),
            sdk::Value("https://login.salesforce.com"));
}

TEST(FlowShippedFlows, FixturesPass) {
  Diagnostics diags;
  const ConnectionSet connections = loadConnectionDirectory(
      testing::sourcePath("flows/connections"), testing::fixtureSchemas(), noEnvironment(), diags);
  const auto fixtures = shippedFiles(".test.yaml");
  EXPECT_GE(fixtures.size(), 3u);
  for (const auto& path : fixtures) {
    SCOPED_TRACE(path.filename().string());
    Diagnostics fd;
    const auto file = parseFixtures(testing::readFile(path.string()), path.string(), fd);
    ASSERT_TRUE(file.has_value()) << fd.format();
    const fs::path flowPath = path.parent_path() / file->flow.value;
    const auto flow = loadFlow(testing::readFile(flowPath.string()), flowPath.string(), connections,
                               testing::fixtureSchemas(), fd);
    ASSERT_TRUE(flow.has_value()) << fd.format();
    const FixtureReport report = runFixtures(*file, *flow);
    EXPECT_EQ(report.failed(), 0u) << report.format();
    EXPECT_GE(report.results.size(), 2u);
  }
}

// Docs quote flows that must stay valid: every ```yaml block starting with "flow:".
TEST(FlowShippedFlows, DocumentationExamplesValidate) {
  const std::string doc = testing::readFile(testing::sourcePath("docs/flow-format.md"));
  static const std::regex block("```yaml\n(flow:[^`]*)```");
  int count = 0;
  for (auto it = std::sregex_iterator(doc.begin(), doc.end(), block); it != std::sregex_iterator();
       ++it) {
    if (detectFileKind((*it)[1].str()) == FileKind::kFixtures) continue;  // fixture examples
    ++count;
    Diagnostics diags;
    const auto flow = loadFlow((*it)[1].str(), "flow-format.md example " + std::to_string(count),
                               testing::fixtureConnections(), testing::fixtureSchemas(), diags);
    EXPECT_TRUE(flow.has_value()) << diags.format();
  }
  EXPECT_GE(count, 2);
}

// The real plugins' descriptors (static settings and entity catalogues) replace the fixtures for
// every plugin that is built; skipped when none is.
TEST(FlowShippedFlows, ValidateAgainstTheBuiltPlugins) {
  const fs::path dir = FERRY_PLUGIN_BUILD_DIR;
  PluginRegistry registry;
  StaticSchemaProvider provider = testing::fixtureSchemas();
  std::vector<std::string> real;
  for (const char* name : {"salesforce", "people"}) {
    const fs::path file = dir / ("ferry-" + std::string(name) + ".so");
    if (!fs::exists(file)) continue;
    const auto error = registry.loadFile(file);
    ASSERT_FALSE(error.has_value()) << error->describe();
    const LoadedPlugin* plugin = registry.find(name);
    ASSERT_NE(plugin, nullptr);
    provider.add(PluginSchema{plugin->name(), plugin->settings(), plugin->entities()});
    real.push_back(name);
  }
  if (real.empty()) {
    GTEST_SKIP() << "no ferry-salesforce.so or ferry-people.so in " << dir
                 << "; shipped flows were checked against the schema fixtures only";
  }
  for (const auto& name : real) RecordProperty("real_plugin_" + name, "yes");
  validateShipped(provider);
}

}  // namespace
}  // namespace ferry::host
