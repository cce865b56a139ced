// End to end through the sync engine: the example flows (examples/*.yaml, validated by the flow
// module) run "Salesforce Contacts -> jsonl" and "jsonl -> Salesforce Contacts" against the
// sandbox, with a SQLite state store, and count the API calls they use.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "config.hpp"     // jsonl plugin library
#include "connector.hpp"  // jsonl plugin library
#include "ferry/host/engine/flow_runner.hpp"
#include "ferry/host/flow/validator.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/plugins/salesforce/catalogue.hpp"
#include "sandbox_fixture.hpp"

namespace ferry::plugins::salesforce::testing {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Schemas as the CLI would provide them: Salesforce's static catalogue, jsonl's entities from
// its connection settings.
class TestSchemas final : public host::SchemaProvider {
 public:
  TestSchemas() {
    salesforce_ = host::PluginSchema{"salesforce", settingsSchema(), staticEntitySchemas()};
    jsonl_ = host::PluginSchema{"jsonl", jsonl::settingsSchema(), {}};
  }
  const host::PluginSchema* plugin(std::string_view name) const override {
    if (name == "salesforce") return &salesforce_;
    if (name == "jsonl") return &jsonl_;
    return nullptr;
  }
  std::vector<std::string> pluginNames() const override { return {"jsonl", "salesforce"}; }
  const std::vector<sdk::EntitySchema>* entities(
      const host::ConnectionDef& connection) const override {
    if (connection.plugin != "jsonl") return SchemaProvider::entities(connection);
    auto config = jsonl::parseConfig(connection.settings);
    if (!config) return nullptr;
    auto& list = jsonlEntities_[connection.name];
    list.clear();
    for (const auto& e : config->entities) list.push_back(e.schema);
    return &list;
  }

