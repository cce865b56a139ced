// End to end through the sync engine: the example flows (examples/*.yaml, validated by the flow
// module) run "jsonl -> People Customers" and "People Customers -> jsonl" against the sandbox
// with its real rate limits, with a SQLite state store, and count the API calls they use; the
// shipped flows (flows/*.yaml) validate against this plugin's catalogue.
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "config.hpp"     // jsonl plugin library
#include "connector.hpp"  // jsonl plugin library
#include "ferry/host/engine/flow_runner.hpp"
#include "ferry/host/flow/files.hpp"
#include "ferry/host/flow/schema_provider.hpp"
#include "ferry/host/flow/validator.hpp"
#include "ferry/host/state/store.hpp"
#include "ferry/plugins/people/catalogue.hpp"
#include "sandbox_fixture.hpp"

namespace ferry::plugins::people::testing {
namespace {

namespace fs = std::filesystem;

std::string readFile(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// Schemas as the CLI would provide them: People's static catalogue, jsonl's entities from its
// connection settings.
class TestSchemas final : public host::SchemaProvider {
 public:
  TestSchemas() {
    people_ = host::PluginSchema{"people", settingsSchema(), staticEntitySchemas()};
    jsonl_ = host::PluginSchema{"jsonl", jsonl::settingsSchema(), {}};
  }
  const host::PluginSchema* plugin(std::string_view name) const override {
    if (name == "people") return &people_;
    if (name == "jsonl") return &jsonl_;
    return nullptr;
  }
  std::vector<std::string> pluginNames() const override { return {"jsonl", "people"}; }
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
  host::PluginSchema people_;
  host::PluginSchema jsonl_;
  mutable std::map<std::string, std::vector<sdk::EntitySchema>> jsonlEntities_;
};

class PeopleEndToEndTest : public PeopleSandboxTest {
 protected:
  void SetUp() override {
    PeopleSandboxTest::SetUp();
    dir_ = fs::temp_directory_path() /
           ("ferry-people-e2e-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "data");
    const fs::path examples = fs::path(FERRY_PEOPLE_EXAMPLES);
    const host::EnvLookup env = [this](const std::string& name) -> std::optional<std::string> {
      if (name == "PEOPLE_BASE_URL") return baseUrl();
      if (name == "FERRY_DATA_DIR") return (dir_ / "data").string();
      return std::nullopt;
    };
    {
      host::Diagnostics diags;
      const auto path = examples / "connections" / "people.yaml";
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
             {"Person",
              sdk::Object{{"id", "id"},
                          {"fields", sdk::Object{{"id", type("string")},
                                                 {"firstName", type("string")},
                                                 {"lastName", sdk::Object{{"type", "string"},
                                                                          {"required", true}}},
                                                 {"email", type("email")},
                                                 {"phone", type("phone")},
                                                 {"city", type("string")}}}}},
             {"Customer", sdk::Object{{"id", "id"},
                                      {"fields", sdk::Object{{"id", type("string")},
                                                             {"peopleId", type("string")},
                                                             {"externalId", type("string")},
                                                             {"firstName", type("string")},
                                                             {"lastName", type("string")},
                                                             {"emails", type("string")},
                                                             {"phones", type("string")},
                                                             {"city", type("string")}}}}}}}};
    connections_.add(files);
    auto store = host::openStateStore("sqlite://" + (dir_ / "state.db").string());
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);

    sdk::Object settings = connections_.find("people")->settings;
    settings.set("base_url", baseUrl());
    people_ = &connect(settings);
    jsonlContext_ = jsonlHost_.context(connections_.find("files")->settings, "files");
    auto config = jsonl::parseConfig(connections_.find("files")->settings);
    ASSERT_TRUE(config) << config.error().message;
    files_ = std::make_unique<jsonl::JsonlConnector>(std::move(*config), jsonlContext_);
    ASSERT_TRUE(files_->start());
  }
  void TearDown() override {
    files_.reset();
    store_.reset();
    PeopleSandboxTest::TearDown();
    fs::remove_all(dir_);
  }

