// The set-up the connectors' end-to-end tests share: a connector's example flows run by the real
// engine between that connector and the jsonl plugin, with a SQLite state store, all in a
// throwaway folder per test. Header-only: include it from one test source and link the engine,
// flow, state and jsonl libraries (the target ferry_jsonl_flow_fixture says so).
#pragma once

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "config.hpp"     // jsonl plugin library
#include "connector.hpp"  // jsonl plugin library
#include "ferry/host/flow/validator.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/sdk/testing/fake_host.hpp"
#include "ferry/testing/files.hpp"  // readFile

namespace ferry::testing {

// Schemas as the CLI would provide them: one connector plugin's static catalogue, and jsonl's
// entities from each jsonl connection's settings.
class PluginAndJsonlSchemas final : public host::SchemaProvider {
 public:
  explicit PluginAndJsonlSchemas(host::PluginSchema plugin)
      : plugin_(std::move(plugin)), jsonl_{"jsonl", plugins::jsonl::settingsSchema(), {}} {}

  const host::PluginSchema* plugin(std::string_view name) const override {
    if (name == plugin_.name) return &plugin_;
    if (name == "jsonl") return &jsonl_;
    return nullptr;
  }
  std::vector<std::string> pluginNames() const override { return {"jsonl", plugin_.name}; }
  const std::vector<sdk::EntitySchema>* entities(
      const host::ConnectionDef& connection) const override {
    if (connection.plugin != "jsonl") return SchemaProvider::entities(connection);
    auto config = plugins::jsonl::parseConfig(connection.settings);
    if (!config) return nullptr;
    auto& list = jsonlEntities_[connection.name];
    list.clear();
    for (const auto& e : config->entities) list.push_back(e.schema);
    return &list;
  }

 private:
  host::PluginSchema plugin_;
  host::PluginSchema jsonl_;
  mutable std::map<std::string, std::vector<sdk::EntitySchema>> jsonlEntities_;
};

// The folder, connections, state store and "files" jsonl connector of one end-to-end test. The
// connector under test is the fixture's own (it knows its sandbox); this holds everything else.
class JsonlFlowFixture {
 public:
  // `plugin` is the connector's schema; `examples` its examples/ folder (flows and connections).
  JsonlFlowFixture(host::PluginSchema plugin, std::filesystem::path examples)
      : name_(plugin.name), schemas_(std::move(plugin)), examples_(std::move(examples)) {}
  JsonlFlowFixture(const JsonlFlowFixture&) = delete;
  JsonlFlowFixture& operator=(const JsonlFlowFixture&) = delete;
  ~JsonlFlowFixture() {
    files_.reset();
    store_.reset();
    if (!dir_.empty()) std::filesystem::remove_all(dir_);
  }

  // Call from SetUp through ASSERT_NO_FATAL_FAILURE. Makes a fresh folder for the running test,
  // loads examples/connections/<connectionFile> and examples/connections/files.yaml (the jsonl
  // connection "files"; ${FERRY_DATA_DIR} is the test's folder, other ${NAME}s come from `env`),
  // opens the state store and starts the jsonl connector.
  void setUp(const std::string& connectionFile, std::map<std::string, std::string> env) {
    dir_ = std::filesystem::temp_directory_path() /
           ("ferry-e2e-" + name_ + "-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dataDir());
    env["FERRY_DATA_DIR"] = dataDir().string();
    const host::EnvLookup lookup = [env](const std::string& name) -> std::optional<std::string> {
      const auto it = env.find(name);
      return it == env.end() ? std::nullopt : std::optional<std::string>(it->second);
    };
    for (const std::string& file : {connectionFile, std::string("files.yaml")}) {
      host::Diagnostics diags;
      const auto path = examples_ / "connections" / file;
      auto def = host::loadConnection(readFile(path), path.string(), schemas_, lookup, diags);
      ASSERT_TRUE(def) << diags.format();
      connections_.add(*def);
    }
    const host::ConnectionDef* files = connections_.find("files");
    ASSERT_NE(files, nullptr) << "files.yaml names another connection";

    auto store = host::openStateStore("sqlite://" + (dir_ / "state.db").string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);

    jsonlContext_ = jsonlHost_.context(files->settings, "files");
    auto config = plugins::jsonl::parseConfig(files->settings);
    ASSERT_TRUE(config) << config.error().message;
    files_ = std::make_unique<plugins::jsonl::JsonlConnector>(std::move(*config), jsonlContext_);
    ASSERT_TRUE(files_->start());
  }

  // An example flow, validated against the connections; empty (and the test failed) when invalid.
  host::FlowDef flow(const char* file) {
    host::Diagnostics diags;
    const auto path = examples_ / file;
    auto def = host::loadFlow(readFile(path), path.string(), connections_, schemas_, diags);
    EXPECT_TRUE(def) << diags.format();
    return def ? *def : host::FlowDef{};
  }

  // The objects in data/<entity>.jsonl, in file order.
  std::vector<sdk::Object> jsonLines(const std::string& entity) const {
    std::vector<sdk::Object> out;
    std::ifstream in(dataDir() / (entity + ".jsonl"));
    for (std::string line; std::getline(in, line);) {
      if (auto v = sdk::Value::fromJson(line); v && v->isObject()) out.push_back(v->asObject());
    }
    return out;
  }

  std::filesystem::path dataDir() const { return dir_ / "data"; }
  const sdk::Object& settings(std::string_view connection) const {
    return connections_.find(connection)->settings;
  }
  host::StateStore& store() { return *store_; }
  plugins::jsonl::JsonlConnector* files() { return files_.get(); }

 private:
  std::string name_;
  PluginAndJsonlSchemas schemas_;
  std::filesystem::path examples_;
  std::filesystem::path dir_;
  host::ConnectionSet connections_;
  std::unique_ptr<host::StateStore> store_;
  sdk::testing::FakeHost jsonlHost_;
  sdk::HostContext jsonlContext_;
  std::unique_ptr<plugins::jsonl::JsonlConnector> files_;
};

}  // namespace ferry::testing
