// End to end through the sync engine: the example flows (examples/*.yaml, validated by the flow
// module) run "jsonl -> People Customers" and "People Customers -> jsonl" against the sandbox
// with its real rate limits, with a SQLite state store, and count the API calls they use; the
// shipped flows (flows/*.yaml) validate against this plugin's catalogue.
#include <filesystem>
#include <fstream>
#include <iostream>

#include "ferry/host/engine/flow_runner.hpp"
#include "ferry/host/flow/files.hpp"
#include "ferry/host/flow/schema_provider.hpp"
#include "ferry/plugins/people/catalogue.hpp"
#include "ferry/testing/jsonl_flow_fixture.hpp"
#include "sandbox_fixture.hpp"

namespace ferry::plugins::people::testing {
namespace {

namespace fs = std::filesystem;
using ferry::testing::readFile;

class PeopleEndToEndTest : public PeopleSandboxTest {
 protected:
  void SetUp() override {
    PeopleSandboxTest::SetUp();
    ASSERT_NO_FATAL_FAILURE(e2e_.setUp("people.yaml", {{"PEOPLE_BASE_URL", baseUrl()}}));
    sdk::Object settings = e2e_.settings("people");
    settings.set("base_url", baseUrl());
    people_ = &connect(settings);
    files_ = e2e_.files();
  }

  host::FlowDef flow(const char* file) { return e2e_.flow(file); }
  std::vector<sdk::Object> jsonLines(const std::string& entity) { return e2e_.jsonLines(entity); }

  std::uint64_t apiCalls() const { return server_->counters().calls("people "); }

  ferry::testing::JsonlFlowFixture e2e_{
      host::PluginSchema{"people", settingsSchema(), staticEntitySchemas()}, FERRY_PEOPLE_EXAMPLES};
  PeopleConnector* people_ = nullptr;
  jsonl::JsonlConnector* files_ = nullptr;
};

TEST_F(PeopleEndToEndTest, JsonlToPeopleCustomers) {
  {
    std::ofstream out(e2e_.dataDir() / "Person.jsonl");
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
  host::engine::FlowRunner runner(def, {files_, nullptr, "Person"}, {nullptr, people_, "Customer"},
                                  e2e_.store(), host_.clock, &host_.logger);
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
                                  {nullptr, files_, "Customer"}, e2e_.store(), host_.clock,
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