  host::FlowDef flow(const char* file) {
    host::Diagnostics diags;
    const auto path = fs::path(FERRY_PEOPLE_EXAMPLES) / file;
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

  std::uint64_t apiCalls() const {
    std::uint64_t total = 0;
    for (const auto& [key, count] : server_->counters().snapshot()) {
      if (key.rfind("people ", 0) == 0) total += count.calls;
    }
    return total;
  }

  fs::path dir_;
  TestSchemas schemas_;
  host::ConnectionSet connections_;
  std::unique_ptr<host::StateStore> store_;
  sdk::testing::FakeHost jsonlHost_;
  sdk::HostContext jsonlContext_;
  PeopleConnector* people_ = nullptr;
  std::unique_ptr<jsonl::JsonlConnector> files_;
};

TEST_F(PeopleEndToEndTest, JsonlToPeopleCustomers) {
  {
    std::ofstream out(dir_ / "data" / "Person.jsonl");
    for (int i = 0; i < 2999; ++i) {
      out << R"({"id":"p)" << i << R"(","firstName":"First)" << i << R"(","lastName":"Last)" << i
          << R"(","email":" Person)" << i << R"(@Example.com ","phone":"+3859100)" << 10000 + i
          << R"("})"
          << "\n";
    }
    out << R"({"id":"bad","lastName":"Broken","phone":"+12"})"
        << "\n";
  }
  // Someone who already is in People with one of the emails is matched, not duplicated.
  admin(
      "POST", "persons",
      R"({"lastName":"Existing","contactInformation":{"email":[{"address":"person7@example.com"}]}})");
  auto def = flow("jsonl-to-customers.yaml");
  ASSERT_FALSE(def.name.empty());
  host::engine::FlowRunner runner(def, {files_.get(), nullptr, "Person"},
                                  {nullptr, people_, "Customer"}, *store_, host_.clock,
                                  &host_.logger);
  const auto before = apiCalls();
  auto run = runner.run();
  const auto used = apiCalls() - before;
  ASSERT_EQ(run.status, host::RunStatus::kSucceeded) << run.error;
  EXPECT_EQ(run.counts.created, 2998);
  EXPECT_EQ(run.counts.updated, 1);   // the person found by email, not duplicated
  EXPECT_EQ(run.counts.rejected, 1);  // kept as a dead letter with People's reason
  EXPECT_EQ(throttled(), 0u);
  std::cout
      << "engine run jsonl -> People Customers: 3,000 records (2,999 written, 1 rejected) with "
      << used << " API calls" << std::endl;
  EXPECT_LE(used, 12u);

  const auto dump = admin("GET", "dump");
  const auto& persons = at(dump, "persons")->asList();
  EXPECT_EQ(persons.size(), 2999u);
  const std::string text = dump.toJson();
  EXPECT_NE(text.find(R"("address":"person42@example.com")"),
            std::string::npos);                                           // trimmed and lowered
  EXPECT_NE(text.find(R"("number":"385910010042")"), std::string::npos);  // stored without '+'

  const auto again = apiCalls();
  auto rerun = runner.run();
  ASSERT_EQ(rerun.status, host::RunStatus::kSucceeded) << rerun.error;
  EXPECT_EQ(rerun.counts.created + rerun.counts.updated, 0);
  EXPECT_LE(apiCalls() - again, 1u);
}

