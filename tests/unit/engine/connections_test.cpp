// ConnectionFactory and FlowInstance with the real jsonl plugin.
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

#include "engine_fixture.hpp"
#include "ferry/host/common/clock.hpp"
#include "ferry/host/engine/connections.hpp"
#include "ferry/host/plugins/registry.hpp"

namespace ferry::host::engine::testing {
namespace {

namespace fs = std::filesystem;

class ConnectionsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("ferry-engine-conn-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    plugins_.loadDirectory(FERRY_TEST_PLUGIN_DIR, true);
    ASSERT_NE(plugins_.find("jsonl"), nullptr) << "jsonl plugin not built";
    std::string why;
    store_ = openTestStore("sqlite", &why);
    ASSERT_TRUE(store_) << why;
    services_.plugins = &plugins_;
    services_.store = store_.get();
    services_.clock = &systemClock();
  }
  void TearDown() override { fs::remove_all(dir_); }

  ConnectionDef jsonl(const std::string& name, const std::string& entity) {
    return ConnectionDef{
        name,
        "jsonl",
        sdk::Object{
            {"directory", dir_.string()},
            {"entities",
             sdk::Object{{entity, sdk::Object{{"id", "id"},
                                              {"fields", sdk::Object{{"email", "email"},
                                                                     {"firstName", "string"}}}}}}}},
        "",
        {}};
  }

  fs::path dir_;
  PluginRegistry plugins_;
  std::unique_ptr<StateStore> store_;
  ConnectionServices services_;
};

TEST_F(ConnectionsTest, OpensAConnectorWithValidatedSettingsAndLiveEntities) {
  ConnectionFactory factory(services_);
  auto live = factory.open(jsonl("people", "Person"), "a-flow");
  ASSERT_TRUE(live.ok()) << live.error().describe();
  const sdk::EntitySchema* person = (*live)->entity("Person");
  ASSERT_NE(person, nullptr);
  EXPECT_EQ(person->idField, "id");
  EXPECT_EQ((*live)->entity("Nope"), nullptr);
  EXPECT_NE((*live)->connector().sink(), nullptr);
  EXPECT_EQ((*live)->health(), sdk::ConnectionHealth::kOk);
}

TEST_F(ConnectionsTest, RefusesUnknownPluginsAndBadSettingsPrecisely) {
  ConnectionFactory factory(services_);
  ConnectionDef unknown = jsonl("x", "Person");
  unknown.plugin = "nope";
  auto missing = factory.open(unknown);
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().code, sdk::ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message.find("plugin 'nope' is not installed"), std::string::npos);

  ConnectionDef bad = jsonl("y", "Person");
  bad.settings.set("directroy", "/tmp");
  auto invalid = factory.open(bad);
  ASSERT_FALSE(invalid.ok());
  EXPECT_EQ(invalid.error().code, sdk::ErrorCode::kInvalidArgument);
  EXPECT_NE(invalid.error().message.find("connection y: invalid settings"), std::string::npos);
  EXPECT_NE(invalid.error().message.find("directroy"), std::string::npos);
}

TEST_F(ConnectionsTest, FlowInstanceRunsAFlowBetweenTwoJsonlConnections) {
  std::ofstream(dir_ / "Contact.jsonl") << R"({"id":"c1","email":"a@x.test","firstName":"Ann"})"
                                        << "\n"
                                        << R"({"id":"c2","email":"b@x.test","firstName":"Bob"})"
                                        << "\n";
  ConnectionFactory factory(services_);
  FlowDef flow;
  flow.name = "files";
  flow.source = {"crm", "Contact", {}};
  flow.sink = {"people", "Person", {}};
  flow.match = {{"email", "email"}};
  flow.mapping = std::make_shared<TestMapping>(
      std::vector<TestMapping::Pair>{{"email", "email"}, {"firstName", "firstName"}});
  auto instance = FlowInstance::open(flow, jsonl("crm", "Contact"), jsonl("people", "Person"),
                                     factory, *store_, systemClock(), "test");
  ASSERT_TRUE(instance.ok()) << instance.error().describe();
  const RunSummary s = (*instance)->runner().run();
  EXPECT_EQ(s.status, RunStatus::kSucceeded) << s.error;
  EXPECT_EQ(s.counts.created, 2);
  EXPECT_EQ(*store_->linkCount("files"), 2);

  flow.sink.entity = "Missing";
  auto broken = FlowInstance::open(flow, jsonl("crm", "Contact"), jsonl("people", "Person"),
                                   factory, *store_, systemClock(), "test");
  ASSERT_FALSE(broken.ok());
  EXPECT_NE(broken.error().message.find("has no entity Missing"), std::string::npos);
}

}  // namespace
}  // namespace ferry::host::engine::testing