 private:
  host::PluginSchema salesforce_;
  host::PluginSchema jsonl_;
  mutable std::map<std::string, std::vector<sdk::EntitySchema>> jsonlEntities_;
};

class EndToEndTest : public SandboxTest {
 protected:
  void SetUp() override {
    SandboxTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("ferry-sf-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    const fs::path examples = fs::path(FERRY_SF_EXAMPLES);
    const host::EnvLookup env = [this](const std::string& name) -> std::optional<std::string> {
      if (name == "SALESFORCE_LOGIN_URL") return baseUrl();
      if (name == "FERRY_DATA_DIR") return (dir_ / "data").string();
      return std::nullopt;
    };
    {
      host::Diagnostics diags;
      const auto path = examples / "connections" / "salesforce.yaml";
      auto def = host::loadConnection(readFile(path), path.string(), schemas_, env, diags);
      ASSERT_TRUE(def) << diags.format();
      connections_.add(*def);
    }
    // The same as examples/connections/files.yaml, built here because the connection parser
    // does not take object-valued settings (jsonl's `entities`) yet.
    const auto type = [](const char* t) { return sdk::Value(t); };
    host::ConnectionDef files;
    files.name = "files";
    files.plugin = "jsonl";
    files.settings = {
        {"directory", (dir_ / "data").string()},
        {"entities",
         sdk::Object{
             {"Contact", sdk::Object{{"id", "id"},
                                     {"fields", sdk::Object{{"id", type("string")},
                                                            {"salesforceId", type("string")},
                                                            {"firstName", type("string")},
                                                            {"lastName", type("string")},
                                                            {"email", type("email")},
                                                            {"phone", type("phone")},
                                                            {"city", type("string")}}}}},
             {"Person",
              sdk::Object{{"id", "id"},
                          {"fields", sdk::Object{{"id", type("string")},
                                                 {"firstName", type("string")},
                                                 {"lastName", sdk::Object{{"type", "string"},
                                                                          {"required", true}}},
                                                 {"email", type("email")},
                                                 {"phone", type("phone")}}}}}}}};
    connections_.add(files);
    auto store = host::openStateStore("sqlite://" + (dir_ / "state.db").string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);

    // Connectors made from the validated connection settings.
    sfContext_ = host_.context(connections_.find("salesforce")->settings, "salesforce");
    sfContext_.http = http_.get();
    auto sf = SalesforceConnector::create(sfContext_);
    ASSERT_TRUE(sf) << sf.error().message;
    salesforce_ = std::move(*sf);
    ASSERT_TRUE(salesforce_->start());
    jsonlContext_ = jsonlHost_.context(connections_.find("files")->settings, "files");
    auto config = jsonl::parseConfig(connections_.find("files")->settings);
    ASSERT_TRUE(config) << config.error().message;
    files_ = std::make_unique<jsonl::JsonlConnector>(std::move(*config), jsonlContext_);
    ASSERT_TRUE(files_->start());
  }
  void TearDown() override {
    files_.reset();
    salesforce_.reset();
    store_.reset();
    SandboxTest::TearDown();
    fs::remove_all(dir_);
  }

  host::FlowDef flow(const char* file) {
    host::Diagnostics diags;
    const auto path = fs::path(FERRY_SF_EXAMPLES) / file;
    auto def = host::loadFlow(readFile(path), path.string(), connections_, schemas_, diags);
    EXPECT_TRUE(def) << diags.format();
    return def ? *def : host::FlowDef{};
  }

  std::vector<sdk::Object> jsonLines(const std::string& entity) {
    std::vector<sdk::Object> out;
    std::ifstream in(dir_ / "data" / (entity + ".jsonl"));
    for (std::string line; std::getline(in, line);) {
      if (auto v = sdk::Value::fromJson(line); v && v->isObject()) out.push_back(v->asObject());
    }
    return out;
  }

  fs::path dir_;
  TestSchemas schemas_;
  host::ConnectionSet connections_;
  std::unique_ptr<host::StateStore> store_;
  sdk::testing::FakeHost jsonlHost_;
  sdk::HostContext sfContext_;
  sdk::HostContext jsonlContext_;
  std::unique_ptr<SalesforceConnector> salesforce_;
  std::unique_ptr<jsonl::JsonlConnector> files_;
};

TEST_F(EndToEndTest, SalesforceContactsToJsonl) {
  auto def = flow("contacts-to-jsonl.yaml");
  ASSERT_FALSE(def.name.empty());
  host::engine::FlowRunner runner(def, {salesforce_.get(), nullptr, "Contact"},
                                  {nullptr, files_.get(), "Contact"}, *store_, host_.clock,
                                  &host_.logger);
  // Initial load of an empty org establishes the watermark.
  auto first = runner.run();
  ASSERT_EQ(first.status, host::RunStatus::kSucceeded) << first.error;

  host_.clock.advance(std::chrono::minutes(10));
  admin("POST", "seed", R"({"Contact":10000})");
  host_.clock.advance(std::chrono::seconds(5));
  const auto before = calls();
  auto run = runner.run();
  const auto used = calls() - before;
  ASSERT_EQ(run.status, host::RunStatus::kSucceeded) << run.error;
  EXPECT_EQ(run.counts.created, 10000);
  std::cout << "engine run Salesforce Contacts -> jsonl: 10,000 changed Contacts read with " << used
            << " API calls" << std::endl;
  EXPECT_LE(used, 6u);

  // Changes, a delete and a merge flow through; re-reading the overlap window writes nothing.
  auto lines = jsonLines("Contact");
  ASSERT_EQ(lines.size(), 10000u);
  const std::string someId = lines[17].find("salesforceId")->asString();
  const std::string otherId = lines[18].find("salesforceId")->asString();
  host_.clock.advance(std::chrono::minutes(10));
  admin("PATCH", "records/Contact/" + someId, R"({"MailingCity":"Zagreb"})");
  admin("DELETE", "records/Contact/" + otherId);
  auto next = runner.run();
  ASSERT_EQ(next.status, host::RunStatus::kSucceeded) << next.error;
  EXPECT_EQ(next.counts.updated, 1);
  EXPECT_EQ(next.counts.deleted, 1);
  host_.clock.advance(std::chrono::seconds(20));
  auto idle = runner.run();
  EXPECT_EQ(idle.counts.created + idle.counts.updated + idle.counts.deleted, 0);
}

TEST_F(EndToEndTest, JsonlToSalesforceContacts) {
  {
    std::ofstream out(dir_ / "data" / "Person.jsonl");
    for (int i = 0; i < 9999; ++i) {
      out << R"({"id":"p)" << i << R"(","firstName":"First)" << i << R"(","lastName":"Last)" << i
          << R"(","email":" Person)" << i << R"(@Example.com "})"
          << "\n";
    }
    out << R"({"id":"bad","lastName":"Broken","email":"not-an-email"})"
        << "\n";
  }
  auto def = flow("jsonl-to-contacts.yaml");
  ASSERT_FALSE(def.name.empty());
  host::engine::FlowRunner runner(def, {files_.get(), nullptr, "Person"},
                                  {nullptr, salesforce_.get(), "Contact"}, *store_, host_.clock,
                                  &host_.logger);
  const auto before = calls();
  auto run = runner.run();
  const auto used = calls() - before;
  ASSERT_EQ(run.status, host::RunStatus::kSucceeded) << run.error;
  EXPECT_EQ(run.counts.created, 9999);
  EXPECT_EQ(run.counts.rejected, 1);  // kept as a dead letter with Salesforce's reason
  std::cout << "engine run jsonl -> Salesforce Contacts: 10,000 records (9,999 created, 1 "
               "rejected) written with "
            << used << " API calls (incl. token + describe)" << std::endl;
  EXPECT_LE(used, 52u);

  auto dump = admin("GET", "dump?object=Contact");
  const std::string text = dump.toJson();
  EXPECT_NE(text.find("person42@example.com"), std::string::npos);  // trimmed and lowered
  // Running again writes nothing new.
  const auto again = calls();
  auto rerun = runner.run();
  EXPECT_EQ(rerun.counts.created, 0);
  EXPECT_LE(calls() - again, 1u);
}

}  // namespace
}  // namespace ferry::plugins::salesforce::testing