TEST_F(PeopleEndToEndTest, PeopleCustomersToJsonl) {
  auto def = flow("customers-to-jsonl.yaml");
  ASSERT_FALSE(def.name.empty());
  host::engine::FlowRunner runner(def, {people_, nullptr, "Customer"},
                                  {nullptr, files_.get(), "Customer"}, *store_, host_.clock,
                                  &host_.logger);
  admin("POST", "seed", R"({"count":2500,"seed":11})");
  admin("POST", "seed", R"({"count":40,"seed":12,"type":"LEAD"})");
  const auto before = apiCalls();
  auto run = runner.run();
  const auto used = apiCalls() - before;
  ASSERT_EQ(run.status, host::RunStatus::kSucceeded) << run.error;
  EXPECT_EQ(run.counts.created, 2500);
  std::cout << "engine run People Customers -> jsonl: 2,500 Customers read with " << used
            << " API calls (incl. custom attributes and the reconciliation baseline)" << std::endl;
  EXPECT_LE(used, 10u);
  auto lines = jsonLines("Customer");
  ASSERT_EQ(lines.size(), 2500u);
  const auto* phone = lines[0].find("phones");
  ASSERT_NE(phone, nullptr);
  EXPECT_EQ(phone->asString().rfind("+", 0), 0u) << phone->asString();  // E.164 again

  // An edit made in the portal flows through; the overlap re-read writes nothing else.
  const std::string someId = lines[17].find("peopleId")->asString();
  admin("PATCH", "persons?type=ID&identifier=" + someId, R"({"city":"Zadar"})");
  auto next = runner.run();
  ASSERT_EQ(next.status, host::RunStatus::kSucceeded) << next.error;
  EXPECT_EQ(next.counts.updated, 1);
  EXPECT_EQ(next.counts.created, 0);
  auto idle = runner.run();
  EXPECT_EQ(idle.counts.created + idle.counts.updated + idle.counts.deleted, 0);
  EXPECT_EQ(throttled(), 0u);
}

}  // namespace
}  // namespace ferry::plugins::people::testing

namespace ferry::plugins::people::testing {
namespace {

// The shipped flows (flows/*.yaml) against this plugin's catalogue, and against a live catalogue
// where the account lacks some custom attribute definitions.
class ShippedFlowsTest : public ::testing::Test {
 protected:
  host::StaticSchemaProvider provider(const std::vector<sdk::EntitySchema>& peopleEntities) {
    host::StaticSchemaProvider schemas;
    auto salesforce = host::pluginSchemaFromJson(
        readFile(fs::path(FERRY_SOURCE_DIR) / "tests/unit/flow/schemas/salesforce.json"));
    EXPECT_TRUE(salesforce) << salesforce.error().message;
    if (salesforce) schemas.add(*salesforce);
    schemas.add(host::PluginSchema{"people", settingsSchema(), peopleEntities});
    return schemas;
  }

  std::string validate(const host::SchemaProvider& schemas, const char* flowFile) {
    const fs::path flows = fs::path(FERRY_SOURCE_DIR) / "flows";
    host::Diagnostics diags;
    const auto connections = host::loadConnectionDirectory(
        (flows / "connections").string(), schemas,
        [](const std::string&) -> std::optional<std::string> { return std::nullopt; }, diags);
    auto def = host::loadFlow(readFile(flows / flowFile), flowFile, connections, schemas, diags);
    return def ? std::string() : diags.format();
  }
};

TEST_F(ShippedFlowsTest, ValidateAgainstTheStaticCatalogue) {
  const auto schemas = provider(staticEntitySchemas());
  for (const char* flow :
       {"contacts-to-customers.yaml", "leads-to-people-leads.yaml", "accounts-to-companies.yaml"}) {
    EXPECT_EQ(validate(schemas, flow), "") << flow;
  }
}

TEST_F(ShippedFlowsTest, UndefinedCustomAttributesFailValidationAgainstALiveCatalogue) {
  const auto live = provider(liveEntitySchemas({{"EmailOptOut", "BOOLEAN"}}, false));
  EXPECT_EQ(validate(live, "contacts-to-customers.yaml"), "");
  const std::string problems = validate(live, "leads-to-people-leads.yaml");
  EXPECT_NE(problems.find("\"customAttributes.Company\" is not defined"), std::string::npos)
      << problems;
  EXPECT_NE(problems.find("\"customAttributes.Lead Source\" is not defined"), std::string::npos)
      << problems;
  // With provisioning on, the connector defines them on the first write instead.
  EXPECT_EQ(validate(provider(liveEntitySchemas({}, true)), "leads-to-people-leads.yaml"), "");
}

}  // namespace
}  // namespace ferry::plugins::people::testing
